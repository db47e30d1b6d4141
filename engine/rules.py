"""The eligibility rules, one small function per rule, in the readable scalar
form that is the reference for the vectorised version in `vector.py`.

Each check returns None when the home passes, or the reason it fails: a
sentence a tired case worker understands, with the concrete values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from .geo import great_circle_miles
from .types import (
    ACUITY_LEVELS,
    MEDICAL_LEVELS,
    RULES,
    SUBSTANCE_LEVELS,
    ExclusionZone,
    HomeOffer,
    RuleFailure,
    SurvivorNeeds,
)

Check = Callable[[SurvivorNeeds, HomeOffer], str | None]

SUBSTANCE_RANK = {level: i for i, level in enumerate(SUBSTANCE_LEVELS)}
MEDICAL_RANK = {level: i for i, level in enumerate(MEDICAL_LEVELS)}
ACUITY_RANK = {level: i for i, level in enumerate(ACUITY_LEVELS)}

_CHILD_SUBSTANCE = {
    "in_recovery": "child is in recovery",
    "active": "child has active substance use",
}
_HOME_SUBSTANCE = {
    "none": "Does not take youth with substance use",
    "in_recovery": "Takes youth in recovery, not active use",
}
_CHILD_MEDICAL = {
    "routine": "child has routine medical needs",
    "complex": "child has complex medical needs",
}
_HOME_MEDICAL = {
    "none": "Cannot meet medical needs",
    "routine": "Meets routine medical needs only",
}
_GUARDIAN_REFUSED = {
    "state": "Does not take state wards",
    "parent": "Does not take placements by a parent",
    "legal_guardian": "Does not take placements by a legal guardian",
}


def plural(count: int, noun: str, many: str = "") -> str:
    """'1 home', '3 homes'; `many` for a plural that is not noun + s: '2 homes fail'."""
    return f"{count} {noun}" if count == 1 else f"{count} {many or noun + 's'}"


def miles(value: float) -> str:
    """Miles to one decimal, without a trailing '.0': '4.2', '10'."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def zone_distance_miles(home: HomeOffer, zone: ExclusionZone) -> float:
    return great_circle_miles(home.latitude, home.longitude, zone.latitude, zone.longitude)


def inside_zone(home: HomeOffer, zone: ExclusionZone) -> bool:
    """True when the home is within the zone's radius; exactly at it counts as inside."""
    return zone_distance_miles(home, zone) <= zone.radius_miles


