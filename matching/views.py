from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from audit.services import request_ip
from core.errors import NotFound
from core.vocab import FIELD_LABELS
from matching.forms import SurvivorSearchForm, WhatIfForm
from matching.selectors import MATCHING_FIELDS, match_needs, needs_from_fields
from matching.services import search_record
from survivors.forms import CHOICES, initial_values
from survivors.policy import is_case_side, need_to_know, survivor_or_refuse

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


def _results_context(result, *, include_excluded: bool) -> dict[str, object]:
    return {"result": result, "include_excluded": include_excluded, "now": timezone.now()}


def _render_search(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    # htmx asks for the results only; without JavaScript the whole page comes back.
    if request.htmx:
        return render(request, "matching/_results.html", context)
    return render(request, template, context)


@login_required
def what_if_search(request: HttpRequest) -> HttpResponse:
    """A search with no identity: who could take this child tonight?"""
    context: dict[str, object] = {"choices": CHOICES, "values": initial_values(WHAT_IF_DEFAULTS)}
    if request.method == "POST":
        form = WhatIfForm(request.POST)
        context["values"] = form.display_values()
        if form.is_valid():
            include_excluded = form.cleaned_data["include_excluded"]
            context["include_excluded"] = include_excluded
            needs = needs_from_fields(form.matching_fields(), today=timezone.localdate())
            result = match_needs(needs, limit=20, include_excluded=include_excluded)
            context.update(_results_context(result, include_excluded=include_excluded))
        else:
            context["errors"] = form.errors_by_field()
            context["labels"] = FIELD_LABELS
    return _render_search(request, "matching/search.html", context)


@login_required
def survivor_search(request: HttpRequest, survivor_id: int) -> HttpResponse:
    """Search for a stored survivor, with filters that re-rank (distance, services)."""
    try:
        survivor = survivor_or_refuse(
            actor=request.user,
            survivor_id=survivor_id,
            action="survivor.match",
            ip=request_ip(request),
        )
    except NotFound as exc:
        raise Http404 from exc
    fields = {name: getattr(survivor, name) for name in MATCHING_FIELDS}
    include_excluded = False
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = SurvivorSearchForm(request.POST)
        if form.is_valid():
            include_excluded = form.cleaned_data["include_excluded"]
            fields = form.apply(fields)
        else:
            errors = {name: " ".join(texts) for name, texts in form.errors.items()}
    # Proposing and waitlisting are the case side's (placement.policy); the page links
    # only what the service would allow.
    case_side = is_case_side(request.user)
    context: dict[str, object] = {
        "survivor": survivor,
        "age": survivor.age_on(timezone.localdate()),
        "need_to_know": need_to_know(request.user),
        "fields": fields,
        "choices": CHOICES,
        "errors": errors,
        "labels": FIELD_LABELS,
        "include_excluded": include_excluded,
        "propose_url": reverse("survivor-propose", args=[survivor.pk]) if case_side else None,
        "excluded_csv_url": reverse("survivor-matches-excluded", args=[survivor.pk]),
        "can_waitlist": case_side,
    }
    if not errors:
        needs = needs_from_fields(fields, today=timezone.localdate())
        result = match_needs(needs, limit=20, include_excluded=include_excluded)
        search_record(
            actor=request.user,
            survivor=survivor,
            needs=needs,
            result=result,
            ip=request_ip(request),
        )
        context.update(_results_context(result, include_excluded=include_excluded))
    return _render_search(request, "matching/survivor_search.html", context)
