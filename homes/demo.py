"""Realistic synthetic homes, for the demo (`seed_demo`) and the benchmark (`bench/`).

The mix follows what the field reports: most trafficking-specific beds are for
girls, few for boys; few homes take parenting youth or active substance use;
some have nobody on duty tonight; some have not confirmed their beds for days.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import zipcodes

from engine.geo import zip_centroid
from homes.models import Home

DEMO_STATES = ["KS", "MO", "NE", "OK", "IA", "CO", "TX", "AR", "IL", "MN", "WI", "NY"]
ALL_SERVICES = [
    "trauma_therapy", "mental_health", "substance_use_treatment", "medical_care", "education",
    "legal_advocacy", "life_skills", "parenting_support", "family_therapy", "mentoring",
]  # fmt: skip
HOME_TYPE_WEIGHTS = {
    "safe_home": 20, "crisis_stabilization": 10, "specialized_foster": 15,
    "foster": 30, "group_home": 15, "emergency_shelter": 10,
}  # fmt: skip
NAMES = ["Harbor", "Haven", "Lighthouse", "Cedar", "Willow", "Hope", "Beacon", "Anchor", "Refuge"]
KINDS = ["House", "Home", "Place", "Center", "Cottage", "Residence"]
# A real area code of each demo state; with 555-0100..0199 (reserved for fiction) no
# demo number rings anyone.
AREA_CODES = {
    "KS": "913", "MO": "816", "NE": "402", "OK": "405", "IA": "515", "CO": "303",
    "TX": "713", "AR": "501", "IL": "312", "MN": "612", "WI": "414", "NY": "212",
}  # fmt: skip
CONTACT_FIRST = ["Maria", "Denise", "Angela", "Tomás", "Keisha", "Linh", "Rachel", "Omar", "Grace"]
CONTACT_LAST = ["Lopez", "Carter", "Nguyen", "Okafor", "Hughes", "Reyes", "Bennett", "Patel"]
LICENSE_CODES = {
    "safe_home": "SH", "crisis_stabilization": "CS", "specialized_foster": "SF",
    "foster": "FH", "group_home": "GH", "emergency_shelter": "ES",
}  # fmt: skip


def demo_phone(index: int, state: str) -> str:
    """A fake number in the state's area code: (713) 555-0142."""
    return f"({AREA_CODES.get(state, '785')}) 555-{100 + index % 100:04d}"


def demo_contact(index: int, *, state: str, home_type: str, today: date) -> dict:
    """A demo home's intake phone, contact and license, from its index alone (no draw
    from the shared random stream, so the rest of the directory stays as it was).
    Licenses run 3 months to 2 years ahead."""
    return {
        "intake_phone": demo_phone(index, state),
        "contact_name": (
            f"{CONTACT_FIRST[index % len(CONTACT_FIRST)]} "
            f"{CONTACT_LAST[(index // len(CONTACT_FIRST)) % len(CONTACT_LAST)]}"
        ),
        "license_number": f"{state}-{LICENSE_CODES.get(home_type, 'RC')}-{10001 + index}",
        "license_expires": today + timedelta(days=90 + (index * 37) % 640),
    }


@cache
def located_zips(state: str) -> tuple[str, ...]:
    """Standard, active ZIP codes of a state that have a centroid."""
    return tuple(
        z["zip_code"]
        for z in zipcodes.filter_by(state=state, active=True)
        if z["zip_code_type"] == "STANDARD" and zip_centroid(z["zip_code"])
    )


def demo_home(
    index: int, *, rng: random.Random, now: datetime, states: list[str], prefix: str = ""
) -> Home:
    state = states[index % len(states)]
    home_type = rng.choices(list(HOME_TYPE_WEIGHTS), list(HOME_TYPE_WEIGHTS.values()))[0]
    licensed = rng.choice([4, 6, 8, 10, 12, 16]) if home_type != "specialized_foster" else 2
    available = rng.choices([0, 1, 2, 3], [4, 3, 2, 1])[0]
    available = min(available, licensed)
    genders = rng.choices(
        [["female"], ["male"], ["female", "nonbinary"], ["female", "male", "nonbinary"]],
        [55, 10, 20, 15],
    )[0]
    parenting = rng.random() < 0.12
    no_staff = rng.random() < 0.08
    stale = rng.random() < 0.15
    updated = now - (
        timedelta(days=rng.randint(4, 10)) if stale else timedelta(minutes=rng.randint(5, 2880))
    )
    min_age = rng.choice([10, 11, 12, 13])
    return Home(
        name=f"{prefix}{rng.choice(NAMES)} {rng.choice(KINDS)} {index + 1}",
        home_type=home_type,
        state=state,
        zip_code=rng.choice(located_zips(state)),
        licensed_beds=licensed,
        available_beds=available,
        staff_on_duty=0 if no_staff else rng.randint(1, 4),
        residents_per_staff=rng.choice([2, 3, 4]),
        min_age=min_age,
        max_age=rng.choice([17, 17, 18, 21]),
        genders_served=genders,
        substance_use_accepted=rng.choices(["none", "in_recovery", "active"], [62, 30, 8])[0],
        detox_on_site=rng.random() < 0.04,
        accepts_parenting=parenting,
        max_dependents=rng.choice([1, 2]) if parenting else 0,
        medical_level=rng.choices(["none", "routine", "complex"], [15, 70, 15])[0],
        accepts_pregnant=rng.random() < 0.25,
        mental_health_max=rng.choices(["low", "moderate", "high"], [20, 55, 25])[0],
        staff_secure=rng.random() < 0.2,
        accepts_out_of_state=rng.random() < 0.4,
        accepts_state_wards=rng.random() < 0.9,
        accepts_parent_placements=rng.random() < 0.7,
        intake_24_7=home_type in ("crisis_stabilization", "emergency_shelter")
        or rng.random() < 0.2,
        # One home in four turns away youth with juvenile justice involvement (drawn from
        # the index, so the other fields' draws stay those of earlier demos).
        accepts_juvenile_justice=index % 4 != 3,
        # A few homes under ICWA's preferences (from the index, as above).
        **demo_icwa(index),
        languages=["en", "es"] if rng.random() < 0.3 else ["en"],
        services=sorted(rng.sample(ALL_SERVICES, k=rng.randint(2, 7))),
        active=rng.random() > 0.03,
        availability_updated_at=updated,
        **demo_contact(index, state=state, home_type=home_type, today=now.date()),
    )


DEMO_TRIBES = ("Cherokee Nation", "Osage Nation", "Prairie Band Potawatomi Nation")


def demo_icwa(index: int) -> dict[str, Any]:
    """One home in 31 approved by a tribe, one in 29 an Indian foster home."""
    if index % 31 == 11:
        return {
            "icwa_category": "tribe_approved",
            "approving_tribes": [DEMO_TRIBES[index % len(DEMO_TRIBES)]],
        }
    if index % 29 == 7:
        return {"icwa_category": "indian_foster_home", "approving_tribes": []}
    return {"icwa_category": "none", "approving_tribes": []}


def demo_homes(
    count: int,
    *,
    rng: random.Random,
    now: datetime,
    states: list[str] | None = None,
    prefix: str = "",
) -> list[Home]:
    return [
        demo_home(i, rng=rng, now=now, states=states or DEMO_STATES, prefix=prefix)
        for i in range(count)
    ]
