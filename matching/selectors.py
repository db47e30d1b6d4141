"""Rows to engine dataclasses, and searches through the process's directory.

The directory of active homes and how it stays current: `matching.directory`.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core.vocab import phone_uri
from engine import (
    EXCLUDED_PAGE,
    HOME_SPEC,
    NEEDS_INPUT_NAMES,
    NEEDS_SPEC,
    TONIGHT_RULES,
    ExclusionZone,
    HomeOffer,
    MatchResult,
    Miss,
    Ranked,
    Relaxation,
    RuleFailure,
    SurvivorNeeds,
    age_on,
    failed_rules,
    home_location,
    zip_centroid,
)
from engine.layout import TAG_FIELDS
from engine.spec import FieldSpec
from engine.types import ICWA_PREFERENCES
from homes.models import Home
from matching.directory import directory_cache
from matching.models import TribePreference
from survivors.models import Survivor

# A home's matching fields (the engine's specification), as `values()` reads them.
OFFER_FIELDS = list(HOME_SPEC)


def offer_from_row(row: dict[str, Any]) -> HomeOffer | None:
    """A HomeOffer from a `values()` row; None for a home that cannot be located."""
    location = home_location(row["latitude"], row["longitude"], row["zip_code"])
    if location is None:
        return None
    values = {name: row[name] for name in OFFER_FIELDS}
    values["latitude"], values["longitude"] = location
    for name in TAG_FIELDS:
        values[name] = frozenset(values[name])
    return HomeOffer(**values)


def _need_value(name: str, field: FieldSpec, fields: dict[str, Any]) -> Any:
    """One matching field from validated input: its default when left out or blank."""
    value = fields.get(name)
    if value is None or value == "":
        if field.required:
            raise ValueError(f"{name} is required")
        value = field.default
    if field.kind in ("states", "tags"):
        return frozenset(value)
    if field.kind == "bool":
        return bool(value)
    if field.kind == "int":
        return int(value)
    return value


# The child's fields the inputs give as they are (the others are computed below).
_NEEDS_INPUTS = {
    name: field for name, field in NEEDS_SPEC.items() if field.input and field.kind != "zones"
}


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
    inputs = {name: _need_value(name, field, fields) for name, field in _NEEDS_INPUTS.items()}
    return SurvivorNeeds(
        age=age,
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        exclusion_zones=tuple(zones),
        search_date=today,
        icwa_order=icwa_order(inputs["tribes"]),
        **inputs,
    )


def tribe_preference(tribes: Iterable[str]) -> TribePreference | None:
    """The first of the child's tribes (in the record's order) that set its own order of
    ICWA's preferences; None when none did."""
    names = [name.casefold() for name in tribes]
    if not names:
        return None
    found = {
        row.name.casefold(): row
        for row in TribePreference.objects.annotate(folded=Lower("name")).filter(folded__in=names)
    }
    return next((found[name] for name in names if name in found), None)


def icwa_order(tribes: Iterable[str]) -> tuple[str, ...]:
    """The order of ICWA's preferences for a child of these tribes: the tribe's own when
    an admin recorded one (25 U.S.C. 1915(c)), else the statute's."""
    preference = tribe_preference(tribes)
    return tuple(preference.order) if preference is not None else ICWA_PREFERENCES


# A survivor's fields a search reads: the inputs of the specification, the birth date
# (the age is computed) and the ZIP where the child is (located here).
MATCHING_FIELDS = [
    "date_of_birth",
    "residence_zip",
    *NEEDS_INPUT_NAMES,
]
# The columns a child's search reads of her record (the age from the birth date or the
# estimate, the agency the search is counted under): her names and notes stay sealed.
SEARCH_FIELDS = (*MATCHING_FIELDS, "estimated_age", "age_estimated_on", "agency")


def survivor_matching_fields(survivor: Survivor, *, today: datetime.date) -> dict[str, Any]:
    """A survivor's matching fields, with the age on `today`: from the birth date or,
    for a child with no papers, the estimate grown by the years since."""
    fields = {name: getattr(survivor, name) for name in MATCHING_FIELDS}
    fields["age"] = survivor.age_on(today)
    return fields


