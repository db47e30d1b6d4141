"""Pages that gather the workflow with the other apps: each role's home page, a
survivor's case page, a recommendation (and its print packet), a referral, and the
home admin's page. They read through the `visible_to` querysets and audit each read;
what a user may do on them comes from `placement.policy`, the rule the services apply."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_reads, request_ip
from core.errors import NotFound
from core.types import AuthedHttpRequest
from core.vocab import phone_uri
from homes.models import Home
from homes.selectors import homes_editable
from notifications.models import Notification
from notifications.selectors import notification_list
from placement import policy
from placement.forms import DischargeForm, FollowUpForm, WithdrawForm
from placement.models import Recommendation, Referral
from placement.selectors import (
    case_status,
    case_status_counts,
    follow_ups_due,
    home_stability,
    recommendation_get,
    recommendation_referred,
    recommendations_ready_to_refer,
    referral_get,
    referral_list,
    review_queue,
    survivor_follow_ups,
    with_case_status,
)
from placement.serializers import ReferralSerializer, child_of
from placement.services.batch_reviews import batches_to_review
from survivors.forms import CaseSearchForm
from survivors.models import Survivor
from survivors.policy import may_read_audit, need_to_know
from survivors.selectors import survivor_list
from survivors.services import survivor_record_reads
from survivors.views import case_search


def _stale(home: Home, now) -> bool:
    updated = home.availability_updated_at
    return updated is None or now - updated > timedelta(hours=settings.AVAILABILITY_STALE_HOURS)


@login_required
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    """What needs the signed-in user now, by role."""
    user = request.user
    now = timezone.now()
    context: dict[str, object] = {"now": now}
    survivors: Iterable[Survivor] | None = None
    finder: CaseSearchForm | None = None
    if user.role in (Role.CASE_WORKER, Role.SUPERVISOR, Role.MDT_MEMBER, Role.ADMIN):
        context["status_counts"] = case_status_counts(user=user)
        survivors = survivor_list(user=user)[:25]
        # Find a case (GET): by case number, alias or name (MDT members: number only).
        finder, found, found_count = case_search(request)
        context["finder"], context["found_count"] = finder, found_count
        context["found"] = None if found is None else with_case_status(found)
        context["names_shown"] = not need_to_know(user)
    if policy.is_case_side(user):
        referrals = referral_list(user=user)
        context["awaiting"] = referrals.filter(status=Referral.Status.PENDING)[:20]
        context["holds"] = referrals.filter(status=Referral.Status.ACCEPTED).order_by(
            "hold_expires_at"
        )[:20]
        context["bed_alerts"] = notification_list(user=user, unread_only=True).filter(
            kind=Notification.Kind.BED_OPENED
        )[:10]
        context["follow_ups_due"] = follow_ups_due(user=user)
    if user.role == Role.MDT_MEMBER:
        context["to_review"] = review_queue(user=user)
        context["plans_to_review"] = batches_to_review(user=user)[:20]
    if user.role in (Role.HOME_ADMIN, Role.ADMIN):
        context["homes"] = [(h, _stale(h, now)) for h in homes_editable(user=user)[:50]]
        if user.role == Role.HOME_ADMIN:
            context["to_answer"] = referral_list(
                user=user, filters={"status": Referral.Status.PENDING}
            ).order_by("created_at")[:20]
    if survivors is not None:
        # Each row's status as the case reads it ("Approved: ready to refer"), in one query.
        context["survivors"] = with_case_status(survivors)
    status = 400 if finder is not None and finder.errors else 200
    return render(request, "placement/dashboard.html", context, status=status)


def visible_or_404(request: AuthedHttpRequest, model, object_id: int, action: str):
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


def _shown(request: AuthedHttpRequest, found, model, object_id: int, action: str):
    """A workflow record fetched for a page (None when the user may not see it): the read
    is audited on the child's trail, or the refusal is, and the page is a 404."""
    ip = request_ip(request)
    if found is None:
        policy.refuse(actor=request.user, model=model, object_id=object_id, action=action, ip=ip)
        raise Http404
    audit_reads(actor=request.user, objects=[found], action=action, ip=ip)
    return found


@login_required
def survivor_page(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
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
            "case_status": case_status(
                survivor,
                ready_to_refer=recommendations_ready_to_refer().filter(survivor=survivor).exists(),
            ),
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
            # Outcomes are the case side's record (MDT members see a home's in aggregate).
            "follow_ups": survivor_follow_ups(survivor)
            if policy.may_read_follow_ups(user, survivor.pk)
            else None,
            "follow_up_form": FollowUpForm() if may_act else None,
            "now": timezone.now(),
            "can_audit": may_read_audit(user),
            "can_search": user.is_harbor_admin or policy.is_case_side(user),
        },
    )


@login_required
def recommendation_page(request: AuthedHttpRequest, recommendation_id: int) -> HttpResponse:
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
            # Not once its referral went (or the home said no): the page offers no
            # "Send referral" the service would refuse.
            "may_refer": policy.may_act_on_case(user, recommendation.survivor_id)
            and recommendation.status
            in (Recommendation.Status.PENDING_REVIEW, Recommendation.Status.APPROVED)
            and not recommendation_referred(recommendation),
            "referrals": recommendation.referrals.select_related("home"),
            "needs": recommendation.needs,
            "profile": recommendation.home_profile,
            # Beside the home, to inform the MDT: the ranking never reads it.
            "stability": home_stability([recommendation.home_id])[recommendation.home_id],
            "now": timezone.now(),
        },
    )


@login_required
def referral_page(request: AuthedHttpRequest, referral_id: int) -> HttpResponse:
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
    home_side = user.role == Role.HOME_ADMIN
    may_act = policy.may_act_on_case(user, referral.survivor_id)
    return render(
        request,
        "placement/referral.html",
        {
            "referral": referral,
            "home_side": home_side,
            "identified": policy.may_see_identity(user, referral),
            # What the API gives the home once it accepted (name, birth date, case number,
            # notes): the same function, so the page never shows more or less.
            "identity": ReferralSerializer(context={"case_side": not home_side}).get_identity(
                referral
            ),
            "may_answer": policy.may_answer(user, referral),
            "may_act": may_act,
            "child": child_of(referral.survivor),
            "worker": referral.referred_by,
            "worker_tel": phone_uri(referral.referred_by.phone),
            "home_tel": phone_uri(referral.home.intake_phone),
            "reason_codes": Referral.ReasonCode.choices,
            "withdraw_form": WithdrawForm() if may_act else None,
            "placement": getattr(referral, "placement", None),
            "now": timezone.now(),
        },
    )


@login_required
def home_manage(request: AuthedHttpRequest, home_id: int) -> HttpResponse:
    """The home admin's page: beds and staff in two taps, the history, its referrals."""
    from homes.selectors import home_staff_choices

    home = homes_editable(user=request.user).filter(pk=home_id).first()
    if home is None:
        raise Http404
    now = timezone.now()
    return render(
        request,
        "placement/home_manage.html",
        {
            "home": home,
            # One bed number on the page: what the home physically has free, beds held
            # for children on their way included, so the taps start at the held number.
            "bed_choices": range(home.beds_held, home.licensed_beds + 1),
            # Taps up to the staff a full home needs, and a number field for more.
            "staff_choices": home_staff_choices(home),
            "history": home.availability_changes.select_related("by")[:20],
            "referrals": referral_list(user=request.user, filters={"home": home})[:20],
            "now": now,
            "stale": _stale(home, now),
        },
    )