def check_beds(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    needed = 1 + needs.dependents
    if home.available_beds >= needed:
        return None
    free = "none" if home.available_beds <= 0 else str(home.available_beds)
    if needs.dependents:
        return f"Needs {needed} beds (child + {plural(needs.dependents, 'dependent')}); {free} free"
    return f"Needs 1 bed; {free} free"


def check_staffing(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    capacity = home.staff_on_duty * home.residents_per_staff
    residents = (home.licensed_beds - home.available_beds) + 1 + needs.dependents
    if residents <= capacity:
        return None
    with_child = "with this child"
    if needs.dependents:
        with_child += f" and {plural(needs.dependents, 'dependent')}"
    if home.staff_on_duty <= 0:
        return f"No staff on duty; {plural(residents, 'resident')} {with_child}"
    return f"Staff on duty can cover {plural(capacity, 'resident')}; {residents} {with_child}"


def check_age(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if home.min_age <= needs.age <= home.max_age:
        return None
    if home.min_age == home.max_age:
        return f"Serves age {home.min_age} only; child is {needs.age}"
    return f"Serves ages {home.min_age}–{home.max_age}; child is {needs.age}"


def check_gender(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if needs.gender in home.genders_served:
        return None
    if not home.genders_served:
        return f"Lists no genders served; child is {needs.gender}"
    return f"Serves {join_words(sorted(home.genders_served))} youth; child is {needs.gender}"


def check_substance_use(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if SUBSTANCE_RANK[needs.substance_use] <= SUBSTANCE_RANK[home.substance_use_accepted]:
        return None
    return (
        f"{_HOME_SUBSTANCE[home.substance_use_accepted]}; {_CHILD_SUBSTANCE[needs.substance_use]}"
    )


def check_detox(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if not needs.needs_detox or home.detox_on_site:
        return None
    return "Child needs detox; none on site"


def check_dependents(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if needs.dependents == 0:
        return None
    if not home.accepts_parenting:
        return f"Does not take parenting youth; child has {plural(needs.dependents, 'dependent')}"
    if needs.dependents <= home.max_dependents:
        return None
    if home.max_dependents <= 0:
        return f"Takes no dependents; child has {needs.dependents}"
    return f"Takes up to {plural(home.max_dependents, 'dependent')}; child has {needs.dependents}"


def check_medical(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if MEDICAL_RANK[needs.medical_level] <= MEDICAL_RANK[home.medical_level]:
        return None
    return f"{_HOME_MEDICAL[home.medical_level]}; {_CHILD_MEDICAL[needs.medical_level]}"


def check_pregnancy(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if not needs.pregnant or home.accepts_pregnant:
        return None
    return "Does not take pregnant youth"


def check_juvenile_justice(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if not needs.juvenile_justice_involved or home.accepts_juvenile_justice:
        return None
    return "Does not take youth with juvenile justice involvement"


def check_language(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    language = needs.primary_language
    if not needs.interpreter_needed or not language or language in home.languages:
        return None
    return f"Does not list {language}; the child needs an interpreter"


def check_mental_health(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if ACUITY_RANK[needs.mental_health_acuity] <= ACUITY_RANK[home.mental_health_max]:
        return None
    return (
        f"Handles mental-health acuity up to {home.mental_health_max}; "
        f"child's is {needs.mental_health_acuity}"
    )


def check_runaway_risk(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if needs.runaway_risk != "high" or home.staff_secure:
        return None
    return "High runaway risk needs a staff-secure home; this one is not"


def check_guardianship(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if needs.guardianship == "state":
        accepted = home.accepts_state_wards
    else:
        accepted = home.accepts_parent_placements
    return None if accepted else _GUARDIAN_REFUSED[needs.guardianship]


def check_state_line(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if home.state == needs.custody_state:
        return None
    if not home.accepts_out_of_state:
        return (
            "Home does not take out-of-state placements "
            f"(home in {home.state}, custody {needs.custody_state})"
        )
    if needs.guardianship == "state" and home.state not in needs.icpc_approved_states:
        return f"State ward from {needs.custody_state}: no ICPC approval for {home.state}"
    return None


def check_exclusion_zone(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    inside = []
    for zone in needs.exclusion_zones:
        distance = zone_distance_miles(home, zone)
        if distance <= zone.radius_miles:
            inside.append(
                f"{miles(distance)} mi of exclusion zone {zone.zip_code} "
                f"(radius {miles(zone.radius_miles)} mi)"
            )
    return f"Within {join_words(inside)}" if inside else None


def check_crisis_intake(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    if needs.urgency != "crisis" or home.intake_24_7:
        return None
    return "No 24/7 intake for a crisis placement"


def check_keep_apart(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    # Never which child, nor why: the reader may not be allowed to see her.
    if home.id not in needs.keep_apart_homes:
        return None
    return "A child she must be kept apart from is placed, held or referred here"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: date) -> str:
    """'3 Nov 2026': no locale, no ambiguity between day and month."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def check_license(needs: SurvivorNeeds, home: HomeOffer) -> str | None:
    # The expiry date is the license's last valid day; none recorded passes.
    if home.license_expires is None or home.license_expires >= needs.search_date:
        return None
    return f"License expired on {day_text(home.license_expires)}"


CHECKS: dict[str, Check] = {
    "beds": check_beds,
    "staffing": check_staffing,
    "age": check_age,
    "gender": check_gender,
    "substance_use": check_substance_use,
    "detox": check_detox,
    "dependents": check_dependents,
    "medical": check_medical,
    "pregnancy": check_pregnancy,
    "mental_health": check_mental_health,
    "runaway_risk": check_runaway_risk,
    "guardianship": check_guardianship,
    "state_line": check_state_line,
    "exclusion_zone": check_exclusion_zone,
    "crisis_intake": check_crisis_intake,
    "license": check_license,
    "juvenile_justice": check_juvenile_justice,
    "keep_apart": check_keep_apart,
    "language": check_language,
}
assert tuple(CHECKS) == RULES

_ORDERED_CHECKS = tuple(CHECKS.items())


def failed_rules(needs: SurvivorNeeds, home: HomeOffer) -> tuple[RuleFailure, ...]:
    """Every rule the home fails for this survivor, in RULES order; empty when feasible.

    Whether the home is active is the caller's business: inactive homes are
    never considered at all.
    """
    failures = []
    for rule, check in _ORDERED_CHECKS:
        reason = check(needs, home)
        if reason is not None:
            failures.append(RuleFailure(rule, reason))
    return tuple(failures)


def explain(
    needs: SurvivorNeeds, home: HomeOffer, failing: tuple[str, ...]
) -> tuple[RuleFailure, ...]:
    """The failures of the rules in `failing` (RULES order), already known to fail.

    For listing thousands of excluded homes: running only the failing checks
    is several times cheaper than failed_rules. A check that passes after all
    is left out, so the scalar rules still have the last word.
    """
    failures = []
    for rule in failing:
        reason = CHECKS[rule](needs, home)
        if reason is not None:
            failures.append(RuleFailure(rule, reason))
    return tuple(failures)


def is_feasible(needs: SurvivorNeeds, home: HomeOffer) -> bool:
    return not failed_rules(needs, home)
