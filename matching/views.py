"""The what-if search: who could take a child tonight, with no identity. A stored
survivor's search is part of their case page (desk.cases), which renders its results
with the same two helpers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from core.types import AuthedHttpRequest
from core.vocab import GoodCause
from engine import SurvivorNeeds
from homes.policy import sees_whole_directory
from matching.forms import WhatIfForm
from matching.selectors import (
    HomeSearch,
    needs_from_fields,
    search_homes,
    tribe_preference,
    zone_excluded_count,
)

WHAT_IF_DEFAULTS = {
    "gender": "female",
    "guardianship": "state",
    "urgency": "crisis",
    "substance_use": "none",
    "medical_level": "none",
    "mental_health_acuity": "low",
    "runaway_risk": "low",
    "primary_language": "en",
    "dependents": 0,
}


def results_context(search: HomeSearch, *, include_excluded: bool) -> dict[str, object]:
    """What `matching/_results.html` shows of a search: the ranked homes and the near
    misses, each with whom to call."""
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
        # Shown to a need-to-know reader, whose lists leave these homes out.
        "zone_excluded": zone_excluded_count(result),
        "now": timezone.now(),
        **icwa_context(search.needs),
    }


def icwa_context(needs: SurvivorNeeds) -> dict[str, object]:
    """Whether ICWA orders the results, and whose order (the page says why)."""
    if not needs.icwa_applies:
        return {"icwa": False}
    preference = tribe_preference(needs.tribes)
    return {
        "icwa": True,
        "icwa_tribe_order": preference.name if preference is not None else "",
        "good_cause_choices": [("", "—"), *GoodCause.choices],
    }


def render_search(
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
        raise PermissionDenied(gettext("A home administrator sees only their own homes."))
    form = WhatIfForm(request.POST if request.method == "POST" else None, initial=WHAT_IF_DEFAULTS)
    context: dict[str, object] = {"form": form}
    if form.is_bound and form.is_valid():
        include_excluded = form.cleaned_data["include_excluded"]
        needs = needs_from_fields(form.matching_fields(), today=timezone.localdate())
        search = search_homes(needs, limit=20, include_excluded=include_excluded)
        context.update(results_context(search, include_excluded=include_excluded))
    return render_search(request, "matching/search.html", context)
