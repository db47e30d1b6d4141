"""Value types of the matching engine: what a survivor needs, what a home offers,
and what a search returns. Plain frozen dataclasses; no Django, no clock."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Literal

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

# Rule codes in the order of the specification table; the bit of a rule in a
# failure mask is its index here.
RULES = (
    "beds",
    "staffing",
    "age",
    "gender",
    "substance_use",
    "detox",
    "dependents",
    "medical",
    "pregnancy",
    "mental_health",
    "runaway_risk",
    "guardianship",
    "state_line",
    "exclusion_zone",
    "crisis_intake",
    "license",
)
# What can change tonight (a bed freed, one more staff on shift, a home opening its
# door out of hours), as opposed to what takes days (ICPC, exceptions, a license).
TONIGHT_RULES = ("beds", "staffing", "crisis_intake")
# The home type offered as an interim placement when nothing else fits.
INTERIM_HOME_TYPE = "emergency_shelter"

STALE_AFTER = timedelta(hours=72)

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

    age: int
    gender: Gender
    guardianship: Guardianship
    custody_state: str
    icpc_approved_states: frozenset[str]
    latitude: float | None
    longitude: float | None
    urgency: Urgency
    substance_use: SubstanceLevel
    needs_detox: bool
    dependents: int
    medical_level: MedicalLevel
    pregnant: bool
    mental_health_acuity: Acuity
    runaway_risk: Acuity
    primary_language: str
    services_needed: frozenset[str]
    exclusion_zones: tuple[ExclusionZone, ...]
    max_distance_miles: float | None
    search_date: date

    def __post_init__(self) -> None:
        _check_choice("gender", self.gender, GENDERS)
        _check_choice("guardianship", self.guardianship, GUARDIANSHIPS)
        _check_choice("urgency", self.urgency, URGENCIES)
        _check_choice("substance_use", self.substance_use, SUBSTANCE_LEVELS)
        _check_choice("medical_level", self.medical_level, MEDICAL_LEVELS)
        _check_choice("mental_health_acuity", self.mental_health_acuity, ACUITY_LEVELS)
        _check_choice("runaway_risk", self.runaway_risk, ACUITY_LEVELS)
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

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True, slots=True)
class HomeOffer:
    """A home as the engine sees it. `latitude`/`longitude` are already resolved
    by the caller (the home's own coordinates or its ZIP centroid);
    `availability_updated_at` is an aware datetime or None (never updated);
    `license_expires` is the last day the license is valid, or None (not recorded)."""

    id: int
    name: str
    home_type: HomeType
    state: str
    zip_code: str
    latitude: float
    longitude: float
    licensed_beds: int
    available_beds: int
    staff_on_duty: int
    residents_per_staff: int
    min_age: int
    max_age: int
    genders_served: frozenset[str]
    substance_use_accepted: SubstanceLevel
    detox_on_site: bool
    accepts_parenting: bool
    max_dependents: int
    medical_level: MedicalLevel
    accepts_pregnant: bool
    mental_health_max: Acuity
    staff_secure: bool
    accepts_out_of_state: bool
    accepts_state_wards: bool
    accepts_parent_placements: bool
    intake_24_7: bool
    languages: frozenset[str]
    services: frozenset[str]
    active: bool
    availability_updated_at: datetime | None
    license_expires: date | None

    def __post_init__(self) -> None:
        # A national directory builds 250,000 of these: check fast, explain slowly.
        if (
            self.home_type not in HOME_TYPES
            or self.substance_use_accepted not in SUBSTANCE_LEVELS
            or self.medical_level not in MEDICAL_LEVELS
            or self.mental_health_max not in ACUITY_LEVELS
        ):
            _check_choice("home_type", self.home_type, HOME_TYPES)
            _check_choice("substance_use_accepted", self.substance_use_accepted, SUBSTANCE_LEVELS)
            _check_choice("medical_level", self.medical_level, MEDICAL_LEVELS)
            _check_choice("mental_health_max", self.mental_health_max, ACUITY_LEVELS)
        if type(self.latitude) is not float or type(self.longitude) is not float:
            _as_floats(self, "latitude", "longitude")


def _quick_init[T](cls: type[T]) -> type[T]:
    """A frozen, slotted dataclass built in half the time: its __init__ sets each field
    through the slot's own descriptor, where the generated one calls
    object.__setattr__ with the field's name (a lookup by name per field). Same
    signature and values, still frozen; for the value types a search makes by the
    hundred (factors, failures, results), which have no defaults and no __post_init__."""
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    assert all(
        field.default is MISSING and field.default_factory is MISSING
        for field in fields(cls)  # type: ignore[arg-type]
    ), cls
    assert not hasattr(cls, "__post_init__"), cls
    namespace = {f"_set_{name}": getattr(cls, name).__set__ for name in names}
    source = f"def __init__(self, {', '.join(names)}):\n" + "".join(
        f"    _set_{name}(self, {name})\n" for name in names
    )
    exec(source, namespace)  # noqa: S102 (as dataclasses builds __init__ itself)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[misc]
    return cls


@_quick_init
@dataclass(frozen=True, slots=True)
class RuleFailure:
    rule: str
    reason: str


@_quick_init
@dataclass(frozen=True, slots=True)
class Factor:
    """One part of a score: `points` out of `max`, rounded to 0.1."""

    factor: str
    points: float
    max: float
    detail: str


@_quick_init
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


@_quick_init
@dataclass(frozen=True, slots=True)
class Miss:
    """An infeasible home with its failed rules in RULES order."""

    home: HomeOffer
    distance_miles: float | None
    failed: tuple[RuleFailure, ...]


@_quick_init
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

    `near_misses` holds at most `limit` one-failure homes; `near_miss_count`
    counts all of them. `excluded` is None unless asked for, and then one page of
    the infeasible homes (`excluded_count` counts all of them). `failures_by_rule`
    counts, for every rule, the homes failing it (alone or with others). `tonight`
    says what can change tonight when nothing but an emergency shelter fits.
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
