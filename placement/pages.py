"""Pages that gather the workflow with the other apps: each role's home page, a
survivor's case page, a recommendation (and its print packet), a referral, and the
home admin's page. They read through the `visible_to` querysets and audit each read;
what a user may do on them comes from `placement.policy`, the rule the services apply."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_reads, request_ip
from core.errors import NotFound
from homes.models import Home
from homes.selectors import homes_editable
from notifications.models import Notification
from notifications.selectors import notification_list
from placement import policy
from placement.forms import DischargeForm
from placement.models import Recommendation, Referral
from placement.selectors import recommendation_get, referral_get, referral_list
from placement.serializers import child_of
from survivors.models import Survivor
from survivors.policy import may_read_audit, need_to_know
from survivors.selectors import survivor_list, survivor_status_counts
from survivors.services import survivor_record_reads


def _stale(home: Home, now) -> bool:
    updated = home.availability_updated_at
    return updated is None or now - updated > timedelta(hours=settings.AVAILABILITY_STALE_HOURS)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What needs the signed-in user now, by role."""
    user = request.user
    now = timezone.now()
    context: dict[str, object] = {"now": now}
    if user.role in (Role.CASE_WORKER, Role.SUPERVISOR, Role.MDT_MEMBER, Role.ADMIN):
        context["status_counts"] = survivor_status_counts(user=user)
        context["survivors"] = survivor_list(user=user)[:25]
    if policy.is_case_side(user):
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
            Recommendation.objects.visible_to(user)
            .filter(status=Recommendation.Status.PENDING_REVIEW, team_id=user.team_id)
            .exclude(reviews__reviewer=user)
            .select_related("home", "survivor")
            .order_by("created_at")[:20]
        )
    if user.role in (Role.HOME_ADMIN, Role.ADMIN):
        context["homes"] = [(h, _stale(h, now)) for h in homes_editable(user=user)[:50]]
        if user.role == Role.HOME_ADMIN:
            context["to_answer"] = referral_list(
                user=user, filters={"status": Referral.Status.PENDING}
            ).order_by("created_at")[:20]
    return render(request, "placement/dashboard.html", context)


def visible_or_404(request: HttpRequest, model, object_id: int, action: str):
    """The record the user may see; otherwise the refusal is audited and the page is a 404
    (the same as for no record). Pages and form posts alike start here."""
    try:
        return policy.visible_or_refuse(
            actor=request.user,
            model=model,
            object_id=object_id,
            action=action,
            ip=request_ip(request),
        )
    except NotFound as exc:
        raise Http404 from exc


def _shown(request: HttpRequest, found, model, object_id: int, action: str):
    """A workflow record fetched for a page (None when the user may not see it): the read
    is audited on the child's trail, or the refusal is, and the page is a 404."""
    ip = request_ip(request)
    if found is None:
        policy.refuse(actor=request.user, model=model, object_id=object_id, action=action, ip=ip)
        raise Http404
    audit_reads(actor=request.user, objects=[found], action=action, ip=ip)
    return found


@login_required
def survivor_page(request: HttpRequest, survivor_id: int) -> HttpResponse:
    """A child's case: needs, history, recommendations, referrals and placement."""
    survivor = visible_or_404(request, Survivor, survivor_id, "survivor.read")
    survivor_record_reads(
        actor=request.user, survivors=[survivor], ip=request_ip(request), action="survivor.read"
    )
    user = request.user
    may_act = policy.may_act_on_case(user, survivor.pk)
    return render(
        request,
        "placement/survivor.html",
        {
            "survivor": survivor,
            "age": survivor.age_on(timezone.localdate()),
            "need_to_know": need_to_know(user),
            "status_changes": survivor.status_changes.select_related("by"),
            "searches": survivor.searches.select_related("searched_by")[:5],
            "recommendations": survivor.recommendations.select_related("home"),
            "referrals": survivor.referrals.select_related("home"),
            "placement": survivor.placements.filter(ended_at__isnull=True)
            .select_related("home")
            .first(),
            "discharge_form": DischargeForm() if may_act else None,
            "now": timezone.now(),
            "can_audit": may_read_audit(user),
            "can_search": user.is_harbor_admin or policy.is_case_side(user),
        },
    )


@login_required
def recommendation_page(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    """What the worker saw, frozen, with the rationale and the team's reviews."""
    recommendation = _shown(
        request,
        recommendation_get(user=request.user, recommendation_id=recommendation_id),
        Recommendation,
        recommendation_id,
        "recommendation.read",
    )
    user = request.user
    reviews = list(recommendation.reviews.all())
    pending = recommendation.status == Recommendation.Status.PENDING_REVIEW
    template = "placement/recommendation.html"
    if request.GET.get("print"):
        template = "placement/recommendation_print.html"
    return render(
        request,
        template,
        {
            "rec": recommendation,
            "survivor": recommendation.survivor,
            "reviews": reviews,
            "approvals": sum(1 for r in reviews if r.decision == "approve"),
            "may_review": pending
            and policy.may_review(user, recommendation)
            and all(r.reviewer_id != user.pk for r in reviews),
            "may_refer": policy.may_act_on_case(user, recommendation.survivor_id)
            and recommendation.status
            in (Recommendation.Status.PENDING_REVIEW, Recommendation.Status.APPROVED),
            "referrals": recommendation.referrals.select_related("home"),
            "needs": recommendation.needs,
            "profile": recommendation.home_profile,
            "now": timezone.now(),
        },
    )


@login_required
def referral_page(request: HttpRequest, referral_id: int) -> HttpResponse:
    """A home admin sees the child de-identified until they accept; an MDT member never
    sees who the child is; the case side sees all."""
    referral = _shown(
        request,
        referral_get(user=request.user, referral_id=referral_id),
        Referral,
        referral_id,
        "referral.read",
    )
    user = request.user
    return render(
        request,
        "placement/referral.html",
        {
            "referral": referral,
            "home_side": user.role == Role.HOME_ADMIN,
            "identified": policy.may_see_identity(user, referral),
            "may_answer": policy.may_answer(user, referral),
            "may_act": policy.may_act_on_case(user, referral.survivor_id),
            "child": child_of(referral.survivor),
            "worker": referral.referred_by,
            "reason_codes": Referral.ReasonCode.choices,
            "placement": getattr(referral, "placement", None),
            "now": timezone.now(),
        },
    )


@login_required
def home_manage(request: HttpRequest, home_id: int) -> HttpResponse:
    """The home admin's page: beds and staff in two taps, the history, its referrals."""
    home = homes_editable(user=request.user).filter(pk=home_id).first()
    if home is None:
        raise Http404
    now = timezone.now()
    return render(
        request,
        "placement/home_manage.html",
        {
            "home": home,
            # The home reports what it physically has free; beds held for children on
            # their way count as free there, so the taps start at the held number.
            "bed_choices": range(home.beds_held, home.licensed_beds + 1),
            "physically_free": home.available_beds + home.beds_held,
            # Room to add staff as well as to lose them: the staffing rule counts them.
            "staff_choices": range(0, max(home.staff_on_duty + 4, 8) + 1),
            "history": home.availability_changes.select_related("by")[:20],
            "referrals": referral_list(user=request.user, filters={"home": home})[:20],
            "now": now,
            "stale": _stale(home, now),
        },
    )
