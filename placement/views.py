"""The workflow's form posts: propose, review, refer, accept, decline, withdraw, place,
discharge, waitlist. Each is a Django form (the API serializer's fields and limits) →
`policy.attempt` (the one door: the service decides, a refusal is audited once) →
redirect. A record the user may not see is 404 and a role that may not act is 403,
exactly as the API answers; a state that does not allow it is a message on the page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import request_ip
from core.errors import DomainError, Forbidden, NotFound
from core.messages import form_error_messages
from core.types import AuthedHttpRequest
from matching.views import survivor_search_with_proposal
from placement import policy, services
from placement.forms import (
    DeclineForm,
    DischargeForm,
    EmptyForm,
    ProposeForm,
    ReferForm,
    ReviewForm,
    WithdrawForm,
)
from placement.models import Placement, Recommendation, Referral
from placement.pages import visible_or_404
from survivors.forms import IntakeEditForm, IntakeForm
from survivors.models import Survivor
from survivors.policy import may_edit
from survivors.services import survivor_record_reads
from survivors.views import intake_page, refused_fields


def post_or_back(page: str, key: str) -> Callable:
    """A form post that a GET (a sign-in that came back to this URL after the session
    ran out, a reload) answers with the page the form is on, instead of a bare 405."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: AuthedHttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method == "GET":
                messages.info(request, "Nothing was changed: tap the button again to do it.")
                return redirect(page, **{key: kwargs[key]})
            return require_POST(view)(request, **kwargs)

        return wrapper

    return decorate


def submit(
    request: AuthedHttpRequest,
    form_class: type[forms.Form],
    service: Callable[..., Any],
    *,
    model: type[models.Model],
    object_id: int,
    action: str,
    success: str | None,
    **ids: Any,
) -> Any:
    """Check the record is visible (404, audited), clean the form, run the service
    through the one door. Returns the service's result, or None after a refusal shown
    as a message."""
    visible_or_404(request, model, object_id, action)
    form = form_class(request.POST)
    if not form.is_valid():
        form_error_messages(request, form.errors)
        return None
    try:
        result = policy.attempt(
            service,
            actor=request.user,
            model=model,
            object_id=object_id,
            action=action,
            ip=request_ip(request),
            **ids,
            # A page's confirmation box is the page's own: the service never sees it.
            **{k: v for k, v in form.cleaned_data.items() if k != "confirm"},
        )
    except NotFound as exc:
        raise Http404 from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.reason) from exc
    except DomainError as exc:
        messages.error(request, exc.reason)
    except ValidationError as exc:
        form_error_messages(request, exc.message_dict)
    else:
        if success:
            messages.success(request, success)
        return result
    return None