def needs_of_survivor(survivor: Survivor, *, today: datetime.date) -> SurvivorNeeds:
    return needs_from_fields(survivor_matching_fields(survivor, today=today), today=today)


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


@dataclass(frozen=True, slots=True)
class Contact:
    """Whom to call at a home: read from the database for the few homes a page shows,
    never held in the directory (a quarter of a million strings per process)."""

    intake_phone: str
    contact_name: str

    @property
    def tel(self) -> str:
        """The `tel:` link of the intake phone ("" when none is recorded)."""
        return phone_uri(self.intake_phone)


NO_CONTACT = Contact("", "")
INTERIM_LABEL = "Interim: emergency shelter"


@dataclass(frozen=True, slots=True)
class TonightCall:
    """A home to call tonight: one that fails only a rule that can change tonight
    (`rule` set, `miss` its failure), or an emergency shelter to take the child in the
    meantime (`ranked` set; the label says it is interim)."""

    rule: str | None
    action: str
    home: HomeOffer
    distance_miles: float | None
    contact: Contact
    miss: Miss | None = None
    ranked: Ranked | None = None

    @property
    def reason(self) -> str:
        return self.miss.failed[0].reason if self.miss else ""


@dataclass(frozen=True, slots=True)
class TonightPlan:
    """DESIGN "When nothing fits tonight": what can change tonight, with the number to
    call, and what takes days, listed apart. Empty lists unless `nothing_fits`."""

    nothing_fits: bool
    fail_only: tuple[TonightCall, ...]
    interim_shelters: tuple[TonightCall, ...]
    takes_days: tuple[Relaxation, ...]
    watched_homes: int
    waitlist_summary: str


@dataclass(frozen=True, slots=True)
class HomeSearch:
    """One search as the page and the API show it: the engine's result, whom to call
    at each home shown, and what can change tonight. Built once by `search_homes`."""

    result: MatchResult
    contacts: dict[int, Contact]
    tonight: TonightPlan
    needs: SurvivorNeeds

    def contact(self, home_id: int) -> Contact:
        return self.contacts.get(home_id, NO_CONTACT)


# What a need-to-know reader (an MDT member) is told of a failed exclusion zone: that the
# home lies inside one, never which zone, its radius or the distance to it (DESIGN.md,
# users: "never ... where an exclusion zone lies").
ZONE_REASON = "Inside an exclusion zone"


def failures_without_zones(failed: Iterable[RuleFailure]) -> tuple[RuleFailure, ...]:
    """The failures with every exclusion zone's reason replaced by ZONE_REASON."""
    return tuple(
        RuleFailure(f.rule, ZONE_REASON) if f.rule == "exclusion_zone" else f for f in failed
    )


def miss_without_zones(miss: Miss) -> Miss:
    if all(f.rule != "exclusion_zone" for f in miss.failed):
        return miss
    return dataclasses.replace(miss, failed=failures_without_zones(miss.failed))


def misses_without_zones(misses: Iterable[Miss]) -> Iterator[Miss]:
    """For a need-to-know reader: the misses without every home inside an exclusion zone.

    Saying only "Inside an exclusion zone" was not enough: which homes said it (all in
    one part of one city) drew the zone on a map. The reader learns how many homes a zone
    excludes (`zone_excluded_count`), never which. For the excluded list's download too,
    a home at a time."""
    return (miss for miss in misses if all(f.rule != "exclusion_zone" for f in miss.failed))


def zone_excluded_count(result: MatchResult) -> int:
    """How many homes fail the exclusion zone rule (alone or with others)."""
    return int(result.failures_by_rule.get("exclusion_zone", 0))


def result_without_zones(result: MatchResult) -> MatchResult:
    """The search's result as a need-to-know reader may see it: no home inside an
    exclusion zone in any list (near misses, the excluded list, tonight's calls); the
    counts stay, so the reader sees that a zone excluded homes."""
    return dataclasses.replace(
        result,
        near_misses=tuple(misses_without_zones(result.near_misses)),
        excluded=None if result.excluded is None else tuple(misses_without_zones(result.excluded)),
        tonight=dataclasses.replace(
            result.tonight, fail_only=tuple(misses_without_zones(result.tonight.fail_only))
        ),
    )


