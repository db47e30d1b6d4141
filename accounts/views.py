from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from homes.selectors import homes_editable
from matching.models import Recommendation, Referral
from matching.selectors import recommendation_scope, referral_list
from notifications.models import Notification
from notifications.selectors import notification_list
from survivors.selectors import survivor_list, survivor_status_counts


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What needs the signed-in user now, by role."""
    user = request.user
    now = timezone.now()
    context: dict[str, object] = {"now": now}
    if user.role in (Role.CASE_WORKER, Role.SUPERVISOR, Role.MDT_MEMBER, Role.ADMIN):
        context["status_counts"] = survivor_status_counts(user=user)
        context["survivors"] = survivor_list(user=user)[:25]
    if user.role in (Role.CASE_WORKER, Role.SUPERVISOR):
        referrals = referral_list(user=user)
        context["awaiting"] = referrals.filter(status=Referral.Status.PENDING)[:20]
        context["holds"] = referrals.filter(status=Referral.Status.ACCEPTED).order_by(
            "hold_expires_at"
        )[:20]
        context["bed_alerts"] = notification_list(user=user, unread_only=True).filter(
            kind=Notification.Kind.BED_OPENED
        )[:10]
    if user.role == Role.MDT_MEMBER:
        context["to_review"] = (
            recommendation_scope(user=user)
            .filter(status=Recommendation.Status.PENDING_REVIEW, team_id=user.team_id)
            .exclude(reviews__reviewer=user)
            .select_related("home", "survivor")
            .order_by("created_at")[:20]
        )
    if user.role in (Role.HOME_ADMIN, Role.ADMIN):
        stale_after = timedelta(hours=settings.AVAILABILITY_STALE_HOURS)
        homes = list(homes_editable(user=user)[:50])
        context["homes"] = [
            (h, h.availability_updated_at is None or now - h.availability_updated_at > stale_after)
            for h in homes
        ]
        if user.role == Role.HOME_ADMIN:
            context["to_answer"] = referral_list(
                user=user, filters={"status": Referral.Status.PENDING}
            ).order_by("created_at")[:20]
    return render(request, "dashboard.html", context)
