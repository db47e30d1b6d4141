from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from audit.services import request_ip
from core.errors import NotFound
from core.types import AuthedHttpRequest
from core.vocab import FIELD_LABELS
from homes.policy import sees_whole_directory
from matching.forms import SurvivorSearchForm, WhatIfForm
from matching.selectors import HomeSearch, needs_from_fields, search_homes, survivor_matching_fields
from matching.services import search_record
from survivors.forms import CHOICES, initial_values
from survivors.models import Survivor
from survivors.policy import is_case_side, need_to_know, survivor_or_refuse
from survivors.services import survivor_record_reads

WHAT_IF_DEFAULTS = {
    "gender": "female",
    "guardianship": "state",
    "urgency": "crisis",
    "substance_use": "none",
    "medical_level": "none",
    "mental_health_acuity": "low",
    "runaway_risk": "low",
    "primary_language": "en",
    "dependents": "0",
}


def _results_context(search: HomeSearch, *, include_excluded: bool) -> dict[str, object]:
    result = search.result
    contact = search.contact
    return {
        "search": search,
        "result": result,
        "tonight": search.tonight,
        # (entry, whom to call) pairs: a template cannot look a contact up by id.
        "ranked": [(r, contact(r.home.id)) for r in result.results],
        "near_misses": [(m, contact(m.home.id)) for m in result.near_misses],
        "include_excluded": include_excluded,
        "now": timezone.now(),
    }


def _render_search(
    request: AuthedHttpRequest, template: str, context: dict[str, object], status: int = 200
) -> HttpResponse:
    # htmx asks for the results only; without JavaScript the whole page comes back.
    if request.htmx:
        return render(request, "matching/_results.html", context, status=status)
    return render(request, template, context, status=status)


@login_required
def what_if_search(request: AuthedHttpRequest) -> HttpResponse:
    """A search with no identity: who could take this child tonight? It ranks the whole
    directory, so not for a home admin (403), who may know only their own homes."""
    if not sees_whole_directory(request.user):
        raise PermissionDenied("A home administrator sees only their own homes.")
    context: dict[str, object] = {"choices": CHOICES, "values": initial_values(WHAT_IF_DEFAULTS)}
    if request.method == "POST":
        form = WhatIfForm(request.POST)
        context["values"] = form.display_values()
        if form.is_valid():
            include_excluded = form.cleaned_data["include_excluded"]
            context["include_excluded"] = include_excluded
            needs = needs_from_fields(form.matching_fields(), today=timezone.localdate())
            search = search_homes(needs, limit=20, include_excluded=include_excluded)
            context.update(_results_context(search, include_excluded=include_excluded))
        else:
            context["errors"] = form.errors_by_field()
            context["labels"] = FIELD_LABELS
    return _render_search(request, "matching/search.html", context)


def _visible_survivor(
    request: AuthedHttpRequest, survivor_id: int, action: str = "survivor.match"
) -> Survivor:
    """The survivor if the user may see them, else 404 (the refusal audited)."""
    try:
        return survivor_or_refuse(
            actor=request.user,
            survivor_id=survivor_id,
            action=action,
            ip=request_ip(request),
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
    field, answered 400. For placement's propose view, which found the record visible.

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
    include_excluded = False
    errors: dict[str, str] = {}
    if data is not None:
        form = SurvivorSearchForm(data)
        if form.is_valid():
            include_excluded = form.cleaned_data["include_excluded"]
            fields = form.apply(fields)
        else:
            errors = {
                name: " ".join(str(text) for text in texts) for name, texts in form.errors.items()
            }
    # Proposing and waitlisting are the case side's (placement.policy); the page links
    # only what the service would allow.
    case_side = is_case_side(request.user)
    context: dict[str, object] = {
        "survivor": survivor,
        "age": survivor.age_on(today),
        "need_to_know": need_to_know(request.user),
        "fields": fields,
        "choices": CHOICES,
        "errors": errors,
        "labels": FIELD_LABELS,
        "include_excluded": include_excluded,
        "propose_url": reverse("survivor-propose", args=[survivor.pk]) if case_side else None,
        "excluded_csv_url": reverse("survivor-matches-excluded", args=[survivor.pk]),
        "can_waitlist": case_side,
        **_proposal_context(proposal),
    }
    if not errors:
        needs = needs_from_fields(fields, today=today)
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
        context.update(_results_context(search, include_excluded=include_excluded))
    return _render_search(request, "matching/survivor_search.html", context, status)


def _proposal_context(proposal: forms.Form | None) -> dict[str, object]:
    """What the worker had ticked and written, and what the form refused."""
    if proposal is None:
        return {"ticked": [], "rationale": "", "proposal_errors": {}}
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
        "proposal_errors": {
            name: " ".join(str(text) for text in texts) for name, texts in proposal.errors.items()
        },
    }
