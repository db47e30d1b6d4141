"""Each role's home page: what needs the signed-in user now. It gathers the cases
(survivors), the workflow's queues, the homes a home admin keeps and the unread bed
alerts (notifications), so it lives on the top floor."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Value, When
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from audit.services import request_ip
from core.types import AuthedHttpRequest
from desk.homes import is_stale
from homes.selectors import homes_editable
from notifications.models import Notification
from notifications.selectors import notification_list
from placement import policy
from placement.models import Referral
from placement.selectors import (
    case_status_counts,
    crisis_first,
    duties_open_for,
    follow_ups_due,
    referral_list,
    review_queue,
    with_case_status,
)
from placement.services.batch_reviews import batches_to_review
from survivors.models import Status, Survivor
from survivors.policy import need_to_know
from survivors.selectors import survivor_list
from survivors.services import survivor_record_reads
from survivors.views import case_search


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    """What needs the signed-in user now, by role."""
    user = request.user
    now = timezone.now()
    context: dict[str, Any] = {"now": now}
    if user.role in (Role.CASE_WORKER, Role.SUPERVISOR, Role.MDT_MEMBER, Role.ADMIN):
        context["status_counts"] = case_status_counts(user=user)
        # A child in crisis first, then the newest.
        context["survivors"] = survivor_list(user=user).order_by(
            Case(When(urgency="crisis", then=Value(0)), default=Value(1)), "-created_at", "-id"
        )[:25]
        # Find a case (POST): by case number, alias or name (MDT members: number only).
        finder, found, found_count = case_search(request)
        context["finder"], context["found_count"] = finder, found_count
        context["found"] = None if found is None else with_case_status(found)
        context["names_shown"] = not need_to_know(user)
    if policy.is_case_side(user):
        referrals = referral_list(user=user)
        # Crisis first on every list (then the longest waiting, the hold ending first).
        context["awaiting"] = crisis_first(
            referrals.filter(status=Referral.Status.PENDING), "created_at"
        )[:20]
        context["holds"] = crisis_first(
            referrals.filter(status=Referral.Status.ACCEPTED), "hold_expires_at"
        )[:20]
        context["bed_alerts"] = notification_list(user=user, unread_only=True).filter(
            kind=Notification.Kind.BED_OPENED
        )[:10]
        context["follow_ups_due"] = follow_ups_due(user=user)
        context["duties"] = [(d, d.status_at(now)) for d in duties_open_for(user=user)]
    if user.role == Role.MDT_MEMBER:
        context["to_review"] = review_queue(user=user)
        context["plans_to_review"] = batches_to_review(user=user)[:20]
    if user.role in (Role.HOME_ADMIN, Role.ADMIN):
        context["homes"] = [(h, is_stale(h, now)) for h in homes_editable(user=user)[:50]]
        if user.role == Role.HOME_ADMIN:
            context["to_answer"] = crisis_first(
                referral_list(user=user, filters={"status": Referral.Status.PENDING}),
                "created_at",
            )[:20]
    if "survivors" in context:
        # Each row's status as the case reads it ("Approved: ready to refer"), in one query.
        context["survivors"] = with_case_status(context["survivors"])
    searched = context.get("finder")
    status = 400 if searched is not None and searched.errors else 200
    return render(request, "desk/dashboard.html", context, status=status)


def on_call_cases(*, user) -> list[Survivor]:
    """The agency's open crisis cases (every agency's, for an admin): what the supervisor
    on call hands over at the end of a night, with each case's workers. The children
    still without a home of their own come first (an interim stay is still seeking),
    then the placed; oldest first in each."""
    return with_case_status(
        Survivor.objects.visible_to(user)
        .filter(urgency="crisis")
        .exclude(status=Status.DISCHARGED)
        .select_related("agency")
        .prefetch_related("assigned_workers")
        .annotate(placed=Case(When(status=Status.PLACED, then=1), default=0))
        .order_by("placed", "created_at", "id")[:200]
    )


@login_required
def on_call(request: AuthedHttpRequest) -> HttpResponse:
    """The supervisor's on-call view: the agency's open crisis cases, who has each, and a
    hand-off for each. Each case listed is audited as read."""
    user = request.user
    if not (user.is_harbor_admin or user.role == Role.SUPERVISOR):
        raise PermissionDenied(_("The on-call view is for the agency's supervisors."))
    cases = on_call_cases(user=user)
    survivor_record_reads(actor=user, survivors=cases, ip=request_ip(request))
    return render(request, "desk/on_call.html", {"cases": cases, "now": timezone.now()})
