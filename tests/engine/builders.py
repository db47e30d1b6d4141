"""Builders and hypothesis strategies for the engine tests.

`a_home()` passes every rule for `a_survivor()`; a test changes the one field
it is about. The strategies draw from small ranges so that random homes land
on the boundaries of the rules (beds, ratios, ages, levels) often.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from engine import (
    ACUITY_LEVELS,
    EARTH_RADIUS_MILES,
    GENDERS,
    GUARDIANSHIPS,
    HOME_TYPES,
    MEDICAL_LEVELS,
    SERVICES,
    STALE_AFTER,
    SUBSTANCE_LEVELS,
    URGENCIES,
    ExclusionZone,
    HomeOffer,
    SurvivorNeeds,
)
from engine.types import ICWA_CATEGORIES, ICWA_STATUSES

NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
TODAY = NOW.date()
# Kansas City, Kansas: where the child is in the examples.
KCK = (39.1157, -94.6271)
STATES = ("KS", "MO", "NE")
LANGUAGES = ("en", "es", "vi")
TRIBES = ("Cherokee Nation", "Osage Nation", "Kickapoo Tribe in Kansas")


def a_home(**changes: object) -> HomeOffer:
    """An open KS safe home near KCK that takes anyone."""
    home = HomeOffer(
        id=1,
        name="Prairie House",
        home_type="safe_home",
        state="KS",
        zip_code="66044",
        latitude=38.9717,
        longitude=-95.2353,
        licensed_beds=6,
        available_beds=2,
        staff_on_duty=2,
        residents_per_staff=4,
        min_age=12,
        max_age=17,
        genders_served=frozenset(GENDERS),
        substance_use_accepted="active",
        detox_on_site=True,
        accepts_parenting=True,
        max_dependents=2,
        medical_level="complex",
        accepts_pregnant=True,
        mental_health_max="high",
        staff_secure=True,
        accepts_out_of_state=True,
        accepts_state_wards=True,
        accepts_parent_placements=True,
        intake_24_7=True,
        accepts_juvenile_justice=True,
        languages=frozenset({"en", "es"}),
        services=frozenset(SERVICES),
        active=True,
        availability_updated_at=NOW - timedelta(hours=1),
        license_expires=None,
        icwa_category="none",
        approving_tribes=frozenset(),
    )
    return dataclasses.replace(home, **changes)


def a_survivor(**changes: object) -> SurvivorNeeds:
    """A 15-year-old girl in KCK under a parent's custody, with no special needs."""
    needs = SurvivorNeeds(
        age=15,
        gender="female",
        guardianship="parent",
        custody_state="KS",
        icpc_approved_states=frozenset(),
        latitude=KCK[0],
        longitude=KCK[1],
        urgency="planned",
        substance_use="none",
        needs_detox=False,
        dependents=0,
        medical_level="none",
        pregnant=False,
        mental_health_acuity="low",
        runaway_risk="low",
        juvenile_justice_involved=False,
        primary_language="en",
        interpreter_needed=False,
        indian_child="no",
        tribes=frozenset(),
        services_needed=frozenset(),
        exclusion_zones=(),
        max_distance_miles=None,
        search_date=TODAY,
    )
    return dataclasses.replace(needs, **changes)


latitudes = st.floats(38.5, 39.5)
longitudes = st.floats(-95.5, -94.0)
updated_at = st.one_of(
    st.none(),
    st.just(NOW - STALE_AFTER),
    st.just(NOW - STALE_AFTER - timedelta(microseconds=1)),
    st.timedeltas(min_value=timedelta(hours=-2), max_value=timedelta(hours=100)).map(
        lambda age: NOW - age
    ),
)


def mostly(value: object, others: st.SearchStrategy) -> st.SearchStrategy:
    """`value` about two times in three, else anything from `others`.

    Uniformly random homes and needs almost never match: one in a few
    thousand passes all fifteen rules. Leaning every field towards the
    lenient value gives a fair share of feasible homes and near misses.
    """
    return st.one_of(st.just(value), st.just(value), others)


lenient = mostly(True, st.booleans())
# Mostly none recorded; else around the search date, its edges most of all.
license_expiries = mostly(
    None,
    st.one_of(
        st.sampled_from([TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1)]),
        st.dates(date(1969, 1, 1), date(2030, 12, 31)),
    ),
)


