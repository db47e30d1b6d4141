from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.services import request_ip
from matching.forms import CHOICES, FIELD_LABELS, flat_errors, form_values, needs_data_from_post
from matching.selectors import MATCHING_FIELDS, match_needs, needs_from_fields
from matching.serializers import WhatIfSerializer
from matching.services import search_record
from survivors.selectors import survivor_get
from survivors.services import survivor_record_denied

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
    "services_needed": [],
    "exclusion_zones": [],
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
    context: dict[str, object] = {"choices": CHOICES, "values": form_values(WHAT_IF_DEFAULTS)}
    if request.method == "POST":
        data = needs_data_from_post(request.POST)
        include_excluded = request.POST.get("include_excluded") == "on"
        serializer = WhatIfSerializer(data=data)
        context["values"] = form_values(data)
        context["include_excluded"] = include_excluded
        if serializer.is_valid():
            needs = needs_from_fields(serializer.validated_data, today=timezone.localdate())
            result = match_needs(needs, limit=20, include_excluded=include_excluded)
            context.update(_results_context(result, include_excluded=include_excluded))
        else:
            context["errors"] = flat_errors(serializer.errors)
            context["labels"] = FIELD_LABELS
    return _render_search(request, "matching/search.html", context)


@login_required
def survivor_search(request: HttpRequest, survivor_id: int) -> HttpResponse:
    """Search for a stored survivor, with filters that re-rank (distance, services, language)."""
    survivor = survivor_get(user=request.user, survivor_id=survivor_id)
    if survivor is None:
        survivor_record_denied(
            actor=request.user,
            survivor_id=survivor_id,
            action="survivor.match",
            ip=request_ip(request),
        )
        raise Http404
    fields = {name: getattr(survivor, name) for name in MATCHING_FIELDS}
    include_excluded = False
    errors: dict[str, str] = {}
    if request.method == "POST":
        include_excluded = request.POST.get("include_excluded") == "on"
        distance = request.POST.get("max_distance_miles", "").strip()
        if distance:
            if distance.isdigit() and int(distance) >= 1:
                fields["max_distance_miles"] = int(distance)
            else:
                errors["max_distance_miles"] = "Give a whole number of miles, at least 1."
        elif "max_distance_miles" in request.POST:
            fields["max_distance_miles"] = None
        if "filters" in request.POST:
            fields["services_needed"] = [
                s for s in request.POST.getlist("services_needed") if s in dict(CHOICES["services"])
            ]
    context: dict[str, object] = {
        "survivor": survivor,
        "age": survivor.age_on(timezone.localdate()),
        "fields": fields,
        "choices": CHOICES,
        "errors": errors,
        "include_excluded": include_excluded,
        "propose_url": reverse("survivor-propose", args=[survivor.pk])
        if request.user.role in (Role.CASE_WORKER, Role.SUPERVISOR)
        else None,
        "can_waitlist": request.user.role in (Role.CASE_WORKER, Role.SUPERVISOR),
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