@login_required
@post_or_back("survivor-search", "survivor_id")
def propose(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    """Propose up to three homes from the search, each a recommendation for the MDT."""
    visible_or_404(request, Survivor, survivor_id, "recommendation.create")
    form = ProposeForm(request.POST)
    if not form.is_valid():
        # The search again with the homes still ticked and the error beside the field.
        return survivor_search_with_proposal(request, survivor_id, form)
    proposed = []
    for home_id in form.cleaned_data["homes"]:
        recommendation = submit(
            request,
            _ProposeOne,
            services.recommendation_create,
            model=Survivor,
            object_id=survivor_id,
            action="recommendation.create",
            success=None,
            survivor_id=survivor_id,
            home_id=home_id,
        )
        if recommendation is not None:
            proposed.append(recommendation.home.name)
    if proposed:
        # One banner for the whole proposal, naming each home.
        homes = (
            proposed[0] if len(proposed) == 1 else ", ".join(proposed[:-1]) + " and " + proposed[-1]
        )
        messages.success(request, f"Proposed to the MDT: {homes}. The team is notified.")
    return redirect("survivor-page", survivor_id=survivor_id)


class _ProposeOne(forms.Form):
    """One home of a proposal: the rationale, already checked by ProposeForm."""

    rationale = ProposeForm.base_fields["rationale"]


@login_required
@post_or_back("recommendation-page", "recommendation_id")
def review(request: AuthedHttpRequest, recommendation_id: int) -> HttpResponse:
    submit(
        request,
        ReviewForm,
        services.review_create,
        model=Recommendation,
        object_id=recommendation_id,
        action="review.create",
        success="Your review is recorded; the case worker is notified.",
        recommendation_id=recommendation_id,
    )
    return redirect("recommendation-page", recommendation_id=recommendation_id)


@login_required
@post_or_back("recommendation-page", "recommendation_id")
def refer(request: AuthedHttpRequest, recommendation_id: int) -> HttpResponse:
    referral = submit(
        request,
        ReferForm,
        services.referral_create,
        model=Recommendation,
        object_id=recommendation_id,
        action="referral.create",
        success="Referral sent: the home is notified.",
        recommendation_id=recommendation_id,
    )
    if referral is not None:
        if referral.crisis_override:
            messages.info(request, "The MDT reviews the crisis override after the fact.")
        return redirect("referral-page", referral_id=referral.pk)
    return redirect("recommendation-page", recommendation_id=recommendation_id)


def _referral_action(
    name: str, action: str, form_class: type[forms.Form], service: Callable, success: str
) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    @post_or_back("referral-page", "referral_id")
    def view(request: AuthedHttpRequest, referral_id: int) -> HttpResponse:
        submit(
            request,
            form_class,
            service,
            model=Referral,
            object_id=referral_id,
            action=action,
            success=success,
            referral_id=referral_id,
        )
        return redirect("referral-page", referral_id=referral_id)

    view.__name__ = f"referral_{name}_view"
    return view


accept = _referral_action(
    "accept",
    "referral.accept",
    EmptyForm,
    services.referral_accept,
    "Accepted: the beds are held for this child.",
)
decline = _referral_action(
    "decline",
    "referral.decline",
    DeclineForm,
    services.referral_decline,
    "Declined; the case worker is notified.",
)
place = _referral_action(
    "place",
    "placement.create",
    EmptyForm,
    services.referral_place,
    "Arrival confirmed: the child is placed.",
)
withdraw = _referral_action(
    "withdraw", "referral.withdraw", WithdrawForm, services.referral_withdraw, "Referral withdrawn."
)


@login_required
@require_POST
def discharge(request: AuthedHttpRequest, placement_id: int) -> HttpResponse:
    done = submit(
        request,
        DischargeForm,
        services.placement_discharge,
        model=Placement,
        object_id=placement_id,
        action="placement.discharge",
        success="Discharged: the beds are free again.",
        placement_id=placement_id,
    )
    survivor_id = Placement.objects.filter(pk=placement_id).values_list("survivor_id", flat=True)
    return redirect("survivor-page", survivor_id=done.survivor_id if done else survivor_id.get())


@login_required
@post_or_back("survivor-page", "survivor_id")
def waitlist(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    submit(
        request,
        EmptyForm,
        services.survivor_waitlist,
        model=Survivor,
        object_id=survivor_id,
        action="waitlist.add",
        success="On the waitlist: you will be told when a bed opens that fits.",
        survivor_id=survivor_id,
    )
    return redirect("survivor-page", survivor_id=survivor_id)


@login_required
@require_http_methods(["GET", "POST"])
def survivor_edit(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    """Complete or correct an intake (identity, alias, needs, ICPC states, exclusion
    zones, notes) on the intake's own form. It saves through `case_update`, as the API's
    PATCH does: audited, and an open referral or hold the child no longer fits is
    withdrawn at once. Who may: as for the API (a role that sees but may not edit: 403)."""
    ip = request_ip(request)
    editing = request.method == "POST"
    action = "survivor.update" if editing else "survivor.read"
    survivor = visible_or_404(request, Survivor, survivor_id, action)
    if not may_edit(request.user):
        policy.refuse(
            actor=request.user, model=Survivor, object_id=survivor.pk, action=action, ip=ip
        )
        raise PermissionDenied("Your role may read this record but not change it.")
    if not editing:
        survivor_record_reads(actor=request.user, survivors=[survivor], ip=ip)
        values = IntakeForm.values_of(survivor, today=timezone.localdate())
        return intake_page(request, values=values, errors={}, survivor=survivor)
    form = IntakeEditForm(request.POST, survivor=survivor)
    refused: dict[str, str] = {}
    if form.is_valid():
        try:
            policy.attempt(
                services.case_update,
                actor=request.user,
                model=Survivor,
                object_id=survivor.pk,
                action=action,
                ip=ip,
                survivor_id=survivor.pk,
                data=form.record_data(),
            )
        except NotFound as exc:
            raise Http404 from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.reason) from exc
        except DomainError as exc:
            refused = {"__all__": exc.reason}
        except ValidationError as exc:
            refused = refused_fields(exc)
        else:
            messages.success(request, "Intake saved.")
            return redirect("survivor-page", survivor_id=survivor.pk)
    errors = {**form.errors_by_field(), **refused}
    return intake_page(request, values=form.display_values(), errors=errors, survivor=survivor)
