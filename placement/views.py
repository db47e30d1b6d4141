"""The workflow's form posts: review, refer, accept, decline, withdraw, place,
discharge, waitlist (the proposal from a child's search is on their case: desk.cases,
through the same `submit`). Each is a Django form (the API serializer's fields and limits) →
`policy.attempt` (the one door: the service decides, a refusal is audited once) →
redirect. A record the user may not see is 404 and a role that may not act is 403,
exactly as the API answers; a state that does not allow it is a message on the page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audit.services import request_ip
from core.errors import DomainError, Forbidden, NotFound
from core.messages import form_error_messages
from core.types import AuthedHttpRequest
from placement import policy, services
from placement.forms import (
    AnswerByPhoneForm,
    DeclineForm,
    DischargeForm,
    EmptyForm,
    KeepApartForm,
    ReferForm,
    ReviewForm,
    WithdrawForm,
)
from placement.models import Placement, Recommendation, Referral
from placement.pages import visible_or_404
from placement.selectors import referral_reach
from survivors.models import Survivor

if TYPE_CHECKING:  # a lazy translation, as django-stubs types it
    from django.utils.functional import _StrPromise as StrPromise


def post_or_back(page: str, key: str) -> Callable:
    """A form post that a GET (a sign-in that came back to this URL after the session
    ran out, a reload) answers with the page the form is on, instead of a bare 405."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: AuthedHttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method == "GET":
                messages.info(request, _("Nothing was changed: tap the button again to do it."))
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
    success: str | StrPromise | None,
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
@post_or_back("recommendation-page", "recommendation_id")
def review(request: AuthedHttpRequest, recommendation_id: int) -> HttpResponse:
    submit(
        request,
        ReviewForm,
        services.review_create,
        model=Recommendation,
        object_id=recommendation_id,
        action="review.create",
        success=_("Your review is recorded; the case worker is notified."),
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
        success=None,
        recommendation_id=recommendation_id,
    )
    if referral is not None:
        # Who was reached and how: never "the home is notified" when nobody was.
        reach = referral_reach(referral)
        messages.success(request, gettext("Referral sent. %(reach)s") % {"reach": reach})
        if referral.crisis_override:
            messages.info(request, _("The MDT reviews the crisis override after the fact."))
        return redirect("referral-page", referral_id=referral.pk)
    return redirect("recommendation-page", recommendation_id=recommendation_id)


def _referral_action(
    name: str,
    action: str,
    form_class: type[forms.Form],
    service: Callable,
    success: str | StrPromise,
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
    _("Accepted: the beds are held for this child."),
)
decline = _referral_action(
    "decline",
    "referral.decline",
    DeclineForm,
    services.referral_decline,
    _("Declined; the case worker is notified."),
)
place = _referral_action(
    "place",
    "placement.create",
    EmptyForm,
    services.referral_place,
    _("Arrival confirmed: the child is placed."),
)
record_answer = _referral_action(
    "record_answer",
    "referral.record_answer",
    AnswerByPhoneForm,
    services.referral_record_answer,
    _("The home's answer is recorded, marked as given by phone."),
)
withdraw = _referral_action(
    "withdraw",
    "referral.withdraw",
    WithdrawForm,
    services.referral_withdraw,
    _("Referral withdrawn."),
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
        success=_("Discharged: the beds are free again."),
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
        success=_("On the waitlist: you will be told when a bed opens that fits."),
        survivor_id=survivor_id,
    )
    return redirect("survivor-page", survivor_id=survivor_id)


def _other_child(request: AuthedHttpRequest, survivor: Survivor, case_number: str) -> int | None:
    """The child this user may see with that case number (her agency's first): never a
    hint that a child the user may not see exists."""
    found = list(
        Survivor.objects.visible_to(request.user)
        .filter(case_number=case_number.strip())
        .exclude(pk=survivor.pk)
        .values_list("pk", "agency_id")
    )
    same_agency = [pk for pk, agency in found if agency == survivor.agency_id]
    if len(same_agency) == 1:
        return same_agency[0]
    return found[0][0] if len(found) == 1 else None


@login_required
@post_or_back("survivor-page", "survivor_id")
def keep_apart(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    """Keep this child apart from another, named by case number (the page's form of
    `POST survivors/{id}/keep-apart/`)."""
    survivor = visible_or_404(request, Survivor, survivor_id, "survivor.keep_apart")
    form = KeepApartForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form.errors)
        return redirect("survivor-page", survivor_id=survivor_id)
    other_id = _other_child(request, survivor, form.cleaned_data["case_number"])
    if other_id is None:
        messages.error(
            request,
            _("No child you can see has case number %(number)s.")
            % {"number": form.cleaned_data["case_number"]},
        )
        return redirect("survivor-page", survivor_id=survivor_id)
    try:
        policy.attempt(
            services.keep_apart_create,
            actor=request.user,
            model=Survivor,
            object_id=survivor_id,
            action="survivor.keep_apart",
            ip=request_ip(request),
            survivor_id=survivor_id,
            other_id=other_id,
            reason=form.cleaned_data["reason"],
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
        messages.success(
            request,
            _(
                "Kept apart: no search offers, and no referral goes to, a home where the "
                "other child is placed, held or referred."
            ),
        )
    return redirect("survivor-page", survivor_id=survivor_id)


@login_required
@post_or_back("survivor-page", "survivor_id")
def keep_apart_end(request: AuthedHttpRequest, survivor_id: int, other_id: int) -> HttpResponse:
    submit(
        request,
        EmptyForm,
        services.keep_apart_end,
        model=Survivor,
        object_id=survivor_id,
        action="survivor.keep_apart_end",
        success=_("The two children are no longer kept apart."),
        survivor_id=survivor_id,
        other_id=other_id,
    )
    return redirect("survivor-page", survivor_id=survivor_id)
