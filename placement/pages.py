"""The workflow's own pages: a recommendation (and its print packet) and a referral.
They read through the `visible_to` querysets and audit each read; what a user may do
on them comes from `placement.policy`, the rule the services apply. The pages that
gather the workflow with the other apps (each role's home page, a child's case page,
the home admin's page) live in `desk`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_reads, request_ip
from core.errors import NotFound
from core.types import AuthedHttpRequest
from core.vocab import phone_uri
from placement import policy
from placement.forms import AnswerByPhoneForm, WithdrawForm
from placement.models import Recommendation, Referral
from placement.selectors import (
    home_stability,
    recommendation_get,
    recommendation_referred,
    referral_get,
    referral_reach,
)
from placement.serializers import ReferralSerializer, child_of
from placement.services.rules import live_failures


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
    # Not once its referral went (or the home said no): the page offers no
    # "Send referral" the service would refuse.
    may_refer = (
        policy.may_act_on_case(user, recommendation.survivor_id)
        and recommendation.status
        in (Recommendation.Status.PENDING_REVIEW, Recommendation.Status.APPROVED)
        and not recommendation_referred(recommendation)
    )
    # Nor when the home no longer fits the child (a new exclusion zone, a full home):
    # the page says why, from the live rows, as the refusal would.
    now_failing = live_failures(recommendation.survivor, recommendation.home) if may_refer else []
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
            "may_refer": may_refer and not now_failing,
            "now_failing": now_failing,
            "referrals": recommendation.referrals.select_related("home"),
            # A crisis override the MDT still reviews though the child already arrived.
            "after_placement": pending
            and recommendation.crisis_override
            and recommendation.referrals.filter(status=Referral.Status.PLACED).exists(),
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
            # The case worker records an answer the home gave by phone.
            "answer_form": (
                AnswerByPhoneForm(accepted=referral.status == "accepted") if may_act else None
            ),
            # Who at the home was told, and how: never "notified" when nobody was.
            "reach": referral_reach(referral) if not home_side else "",
            "placement": getattr(referral, "placement", None),
            "now": timezone.now(),
        },
    )