def search_homes(needs: SurvivorNeeds, *, zone_details: bool = True, **options: Any) -> HomeSearch:
    """match_needs, plus the contacts of the homes it returns and the "tonight" plan.

    `zone_details=False` (an MDT member's search): no reason says where a zone lies."""
    result = match_needs(needs, **options)
    if not zone_details:
        result = result_without_zones(result)
    shown = [r.home.id for r in result.results]
    shown += [m.home.id for m in result.near_misses]
    shown += [m.home.id for m in result.tonight.fail_only]
    shown += [r.home.id for r in result.tonight.interim_shelters]
    contacts = home_contacts(shown)
    return HomeSearch(result, contacts, tonight_plan(needs, result, contacts), needs)


def home_contacts(home_ids: list[int]) -> dict[int, Contact]:
    """Each home's intake phone and contact, by id: read for the homes shown and kept
    by the directory cache until the change log says the home changed."""
    return {
        home_id: Contact(phone, name)
        for home_id, (phone, name) in directory_cache.contacts(home_ids).items()
    }


def _tonight_action(needs: SurvivorNeeds, rule: str, home: HomeOffer) -> str:
    if rule == "staffing":
        residents = home.licensed_beds - home.available_beds + 1 + needs.dependents
        if home.residents_per_staff > 0:
            more = math.ceil(residents / home.residents_per_staff) - home.staff_on_duty
            if more == 1:
                return gettext("One more staff on shift would open it")
            if more > 1:
                return gettext("%(more)s more staff on shift would open it") % {"more": more}
        return gettext("More staff on shift would open it")
    if rule == "beds":
        needed = 1 + needs.dependents
        if needed > 1:
            return gettext("Full: ask whether %(beds)s beds can be freed tonight") % {
                "beds": needed
            }
        return gettext("Full: ask whether a bed can be freed tonight")
    return gettext("No 24/7 intake: ask whether they can take the child tonight")


def tonight_plan(
    needs: SurvivorNeeds, result: MatchResult, contacts: dict[int, Contact]
) -> TonightPlan:
    """What a worker can do tonight when no home but an emergency shelter fits."""
    tonight = result.tonight
    counts = {x.rule: x.homes for x in result.relaxations}
    watched = counts.get("beds", 0) + counts.get("staffing", 0)
    if not tonight.nothing_fits:
        return TonightPlan(False, (), (), (), watched, "")
    # Nearest first, whatever the rule: at night the closest call is the first to make.
    calls = sorted(
        tonight.fail_only,
        key=lambda miss: (miss.distance_miles is None, miss.distance_miles or 0.0, miss.home.id),
    )
    fail_only = tuple(
        TonightCall(
            rule=miss.failed[0].rule,
            action=_tonight_action(needs, miss.failed[0].rule, miss.home),
            home=miss.home,
            distance_miles=miss.distance_miles,
            contact=contacts.get(miss.home.id, NO_CONTACT),
            miss=miss,
        )
        for miss in calls
    )
    shelters = tuple(
        TonightCall(
            rule=None,
            action=INTERIM_LABEL,
            home=ranked.home,
            distance_miles=ranked.distance_miles,
            contact=contacts.get(ranked.home.id, NO_CONTACT),
            ranked=ranked,
        )
        for ranked in tonight.interim_shelters
    )
    # The engine never relaxes a rule of NEVER_OFFERED_RULES (an exclusion zone is never
    # a thing to relax for a bed), so what is left here takes days.
    takes_days = tuple(x for x in result.relaxations if x.rule not in TONIGHT_RULES)
    if watched:
        summary = ngettext(
            "%(homes)s home is full or short of staff tonight. Harbor watches it, and every "
            "other home, and tells you as soon as one that fits has a bed.",
            "%(homes)s homes are full or short of staff tonight. Harbor watches them, and "
            "every other home, and tells you as soon as one that fits has a bed.",
            watched,
        ) % {"homes": watched}
    else:
        summary = gettext(
            "Harbor watches every home and tells you as soon as one that fits has a bed."
        )
    return TonightPlan(True, fail_only, shelters, takes_days, watched, summary)


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
