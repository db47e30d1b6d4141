"""The workflow pages: propose, review (and its print packet), refer, answer, place,
discharge, waitlist. Form → service → redirect; the services decide what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from audit.services import request_ip
from matching.models import Placement, Recommendation, Referral
from matching.selectors import placement_get, recommendation_get, referral_get
from matching.services import (
    placement_discharge,
    recommendation_create,
    referral_accept,
    referral_create,
    referral_decline,
    referral_place,
    referral_withdraw,
    review_create,
    survivor_waitlist,
    workflow_record_denied,
    workflow_record_reads,
)
from matching.workflow_serializers import child_of
from placement.errors import DomainError, NotFound

MAX_PARALLEL_REFERRALS = 3


def _attempt(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Run a service; its refusal becomes a message the user reads on the next page."""
    try:
        result = action()
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.reason)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            label = "" if field == "__all__" else f"{field.replace('_', ' ').capitalize()}: "
            messages.error(request, label + " ".join(errors))
    else:
        messages.success(request, success)
        return result
    return None


def _seen(request: HttpRequest, getter, model, object_id: int, action: str):
    """Fetch a workflow record the user may see, auditing the read (or the refusal)."""
    found = getter(user=request.user, **{f"{model._meta.model_name}_id": object_id})
    if found is None:
        workflow_record_denied(
            actor=request.user,
            model=model,
            object_id=object_id,
            action=action,
            ip=request_ip(request),
        )
        raise Http404
    workflow_record_reads(
        actor=request.user, objects=[found], action=action, ip=request_ip(request)
    )
    return found


@login_required
@require_POST
def propose(request: HttpRequest, survivor_id: int) -> HttpResponse:
    """Propose up to three homes from the search, each a recommendation for the MDT."""
    home_ids = [h for h in request.POST.getlist("homes") if h.isdigit()][:MAX_PARALLEL_REFERRALS]
    rationale = request.POST.get("rationale", "").strip()
    if not home_ids:
        messages.error(request, "Tick at least one home to propose (up to three).")
        return redirect("survivor-search", survivor_id=survivor_id)
    if len(request.POST.getlist("homes")) > MAX_PARALLEL_REFERRALS:
        messages.error(request, "Propose at most three homes at once; the first three were kept.")
    for home_id in home_ids:
        _attempt(
            request,
            lambda home_id=home_id: recommendation_create(
                actor=request.user,
                survivor_id=survivor_id,
                home_id=int(home_id),
                rationale=rationale,
                ip=request_ip(request),
            ),
            "Proposed to the MDT: the team is notified.",
        )
    return redirect("survivor-page", survivor_id=survivor_id)