@st.composite
def homes(draw: st.DrawFn, home_id: int = 1) -> HomeOffer:
    licensed = draw(mostly(4, st.integers(0, 6)))
    min_age = draw(mostly(10, st.integers(10, 17)))
    return HomeOffer(
        id=home_id,
        name=f"Home {home_id}",
        home_type=draw(st.sampled_from(HOME_TYPES)),
        state=draw(mostly("KS", st.sampled_from(STATES))),
        zip_code="66101",
        latitude=draw(latitudes),
        longitude=draw(longitudes),
        licensed_beds=licensed,
        available_beds=draw(mostly(licensed, st.integers(0, licensed))),
        staff_on_duty=draw(mostly(3, st.integers(0, 3))),
        residents_per_staff=draw(mostly(4, st.integers(1, 4))),
        min_age=min_age,
        max_age=draw(mostly(19, st.integers(min_age, 19))),
        genders_served=draw(mostly(frozenset(GENDERS), st.frozensets(st.sampled_from(GENDERS)))),
        substance_use_accepted=draw(mostly("active", st.sampled_from(SUBSTANCE_LEVELS))),
        detox_on_site=draw(lenient),
        accepts_parenting=draw(lenient),
        max_dependents=draw(mostly(3, st.integers(0, 3))),
        medical_level=draw(mostly("complex", st.sampled_from(MEDICAL_LEVELS))),
        accepts_pregnant=draw(lenient),
        mental_health_max=draw(mostly("high", st.sampled_from(ACUITY_LEVELS))),
        staff_secure=draw(lenient),
        accepts_out_of_state=draw(lenient),
        accepts_state_wards=draw(lenient),
        accepts_parent_placements=draw(lenient),
        intake_24_7=draw(lenient),
        accepts_juvenile_justice=draw(lenient),
        languages=draw(st.frozensets(st.sampled_from(LANGUAGES))),
        services=draw(st.frozensets(st.sampled_from(SERVICES))),
        active=True,
        availability_updated_at=draw(updated_at),
        license_expires=draw(license_expiries),
        icwa_category=draw(mostly("none", st.sampled_from(ICWA_CATEGORIES))),
        approving_tribes=draw(st.frozensets(st.sampled_from(TRIBES))),
    )


@st.composite
def directories(draw: st.DrawFn, max_size: int = 12) -> list[HomeOffer]:
    """Homes with distinct ids, in no particular order."""
    ids = draw(st.lists(st.integers(1, 10_000), max_size=max_size, unique=True))
    return [draw(homes(home_id)) for home_id in ids]


exclusion_zones = st.builds(
    ExclusionZone,
    zip_code=st.sampled_from(("66101", "64106", "66044")),
    radius_miles=st.one_of(st.just(0.0), st.floats(0, 15)),
    latitude=latitudes,
    longitude=longitudes,
)


@st.composite
def survivors(draw: st.DrawFn) -> SurvivorNeeds:
    located = draw(st.booleans())
    return SurvivorNeeds(
        age=draw(mostly(15, st.integers(9, 19))),
        gender=draw(mostly("female", st.sampled_from(GENDERS))),
        guardianship=draw(st.sampled_from(GUARDIANSHIPS)),
        custody_state=draw(mostly("KS", st.sampled_from((*STATES, "OK")))),
        icpc_approved_states=draw(st.frozensets(st.sampled_from(STATES))),
        latitude=draw(latitudes) if located else None,
        longitude=draw(longitudes) if located else None,
        urgency=draw(st.sampled_from(URGENCIES)),
        substance_use=draw(mostly("none", st.sampled_from(SUBSTANCE_LEVELS))),
        needs_detox=draw(mostly(False, st.booleans())),
        dependents=draw(mostly(0, st.integers(0, 3))),
        medical_level=draw(mostly("none", st.sampled_from(MEDICAL_LEVELS))),
        pregnant=draw(mostly(False, st.booleans())),
        mental_health_acuity=draw(mostly("low", st.sampled_from(ACUITY_LEVELS))),
        runaway_risk=draw(mostly("low", st.sampled_from(ACUITY_LEVELS))),
        juvenile_justice_involved=draw(mostly(False, st.booleans())),
        primary_language=draw(st.sampled_from(("", *LANGUAGES))),
        interpreter_needed=draw(mostly(False, st.booleans())),
        indian_child=draw(mostly("no", st.sampled_from(ICWA_STATUSES))),
        tribes=draw(st.frozensets(st.sampled_from(TRIBES), max_size=2)),
        services_needed=draw(st.frozensets(st.sampled_from(SERVICES), max_size=4)),
        exclusion_zones=tuple(draw(st.lists(exclusion_zones, max_size=2))),
        max_distance_miles=draw(st.one_of(st.none(), st.just(0.0), st.floats(0, 150))),
        search_date=draw(mostly(TODAY, st.dates(date(2020, 1, 1), date(2030, 12, 31)))),
    )


def destination(lat: float, lon: float, bearing: float, miles: float) -> tuple[float, float]:
    """The point `miles` from (lat, lon) along the great circle leaving at `bearing`."""
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    delta = miles / EARTH_RADIUS_MILES  # the engine's sphere
    phi2 = math.asin(
        math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lam2) + 180) % 360 - 180
