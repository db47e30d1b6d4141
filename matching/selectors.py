"""Rows to engine dataclasses, and searches through the process's directory.

The directory of active homes and how it stays current: `matching.directory`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from homes.models import Home
from matching.directory import directory_cache
from matching.engine import (
    EXCLUDED_PAGE,
    ExclusionZone,
    HomeOffer,
    MatchResult,
    RuleFailure,
    SurvivorNeeds,
    age_on,
    failed_rules,
    home_location,
    zip_centroid,
)
from survivors.models import Survivor

OFFER_FIELDS = [
    "id", "name", "home_type", "state", "zip_code", "latitude", "longitude",
    "licensed_beds", "available_beds", "staff_on_duty", "residents_per_staff", "min_age",
    "max_age", "genders_served", "substance_use_accepted", "detox_on_site",
    "accepts_parenting", "max_dependents", "medical_level", "accepts_pregnant",
    "mental_health_max", "staff_secure", "accepts_out_of_state", "accepts_state_wards",
    "accepts_parent_placements", "intake_24_7", "languages", "services", "active",
    "availability_updated_at",
]  # fmt: skip


def offer_from_row(row: dict[str, Any]) -> HomeOffer | None:
    """A HomeOffer from a `values()` row; None for a home that cannot be located."""
    location = home_location(row["latitude"], row["longitude"], row["zip_code"])
    if location is None:
        return None
    latitude, longitude = location
    return HomeOffer(
        id=row["id"],
        name=row["name"],
        home_type=row["home_type"],
        state=row["state"],
        zip_code=row["zip_code"],
        latitude=latitude,
        longitude=longitude,
        licensed_beds=row["licensed_beds"],
        available_beds=row["available_beds"],
        staff_on_duty=row["staff_on_duty"],
        residents_per_staff=row["residents_per_staff"],
        min_age=row["min_age"],
        max_age=row["max_age"],
        genders_served=frozenset(row["genders_served"]),
        substance_use_accepted=row["substance_use_accepted"],
        detox_on_site=row["detox_on_site"],
        accepts_parenting=row["accepts_parenting"],
        max_dependents=row["max_dependents"],
        medical_level=row["medical_level"],
        accepts_pregnant=row["accepts_pregnant"],
        mental_health_max=row["mental_health_max"],
        staff_secure=row["staff_secure"],
        accepts_out_of_state=row["accepts_out_of_state"],
        accepts_state_wards=row["accepts_state_wards"],
        accepts_parent_placements=row["accepts_parent_placements"],
        intake_24_7=row["intake_24_7"],
        languages=frozenset(row["languages"]),
        services=frozenset(row["services"]),
        active=row["active"],
        availability_updated_at=row["availability_updated_at"],
    )


def needs_from_fields(fields: dict[str, Any], *, today: datetime.date) -> SurvivorNeeds:
    """SurvivorNeeds from validated matching fields (a survivor's or a what-if body).

    `age` may be given instead of `date_of_birth`; ZIP codes become centroids here.
    """
    age = fields.get("age")
    if age is None:
        age = age_on(fields["date_of_birth"], today)
    location = zip_centroid(fields["residence_zip"]) if fields.get("residence_zip") else None
    zones = []
    for zone in fields.get("exclusion_zones") or []:
        # Validation admits only located ZIP codes: a zone silently dropped here would
        # put a child near their trafficker, so fail loudly instead.
        centroid = zip_centroid(zone["zip_code"])
        if centroid is None:
            raise ValueError(f"exclusion zone ZIP {zone['zip_code']} has no location")
        zones.append(ExclusionZone(zone["zip_code"], float(zone["radius_miles"]), *centroid))
    return SurvivorNeeds(
        age=age,
        gender=fields["gender"],
        guardianship=fields["guardianship"],
        custody_state=fields["custody_state"],
        icpc_approved_states=frozenset(fields.get("icpc_approved_states") or ()),
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        urgency=fields.get("urgency", "planned"),
        substance_use=fields.get("substance_use", "none"),
        needs_detox=bool(fields.get("needs_detox", False)),
        dependents=int(fields.get("dependents", 0)),
        medical_level=fields.get("medical_level", "none"),
        pregnant=bool(fields.get("pregnant", False)),
        mental_health_acuity=fields.get("mental_health_acuity", "low"),
        runaway_risk=fields.get("runaway_risk", "low"),
        primary_language=fields.get("primary_language") or "",
        services_needed=frozenset(fields.get("services_needed") or ()),
        exclusion_zones=tuple(zones),
        max_distance_miles=fields.get("max_distance_miles"),
    )


MATCHING_FIELDS = [
    "date_of_birth", "gender", "guardianship", "custody_state", "icpc_approved_states",
    "residence_zip", "urgency", "substance_use", "needs_detox", "dependents", "medical_level",
    "pregnant", "mental_health_acuity", "runaway_risk", "primary_language", "services_needed",
    "exclusion_zones", "max_distance_miles",
]  # fmt: skip


def needs_of_survivor(survivor: Survivor, *, today: datetime.date) -> SurvivorNeeds:
    return needs_from_fields(
        {name: getattr(survivor, name) for name in MATCHING_FIELDS}, today=today
    )


def match_needs(
    needs: SurvivorNeeds,
    *,
    now: datetime.datetime | None = None,
    limit: int = 20,
    include_excluded: bool = False,
    excluded_limit: int = EXCLUDED_PAGE,
    excluded_offset: int = 0,
) -> MatchResult:
    """Search the current directory for these needs; availability older than
    AVAILABILITY_STALE_HOURS is flagged stale and loses its freshness points."""
    return directory_cache.search(
        needs,
        now=now or timezone.now(),
        limit=limit,
        include_excluded=include_excluded,
        excluded_limit=excluded_limit,
        excluded_offset=excluded_offset,
        stale_after=datetime.timedelta(hours=settings.AVAILABILITY_STALE_HOURS),
    )


def home_rank(needs: SurvivorNeeds, *, home_id: int, now: datetime.datetime) -> MatchResult:
    """A search that reaches far enough to rank `home_id`, if it is feasible at all.

    Most proposals pick from the first page of results; otherwise the search is
    repeated with every feasible home ranked, so the rank is the one the worker saw.
    """
    result = match_needs(needs, now=now, limit=20)
    if any(r.home.id == home_id for r in result.results) or result.feasible_count <= 20:
        return result
    return match_needs(needs, now=now, limit=result.feasible_count)


def home_failures(needs: SurvivorNeeds, *, home_id: int) -> tuple[RuleFailure, ...] | None:
    """Every rule the home fails for these needs, from its row as it is now; None if the
    home is inactive or cannot be located (it is never considered at all)."""
    row = Home.objects.filter(pk=home_id, active=True).values(*OFFER_FIELDS).first()
    offer = offer_from_row(row) if row is not None else None
    if offer is None:
        return None
    return failed_rules(needs, offer)


def offer_of_home(home: Home) -> HomeOffer | None:
    """The engine's view of one home row as loaded (a locked row, in a commitment);
    None for a home that cannot be located."""
    return offer_from_row({name: getattr(home, name) for name in OFFER_FIELDS})