@login_required
def recommendation_page(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    """What the worker saw, frozen, with the rationale and the team's reviews."""
    recommendation = _seen(
        request, recommendation_get, Recommendation, recommendation_id, "recommendation.read"
    )
    return render(request, _template(request), _recommendation_context(request, recommendation))


def _template(request: HttpRequest) -> str:
    if request.GET.get("print"):
        return "matching/recommendation_print.html"
    return "matching/recommendation.html"


def _recommendation_context(request: HttpRequest, recommendation: Recommendation) -> dict:
    user = request.user
    reviews = list(recommendation.reviews.select_related("reviewer"))
    approvals = sum(1 for r in reviews if r.decision == "approve")
    may_review = (
        user.role == Role.MDT_MEMBER
        and user.team_id == recommendation.team_id
        and recommendation.status == Recommendation.Status.PENDING_REVIEW
        and all(r.reviewer_id != user.pk for r in reviews)
    )
    may_refer = user.role in (Role.CASE_WORKER, Role.SUPERVISOR) and recommendation.status in (
        Recommendation.Status.PENDING_REVIEW,
        Recommendation.Status.APPROVED,
    )
    return {
        "rec": recommendation,
        "survivor": recommendation.survivor,
        "reviews": reviews,
        "approvals": approvals,
        "may_review": may_review,
        "may_refer": may_refer,
        "referrals": recommendation.referrals.select_related("home"),
        "needs": recommendation.needs,
        "profile": recommendation.home_profile,
        "now": timezone.now(),
    }


@login_required
@require_POST
def review(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    _attempt(
        request,
        lambda: review_create(
            actor=request.user,
            recommendation_id=recommendation_id,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            ip=request_ip(request),
        ),
        "Your review is recorded; the case worker is notified.",
    )
    return redirect("recommendation-page", recommendation_id=recommendation_id)


@login_required
@require_POST
def refer(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    override = request.POST.get("crisis_override") == "on"
    referral = _attempt(
        request,
        lambda: referral_create(
            actor=request.user,
            recommendation_id=recommendation_id,
            crisis_override=override,
            justification=request.POST.get("justification", ""),
            ip=request_ip(request),
        ),
        "Referral sent: the home is notified."
        + (" The MDT reviews the crisis override after the fact." if override else ""),
    )
    if referral is not None:
        return redirect("referral-page", referral_id=referral.pk)
    return redirect("recommendation-page", recommendation_id=recommendation_id)


@login_required
def referral_page(request: HttpRequest, referral_id: int) -> HttpResponse:
    """A home admin sees the child de-identified until they accept; the case side sees all."""
    referral = _seen(request, referral_get, Referral, referral_id, "referral.read")
    home_side = request.user.role == Role.HOME_ADMIN
    return render(
        request,
        "matching/referral.html",
        {
            "referral": referral,
            "home_side": home_side,
            "identified": not home_side or referral.identified,
            "child": child_of(referral.survivor),
            "worker": referral.referred_by,
            "reason_codes": Referral.ReasonCode.choices,
            "end_reasons": Placement.EndReason.choices,
            "placement": getattr(referral, "placement", None),
            "now": timezone.now(),
        },
    )


def _referral_action(name: str, service, success: str):
    @login_required
    @require_POST
    def view(request: HttpRequest, referral_id: int) -> HttpResponse:
        extra: dict[str, Any] = {}
        if name == "decline":
            extra = {
                "reason_code": request.POST.get("reason_code", ""),
                "comment": request.POST.get("comment", ""),
            }
        elif name == "withdraw":
            extra = {"reason": request.POST.get("reason", "")}
        if referral_get(user=request.user, referral_id=referral_id) is None:
            workflow_record_denied(
                actor=request.user,
                model=Referral,
                object_id=referral_id,
                action=f"referral.{name}",
                ip=request_ip(request),
            )
            raise Http404
        _attempt(
            request,
            lambda: service(
                actor=request.user, referral_id=referral_id, ip=request_ip(request), **extra
            ),
            success,
        )
        return redirect("referral-page", referral_id=referral_id)

    view.__name__ = f"referral_{name}_view"
    return view


accept = _referral_action("accept", referral_accept, "Accepted: the beds are held for this child.")
decline = _referral_action("decline", referral_decline, "Declined; the case worker is notified.")
place = _referral_action("place", referral_place, "Arrival confirmed: the child is placed.")
withdraw = _referral_action("withdraw", referral_withdraw, "Referral withdrawn.")


@login_required
@require_POST
def discharge(request: HttpRequest, placement_id: int) -> HttpResponse:
    placement = placement_get(user=request.user, placement_id=placement_id)
    if placement is None:
        workflow_record_denied(
            actor=request.user,
            model=Placement,
            object_id=placement_id,
            action="placement.discharge",
            ip=request_ip(request),
        )
        raise Http404
    _attempt(
        request,
        lambda: placement_discharge(
            actor=request.user,
            placement_id=placement_id,
            end_reason=request.POST.get("end_reason", ""),
            comment=request.POST.get("comment", ""),
            ip=request_ip(request),
        ),
        "Discharged: the beds are free again.",
    )
    return redirect("survivor-page", survivor_id=placement.survivor_id)


@login_required
@require_POST
def waitlist(request: HttpRequest, survivor_id: int) -> HttpResponse:
    _attempt(
        request,
        lambda: survivor_waitlist(
            actor=request.user, survivor_id=survivor_id, ip=request_ip(request)
        ),
        "On the waitlist: you will be told when a bed opens that fits.",
    )
    return redirect("survivor-page", survivor_id=survivor_id)
