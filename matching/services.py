from __future__ import annotations

import dataclasses
from typing import Any

from django.db import transaction

from audit.services import audit_record, audit_record_insert
from core.types import Actor
from engine import MatchResult, SurvivorNeeds
from matching.models import MatchSearch, TribePreference, search_facts
from survivors.models import Survivor


def needs_snapshot(needs: SurvivorNeeds) -> dict[str, Any]:
    """The matching inputs as JSON, kept with a search or a recommendation.

    No identity is part of SurvivorNeeds, and no location is kept: where the child is
    and where the exclusion zones lie (often where the trafficker operates) stay
    encrypted on the survivor's record. `exclusion_zones` is how many there were."""
    # Field by field, not dataclasses.asdict: its deep copy is most of the cost on every
    # search, and every value here is a number, a text, a date or a set or tuple of texts
    # (the zones, the one nested value, are counted below).
    snapshot = {}
    for field in dataclasses.fields(needs):
        value = getattr(needs, field.name)
        snapshot[field.name] = sorted(value) if isinstance(value, frozenset) else value
    snapshot["exclusion_zones"] = len(needs.exclusion_zones)
    # Where the children she is kept apart from are: their records, not hers.
    snapshot.pop("keep_apart_homes")
    # The coordinates are the residence ZIP's centroid: as telling as the ZIP.
    snapshot.pop("latitude")
    snapshot.pop("longitude")
    snapshot["search_date"] = needs.search_date.isoformat()
    return snapshot


def search_record(
    *,
    actor: Actor,
    survivor: Survivor,
    needs: SurvivorNeeds,
    result: MatchResult,
    ip: str | None = None,
) -> MatchSearch:
    """Keep what a stored survivor's search asked and found, and audit the read: both
    rows in one round trip (audit_record_insert), on every search a case worker runs."""
    snapshot = needs_snapshot(needs)
    sole = [r.rule for r in result.relaxations if r.homes]
    search = MatchSearch(
        survivor=survivor,
        searched_by=actor,
        needs=snapshot,
        homes_considered=result.homes_considered,
        feasible_count=result.feasible_count,
        near_miss_count=result.near_miss_count,
        failures_by_rule=result.failures_by_rule,
        top_home_ids=[r.home.id for r in result.results],
        agency_id=survivor.agency_id,
        **search_facts(snapshot, result.failures_by_rule, sole),
    )
    audit_record_insert(
        search,
        key="search",
        actor=actor,
        action="survivor.match",
        obj=survivor,
        survivor_id=survivor.pk,
        after={"feasible_count": result.feasible_count},
        ip=ip,
    )
    return search


def excluded_download_record(*, actor: Actor, survivor: Survivor, ip: str | None = None) -> None:
    """Audit a download of the whole excluded list: it is a read of the child's record."""
    audit_record(
        actor=actor,
        action="survivor.match_excluded",
        obj=survivor,
        survivor_id=survivor.pk,
        ip=ip,
    )


@transaction.atomic
def tribe_preference_save(
    *, actor: Actor, preference: TribePreference, ip: str | None = None
) -> TribePreference:
    """Record (or change) a tribe's own order of ICWA's placement preferences, as the
    tribe's resolution sets it (25 U.S.C. 1915(c)): the ranking of its children follows
    from the next search. Audited with the order before and after."""
    stored = TribePreference.objects.filter(pk=preference.pk).first() if preference.pk else None
    before = None if stored is None else {"name": stored.name, "order": list(stored.order)}
    preference.updated_by = actor
    preference.full_clean()
    preference.save()
    audit_record(
        actor=actor,
        action="tribe_preference.save",
        obj=preference,
        before=before,
        after={"name": preference.name, "order": list(preference.order)},
        ip=ip,
    )
    return preference
