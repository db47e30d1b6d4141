"""Value types of the matching engine: what a survivor needs, what a home offers,
and what a search returns. Plain frozen dataclasses; no Django, no clock."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import repeat
from typing import Any, Literal

from .spec import FieldSpec, spec, specs_of

# Ordered levels: a survivor's level passes a home's when its index is not higher.
SUBSTANCE_LEVELS = ("none", "in_recovery", "active")
MEDICAL_LEVELS = ("none", "routine", "complex")
ACUITY_LEVELS = ("low", "moderate", "high")  # mental_health and runaway_risk

GENDERS = ("female", "male", "nonbinary")
GUARDIANSHIPS = ("parent", "state", "legal_guardian")
URGENCIES = ("crisis", "planned")
HOME_TYPES = (
    "safe_home",
    "crisis_stabilization",
    "specialized_foster",
    "foster",
    "group_home",
    "emergency_shelter",
)
TRAFFICKING_SPECIFIC = frozenset({"safe_home", "crisis_stabilization", "specialized_foster"})
# The Indian Child Welfare Act (25 U.S.C. 1915(b)): whether the child is an Indian child
# ("unknown": not yet asked, or the tribe not yet confirmed), a home's ICWA category, and
# the default order of the foster-care placement preferences. Harbor lists no relatives'
# homes, so the first preference (a member of the child's extended family) never ranks a
# home of the directory; it keeps its place so a tier is the statute's number.
ICWA_STATUSES = ("no", "yes", "unknown")
ICWA_CATEGORIES = ("none", "tribe_approved", "indian_foster_home", "tribal_institution")
ICWA_PREFERENCES = ("extended_family", "tribe_approved", "indian_foster_home", "tribal_institution")
SERVICES = (
    "trauma_therapy",
    "mental_health",
    "substance_use_treatment",
    "medical_care",
    "education",
    "legal_advocacy",
    "life_skills",
    "parenting_support",
    "family_therapy",
    "mentoring",
)

# Rule codes in the order of the specification table, with the short name a page and a
# report show; the bit of a rule in a failure mask is its index here.
RULE_LABELS: dict[str, str] = {
    "beds": "Beds",
    "staffing": "Staffing",
    "age": "Age",
    "gender": "Gender",
    "substance_use": "Substance use",
    "detox": "Detox",
    "dependents": "Own children",
    "medical": "Medical",
    "pregnancy": "Pregnancy",
    "mental_health": "Mental health",
    "runaway_risk": "Runaway risk",
    "guardianship": "Guardianship",
    "state_line": "State line / ICPC",
    "exclusion_zone": "Exclusion zone",
    "crisis_intake": "Crisis intake",
    "license": "License",
    "juvenile_justice": "Juvenile justice",
    "keep_apart": "Kept apart",
    "language": "Language",
}
RULES = tuple(RULE_LABELS)
# The needs the reports count a search under (a child may have several), in the order of
# their bits in a stored search: append, never reorder. Each is flagged by the child's
# field whose spec names it (`need=`).
NEED_LABELS: dict[str, str] = {
    "substance_use": "Substance use",
    "own_children": "Own children",
    "pregnancy": "Pregnancy",
    "medical": "Complex medical needs",
    "mental_health": "High mental-health acuity",
    "runaway_risk": "High runaway risk",
    "juvenile_justice": "Juvenile justice involvement",
}
NEEDS = tuple(NEED_LABELS)
# What can change tonight (a bed freed, one more staff on shift, a home opening its
# door out of hours), as opposed to what takes days (ICPC, exceptions, a license).
TONIGHT_RULES = ("beds", "staffing", "crisis_intake")
# Rules a home must never be offered past (DESIGN "Safety across cases"): a home failing
# one is never a near miss, a call tonight, a relaxation or a contact shown, whatever
# else it fails. It stays in the excluded list, which says why it is out. A new safety
# rule (keep_apart) is added here and nowhere else.
NEVER_OFFERED_RULES: frozenset[str] = frozenset({"exclusion_zone", "keep_apart"})
# The home type offered as an interim placement when nothing else fits.
INTERIM_HOME_TYPE = "emergency_shelter"

STALE_AFTER = timedelta(hours=72)
MAX_DEPENDENTS = 10  # own children who live with the child

Gender = Literal["female", "male", "nonbinary"]
Guardianship = Literal["parent", "state", "legal_guardian"]
Urgency = Literal["crisis", "planned"]
SubstanceLevel = Literal["none", "in_recovery", "active"]
MedicalLevel = Literal["none", "routine", "complex"]
Acuity = Literal["low", "moderate", "high"]
HomeType = Literal[
    "safe_home",
    "crisis_stabilization",
    "specialized_foster",
    "foster",
    "group_home",
    "emergency_shelter",
]


def _check_choice(field: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{field} must be one of {', '.join(choices)}; got {value!r}")


def _as_floats(instance: object, *fields: str) -> None:
    # Database rows bring Decimals; float / Decimal raises mid-search, and the
    # scalar and numpy paths must see the very same float.
    for field in fields:
        value = getattr(instance, field)
        if value is not None and type(value) is not float:
            object.__setattr__(instance, field, float(value))


def age_on(date_of_birth: date, today: date) -> int:
    """Age in whole years on `today`.

    A birthday on 29 February counts on 1 March in non-leap years, because
    (3, 1) is the first (month, day) after (2, 29).
    """
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


@dataclass(frozen=True, slots=True)
class ExclusionZone:
    """A place to keep the child away from; the caller resolves the ZIP centroid."""

    zip_code: str
    radius_miles: float
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        _as_floats(self, "radius_miles", "latitude", "longitude")
        if not self.radius_miles >= 0:
            raise ValueError(f"radius_miles must be >= 0; got {self.radius_miles!r}")


@dataclass(frozen=True, slots=True)
class SurvivorNeeds:
    """The matching fields of a survivor, without identity.

    `age` is computed by the caller on `search_date` (see `age_on`), the day the
    `license` rule checks licenses against: the caller's today, never the clock's.
    `latitude`/`longitude` are where the child is now, or both None.
    """

    age: int = spec("int", "Age", minimum=0, input=False)
    gender: Gender = spec("level", "Gender", levels=GENDERS, rule="gender")
    guardianship: Guardianship = spec(
        "level", "Guardianship", levels=GUARDIANSHIPS, rule="guardianship"
    )
    custody_state: str = spec("state", "Custody state", rule="state_line")
    icpc_approved_states: frozenset[str] = spec(
        "states", "ICPC approved states", default=frozenset(), rule="state_line"
    )
    latitude: float | None = spec("float", "Latitude", input=False)
    longitude: float | None = spec("float", "Longitude", input=False)
    urgency: Urgency = spec(
        "level", "Urgency", levels=URGENCIES, default="planned", rule="crisis_intake"
    )
    substance_use: SubstanceLevel = spec(
        "level",
        "Substance use",
        levels=SUBSTANCE_LEVELS,
        default="none",
        rule="substance_use",
        need="substance_use",
    )
    needs_detox: bool = spec("bool", "Needs detox", default=False, rule="detox")
    dependents: int = spec(
        "int",
        "Own children",
        default=0,
        minimum=0,
        maximum=MAX_DEPENDENTS,
        rule="dependents",
        need="own_children",
    )
    medical_level: MedicalLevel = spec(
        "level",
        "Medical needs",
        levels=MEDICAL_LEVELS,
        default="none",
        rule="medical",
        need="medical",
        need_values=("complex",),
    )
    pregnant: bool = spec("bool", "Pregnant", default=False, rule="pregnancy", need="pregnancy")
    mental_health_acuity: Acuity = spec(
        "level",
        "Mental health acuity",
        levels=ACUITY_LEVELS,
        default="low",
        rule="mental_health",
        need="mental_health",
        need_values=("high",),
    )
    runaway_risk: Acuity = spec(
        "level",
        "Runaway risk",
        levels=ACUITY_LEVELS,
        default="low",
        rule="runaway_risk",
        need="runaway_risk",
        need_values=("high",),
    )
    juvenile_justice_involved: bool = spec(
        "bool",
        "Juvenile justice involvement",
        default=False,
        rule="juvenile_justice",
        need="juvenile_justice",
    )
    primary_language: str = spec("language", "Primary language", default="")
    # Set, the child's language is a rule (a home must list it), not only score points.
    interpreter_needed: bool = spec("bool", "Interpreter needed", default=False, rule="language")
    indian_child: str = spec("level", "Indian child (ICWA)", levels=ICWA_STATUSES, default="no")
    tribes: frozenset[str] = spec("tags", "Tribes", default=frozenset())
    services_needed: frozenset[str] = spec(
        "tags", "Services needed", levels=SERVICES, default=frozenset()
    )
    exclusion_zones: tuple[ExclusionZone, ...] = spec(
        "zones", "Exclusion zones", default=(), rule="exclusion_zone"
    )
    max_distance_miles: float | None = spec("float", "Maximum distance", default=None)
    # The homes where a child she must be kept apart from (a recruiter, a co-victim) is
    # placed, held or referred: read from the workflow's live rows, never an input.
    keep_apart_homes: frozenset[int] = spec(
        "ids",
        "Homes of children to keep apart from",
        default=frozenset(),
        rule="keep_apart",
        input=False,
        optional=True,
    )
    search_date: date = spec("date", "Search date", rule="license", input=False)
    # The order of ICWA's preferences for this child: the default, or the order the
    # child's tribe set (25 U.S.C. 1915(c)), read by the caller.
    # The one field with a dataclass default (last, so the others stay required).
    icwa_order: tuple[str, ...] = dataclasses.field(
        default=ICWA_PREFERENCES,
        metadata={
            "spec": FieldSpec(
                "tags", "ICWA preference order", default=ICWA_PREFERENCES, input=False
            )
        },
    )

    def __post_init__(self) -> None:
        for name, levels in _NEEDS_LEVELS:
            _check_choice(name, getattr(self, name), levels)
        _as_floats(self, "latitude", "longitude", "max_distance_miles")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must both be given or both be None")
        if self.dependents < 0:
            raise ValueError(f"dependents must be >= 0; got {self.dependents}")
        if self.max_distance_miles is not None and not self.max_distance_miles >= 0:
            raise ValueError(f"max_distance_miles must be >= 0; got {self.max_distance_miles!r}")
        # A datetime is a date too, but comparing it with a license's date raises mid-search.
        if not isinstance(self.search_date, date) or isinstance(self.search_date, datetime):
            raise ValueError(f"search_date must be a date; got {self.search_date!r}")
        if not set(self.icwa_order) <= set(ICWA_PREFERENCES) or len(set(self.icwa_order)) != len(
            self.icwa_order
        ):
            raise ValueError(f"icwa_order must order {ICWA_PREFERENCES}; got {self.icwa_order!r}")

    @property
    def icwa_applies(self) -> bool:
        """ICWA's preferences rank the homes: an Indian child, or one whose status is
        still unknown but a tribe is named (the agency must treat her as one until the
        tribe answers, 25 CFR 23.107(b))."""
        return self.indian_child == "yes" or (self.indian_child == "unknown" and bool(self.tribes))

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True, slots=True)
class HomeOffer:
    """A home as the engine sees it. `latitude`/`longitude` are already resolved
    by the caller (the home's own coordinates or its ZIP centroid);
    `availability_updated_at` is an aware datetime or None (never updated);
    `license_expires` is the last day the license is valid, or None (not recorded)."""

    id: int = spec("id", "Id")
    name: str = spec("text", "Home name")
    home_type: HomeType = spec("level", "Home type", levels=HOME_TYPES)
    state: str = spec("state", "State", rule="state_line")
    zip_code: str = spec("zip", "ZIP code")
    latitude: float = spec("float", "Latitude")
    longitude: float = spec("float", "Longitude")
    licensed_beds: int = spec("int", "Licensed beds", rule="staffing")
    available_beds: int = spec("int", "Available beds", rule="beds")
    staff_on_duty: int = spec("int", "Staff on duty", rule="staffing")
    residents_per_staff: int = spec("int", "Residents per staff member", rule="staffing")
    min_age: int = spec("int", "Youngest age served", rule="age")
    max_age: int = spec("int", "Oldest age served", rule="age")
    genders_served: frozenset[str] = spec("tags", "Genders served", levels=GENDERS, rule="gender")
    substance_use_accepted: SubstanceLevel = spec(
        "level", "Substance use accepted", levels=SUBSTANCE_LEVELS, rule="substance_use"
    )
    detox_on_site: bool = spec(
        "bool", "Detox on site", rule="detox", requires=("needs_detox", True)
    )
    accepts_parenting: bool = spec(
        "bool", "Takes parenting youth with their children", rule="dependents"
    )
    max_dependents: int = spec(
        "int", "Most children a parenting youth may bring", rule="dependents"
    )
    medical_level: MedicalLevel = spec(
        "level", "Medical care level", levels=MEDICAL_LEVELS, rule="medical"
    )
    accepts_pregnant: bool = spec(
        "bool", "Takes pregnant youth", rule="pregnancy", requires=("pregnant", True)
    )
    mental_health_max: Acuity = spec(
        "level",
        "Highest mental health acuity served",
        levels=ACUITY_LEVELS,
        rule="mental_health",
    )
    staff_secure: bool = spec(
        "bool", "Staff secure", rule="runaway_risk", requires=("runaway_risk", "high")
    )
    accepts_out_of_state: bool = spec("bool", "Takes children from other states", rule="state_line")
    accepts_state_wards: bool = spec("bool", "Takes state wards", rule="guardianship")
    accepts_parent_placements: bool = spec(
        "bool", "Takes placements by parents or guardians", rule="guardianship"
    )
    intake_24_7: bool = spec(
        "bool",
        "Takes children 24/7 (crisis intake)",
        rule="crisis_intake",
        requires=("urgency", "crisis"),
    )
    accepts_juvenile_justice: bool = spec(
        "bool",
        "Takes youth with juvenile justice involvement",
        rule="juvenile_justice",
        requires=("juvenile_justice_involved", True),
    )
    languages: frozenset[str] = spec("tags", "Languages spoken", rule="language")
    services: frozenset[str] = spec("tags", "Services offered", levels=SERVICES)
    active: bool = spec("bool", "Offered to case workers (active)")
    availability_updated_at: datetime | None = spec("datetime", "Availability updated")
    license_expires: date | None = spec("date", "License expires", rule="license")
    icwa_category: str = spec("level", "ICWA category", levels=ICWA_CATEGORIES)
    approving_tribes: frozenset[str] = spec("tags", "Approved or licensed by the tribes")

    def __post_init__(self) -> None:
        # A national directory builds 250,000 of these: check fast, explain slowly.
        for name, levels in _HOME_LEVELS:
            _check_choice(name, getattr(self, name), levels)
        if type(self.latitude) is not float or type(self.longitude) is not float:
            _as_floats(self, "latitude", "longitude")


# Each field's slot setter, in the order of the fields: see trusted_offers.
_OFFER_SETTERS = tuple(
    getattr(HomeOffer, field.name).__set__ for field in dataclasses.fields(HomeOffer)
)


def trusted_offers(*columns: Sequence[Any]) -> list[HomeOffer]:
    """HomeOffers from one sequence per field (in order, a value per home), as
    HomeOffer(*values) makes each but unchecked: for the directory, whose columns can
    hold only valid levels (codes) and float coordinates. The dataclass's own
    constructor (a frozen one sets each field through object.__setattr__, then checks
    the levels) took about three times as long as setting the slots; set a field at a
    time, each field's values on every offer by one `map` run in C, half as long again
    as a Python loop over the fields per home (the 40 homes a search at 250,000 homes
    shows, when not cached). Equal to the checked ones (tests/engine/test_types.py)."""
    if len(columns) != len(_OFFER_SETTERS):
        raise TypeError(f"a HomeOffer has {len(_OFFER_SETTERS)} fields; got {len(columns)}")
    count = len(columns[0]) if columns else 0
    if any(len(values) != count for values in columns):
        raise ValueError("every field needs a value for every home")
    offers = list(map(object.__new__, repeat(HomeOffer, count)))
    for setter, values in zip(_OFFER_SETTERS, columns, strict=True):
        deque(map(setter, offers, values), maxlen=0)
    return offers


@dataclass(frozen=True, slots=True)
class RuleFailure:
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Factor:
    """One part of a score: `points` out of `max`, rounded to 0.1."""

    factor: str
    points: float
    max: float
    detail: str


@dataclass(frozen=True, slots=True)
class Ranked:
    """A feasible home. `distance_miles` is rounded to 0.1 mi, None without a
    survivor location; `stale` flags availability older than STALE_AFTER."""

    rank: int
    score: float
    distance_miles: float | None
    stale: bool
    home: HomeOffer
    breakdown: tuple[Factor, ...]
    # The home's ICWA preference for an Indian child (1 best ... 4), None outside the
    # preferences or for a child ICWA does not cover (see icwa.py).
    icwa_tier: int | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    """An infeasible home with its failed rules in RULES order."""

    home: HomeOffer
    distance_miles: float | None
    failed: tuple[RuleFailure, ...]


@dataclass(frozen=True, slots=True)
class Relaxation:
    """How many homes fail only `rule`, and what a case worker could do about it."""

    rule: str
    homes: int
    suggestion: str


@dataclass(frozen=True, slots=True)
class Tonight:
    """What can change tonight when no home but an emergency shelter fits.

    `nothing_fits`: no feasible home other than emergency shelters. Only then are the
    lists filled: `fail_only` holds homes failing one of TONIGHT_RULES and nothing
    else, nearest first within each rule, rules in TONIGHT_RULES order;
    `interim_shelters` the best feasible emergency shelters, ranked as the results.
    """

    nothing_fits: bool
    fail_only: tuple[Miss, ...] = ()
    interim_shelters: tuple[Ranked, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer to one search.

    `near_misses` holds at most `limit` one-failure homes, never one failing a rule of
    NEVER_OFFERED_RULES; `near_miss_count` counts all of them. `excluded` is None
    unless asked for, and then one page of the infeasible homes (`excluded_count`
    counts all of them). `failures_by_rule` counts, for every rule, the homes failing
    it (alone or with others). `tonight` says what can change tonight when nothing but
    an emergency shelter fits.
    """

    homes_considered: int
    feasible_count: int
    results: tuple[Ranked, ...]
    near_misses: tuple[Miss, ...]
    near_miss_count: int
    excluded: tuple[Miss, ...] | None
    relaxations: tuple[Relaxation, ...]
    failures_by_rule: dict[str, int]
    excluded_count: int = 0
    tonight: Tonight = Tonight(nothing_fits=False)


# The specification of every matching field (see spec.py), and what is derived from it.
NEEDS_SPEC: dict[str, FieldSpec] = dict(specs_of(SurvivorNeeds))
HOME_SPEC: dict[str, FieldSpec] = dict(specs_of(HomeOffer))
# The child's fields an input (a form, a request, the stored record) gives as they are.
NEEDS_INPUT_NAMES = tuple(name for name, field in NEEDS_SPEC.items() if field.input)
_NEEDS_LEVELS = tuple((n, f.levels) for n, f in NEEDS_SPEC.items() if f.kind == "level")
_HOME_LEVELS = tuple((n, f.levels) for n, f in HOME_SPEC.items() if f.kind == "level")
# Rules a home fails for lack of one capability when the child needs it:
# rule -> (the home's field, the child's field, the value that needs it).
CAPABILITIES: dict[str, tuple[str, str, object]] = {
    field.rule: (name, *field.requires)
    for name, field in HOME_SPEC.items()
    if field.requires is not None and field.rule is not None
}
assert all(
    field.rule in RULE_LABELS for field in (*NEEDS_SPEC.values(), *HOME_SPEC.values()) if field.rule
)
assert all(field.need in NEED_LABELS for field in NEEDS_SPEC.values() if field.need)
assert all(needed in NEEDS_SPEC for _, needed, _ in CAPABILITIES.values())
