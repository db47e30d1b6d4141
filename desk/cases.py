"""A child's case, in one place: the case page (needs, history, recommendations,
referrals, placement), the intake's edit page, the search for homes and the proposal
made from it. They gather the survivors app, matching and the workflow, so they live
on the top floor; each form post goes through the workflow's one door
(`placement.policy.attempt`), and an edit of the record through the workflow's
`case_update`, which re-checks the child's open referrals and holds."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from audit.services import request_ip
from core.errors import DomainError, Forbidden, NotFound
from core.types import AuthedHttpRequest
from matching.forms import SurvivorSearchForm
from matching.selectors import (
    SEARCH_FIELDS,
    needs_from_fields,
    search_homes,
    survivor_matching_fields,
)
from matching.services import search_record
from matching.views import render_search, results_context
from placement import policy
from placement.forms import (
    DischargeForm,
    DutyCompleteForm,
    FollowUpForm,
    KeepApartForm,
    MissingForm,
    ProposeForm,
    ReturnedForm,
)
from placement.pages import visible_or_404
from placement.selectors import (
    case_status,
    duty_list,
    keep_apart_homes,
    keep_apart_list,
    recommendations_ready_to_refer,
    survivor_follow_ups,
)
from placement.services import case_create, case_update, recommendation_create
from placement.views import post_or_back, submit
from survivors.forms import IntakeEditForm
from survivors.models import Survivor
from survivors.policy import (
    is_case_side,
    may_edit,
    may_read_audit,
    may_reassign,
    need_to_know,
    survivor_or_refuse,
)
from survivors.services import survivor_record_reads
from survivors.views import intake_create, intake_page


@login_required
def intake_new(request: AuthedHttpRequest) -> HttpResponse:
    """A new intake (the survivors app's page), recorded through the workflow's
    `case_create`, which opens the legal duties the intake calls for at once."""
    return intake_create(request, create=case_create)


@login_required
def survivor_page(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    """A child's case: needs, history, recommendations, referrals and placement."""
    survivor = visible_or_404(request, Survivor, survivor_id, "survivor.read")
    survivor_record_reads(
        actor=request.user, survivors=[survivor], ip=request_ip(request), action="survivor.read"
    )
    user = request.user
    may_act = policy.may_act_on_case(user, survivor.pk)
    now = timezone.now()
    open_episode = survivor.missing_episodes.filter(returned_at__isnull=True).first()
    return render(
        request,
        "desk/survivor.html",
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
            "transfers": survivor.placements.filter(end_reason="transfer").select_related(
                "home", "transferred_to__home"
            ),
            "discharge_form": DischargeForm() if may_act else None,
            # Outcomes are the case side's record (MDT members see a home's in aggregate).
            "follow_ups": survivor_follow_ups(survivor)
            if policy.may_read_follow_ups(user, survivor.pk)
            else None,
            "follow_up_form": FollowUpForm() if may_act else None,
            "duties": [
                (duty, duty.status_at(now))
                for duty in duty_list(user=user, survivor_id=survivor.pk)
            ],
            "duty_form": DutyCompleteForm() if may_act else None,
            "missing_form": MissingForm() if may_act else None,
            "returned_form": ReturnedForm() if may_act else None,
            "missing_episode": open_episode,
            # The children she is kept apart from, among those this user may see; the
            # reason names a threat: the case side's, never the MDT's.
            "keep_apart": None
            if need_to_know(user)
            else keep_apart_list(user=user, survivor_id=survivor.pk),
            "keep_apart_form": KeepApartForm() if may_act else None,
            "now": now,
            "can_audit": may_read_audit(user),
            "may_reassign": may_reassign(user, survivor),
            # The latest hand-off's note: for who may read the child's notes (not the MDT).
            "hand_off": None
            if need_to_know(user)
            else survivor.hand_offs.select_related("to_worker", "by").first(),
            "can_search": user.is_harbor_admin or policy.is_case_side(user),
        },
    )


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
        raise PermissionDenied(gettext("Your role may read this record but not change it."))
    if not editing:
        survivor_record_reads(actor=request.user, survivors=[survivor], ip=ip)
        return intake_page(request, form=IntakeEditForm(survivor=survivor), survivor=survivor)
    form = IntakeEditForm(request.POST, survivor=survivor)
    if form.is_valid():
        try:
            policy.attempt(
                case_update,
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
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            messages.success(request, gettext("Intake saved."))
            return redirect("survivor-page", survivor_id=survivor.pk)
    return intake_page(request, form=form, survivor=survivor)


# What the search page reads of the child: what the search reads (as the API's does),
# and the case number its headings name: her names and notes stay sealed.
SEARCH_PAGE_FIELDS = (*SEARCH_FIELDS, "case_number")


def _visible_survivor(
    request: AuthedHttpRequest, survivor_id: int, action: str = "survivor.match"
) -> Survivor:
    """The survivor if the user may see them, else 404 (the refusal audited): the fields
    the search page shows and searches with, read as the API's search reads them."""
    try:
        return survivor_or_refuse(
            actor=request.user,
            survivor_id=survivor_id,
            action=action,
            ip=request_ip(request),
            fields=SEARCH_PAGE_FIELDS,
        )
    except NotFound as exc:
        raise Http404 from exc


@login_required
def survivor_search(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    """Search for a stored survivor, with filters that re-rank (distance, services)."""
    survivor = _visible_survivor(request, survivor_id)
    return _survivor_search_page(
        request, survivor, request.POST if request.method == "POST" else None
    )


def survivor_search_with_proposal(
    request: AuthedHttpRequest, survivor_id: int, proposal: forms.Form
) -> HttpResponse:
    """The search page again after a proposal the form refused (no rationale, no home
    ticked): the same filters, the ticked homes still ticked, the error beside the
    field, answered 400. For `propose` below, which found the record visible.

    The same search shown again is a read of the record, audited as one, not a new
    search: it is not recorded (the reports count searches)."""
    survivor = _visible_survivor(request, survivor_id, action="survivor.read")
    survivor_record_reads(
        actor=request.user, survivors=[survivor], ip=request_ip(request), action="survivor.read"
    )
    return _survivor_search_page(
        request, survivor, request.POST, proposal=proposal, status=400, record=False
    )


def _survivor_search_page(
    request: AuthedHttpRequest,
    survivor: Survivor,
    data: Any,
    *,
    proposal: forms.Form | None = None,
    status: int = 200,
    record: bool = True,
) -> HttpResponse:
    today = timezone.localdate()
    fields = survivor_matching_fields(survivor, today=today)
    form = SurvivorSearchForm(
        data,
        initial={name: fields[name] for name in ("max_distance_miles", "services_needed")},
    )
    include_excluded = False
    if form.is_bound and form.is_valid():
        include_excluded = form.cleaned_data["include_excluded"]
        fields = form.apply(fields)
    # Proposing and waitlisting are the case side's (placement.policy); the page links
    # only what the service would allow.
    case_side = is_case_side(request.user)
    context: dict[str, object] = {
        "survivor": survivor,
        "age": survivor.age_on(today),
        "need_to_know": need_to_know(request.user),
        "form": form,
        "fields": fields,
        "include_excluded": include_excluded,
        "propose_url": reverse("survivor-propose", args=[survivor.pk]) if case_side else None,
        "excluded_csv_url": reverse("survivor-matches-excluded", args=[survivor.pk]),
        "can_waitlist": case_side,
        **_proposal_context(proposal),
    }
    if not form.errors:
        needs = dataclasses.replace(
            needs_from_fields(fields, today=today), keep_apart_homes=keep_apart_homes(survivor.pk)
        )
        search = search_homes(
            needs,
            zone_details=not need_to_know(request.user),
            limit=20,
            include_excluded=include_excluded,
        )
        if record:  # the search is recorded, and audited as the read of the record
            search_record(
                actor=request.user,
                survivor=survivor,
                needs=needs,
                result=search.result,
                ip=request_ip(request),
            )
        context.update(results_context(search, include_excluded=include_excluded))
    return render_search(request, "desk/survivor_search.html", context, status)


def _proposal_context(proposal: forms.Form | None) -> dict[str, object]:
    """What the worker had ticked and written, and what the form refused."""
    if proposal is None:
        return {
            "ticked": [],
            "rationale": "",
            "good_cause": "",
            "good_cause_detail": "",
            "proposal_errors": {},
        }
    posted = proposal["homes"].value() or []
    # An id as posted; anything else cannot match a result (and 19 digits fit an id).
    ticked = [
        int(v)
        for v in posted
        if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 19
    ]
    return {
        "ticked": ticked,
        "rationale": proposal["rationale"].value() or "",
        "good_cause": proposal["good_cause"].value() or "",
        "good_cause_detail": proposal["good_cause_detail"].value() or "",
        "proposal_errors": {
            name: " ".join(map(str, texts)) for name, texts in proposal.errors.items()
        },
    }


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
            recommendation_create,
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
        homes = get_text_list(proposed, gettext("and"))  # "A, B and C", "A, B y C"
        messages.success(
            request,
            gettext("Proposed to the MDT: %(homes)s. The team is notified.") % {"homes": homes},
        )
    return redirect("survivor-page", survivor_id=survivor_id)


class _ProposeOne(forms.Form):
    """One home of a proposal: the rationale, already checked by ProposeForm."""

    rationale = ProposeForm.base_fields["rationale"]
    good_cause = ProposeForm.base_fields["good_cause"]
    good_cause_detail = ProposeForm.base_fields["good_cause_detail"]
