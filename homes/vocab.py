"""The controlled vocabulary shared by homes, survivors and the matching engine.

The string values are the engine's (`matching.engine.types`): a rule or level is
the same string in the database, the API, the templates and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models

from matching.engine.geo import zip_centroid, zip_state


class HomeType(models.TextChoices):
    SAFE_HOME = "safe_home", "Safe home"
    CRISIS_STABILIZATION = "crisis_stabilization", "Crisis stabilization"
    SPECIALIZED_FOSTER = "specialized_foster", "Specialized foster"
    FOSTER = "foster", "Foster"
    GROUP_HOME = "group_home", "Group home"
    EMERGENCY_SHELTER = "emergency_shelter", "Emergency shelter"


TRAFFICKING_SPECIFIC = frozenset(
    {HomeType.SAFE_HOME, HomeType.CRISIS_STABILIZATION, HomeType.SPECIALIZED_FOSTER}
)


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NONBINARY = "nonbinary", "Nonbinary"


class Guardianship(models.TextChoices):
    PARENT = "parent", "Parent"
    STATE = "state", "State ward"
    LEGAL_GUARDIAN = "legal_guardian", "Legal guardian"


class Urgency(models.TextChoices):
    CRISIS = "crisis", "Crisis (tonight)"
    PLANNED = "planned", "Planned"


class SubstanceUse(models.TextChoices):
    NONE = "none", "None"
    IN_RECOVERY = "in_recovery", "In recovery"
    ACTIVE = "active", "Active use"


class MedicalLevel(models.TextChoices):
    NONE = "none", "None"
    ROUTINE = "routine", "Routine"
    COMPLEX = "complex", "Complex"


class Acuity(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class Service(models.TextChoices):
    TRAUMA_THERAPY = "trauma_therapy", "Trauma therapy"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_USE_TREATMENT = "substance_use_treatment", "Substance use treatment"
    MEDICAL_CARE = "medical_care", "Medical care"
    EDUCATION = "education", "Education"
    LEGAL_ADVOCACY = "legal_advocacy", "Legal advocacy"
    LIFE_SKILLS = "life_skills", "Life skills"
    PARENTING_SUPPORT = "parenting_support", "Parenting support"
    FAMILY_THERAPY = "family_therapy", "Family therapy"
    MENTORING = "mentoring", "Mentoring"


US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming",
}  # fmt: skip
STATE_CHOICES = sorted(US_STATES.items())

# ISO 639-1 two-letter language codes.
LANGUAGES = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
    ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks
    ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl
    nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl
    sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve
    vi vo wa wo xh yi yo za zh zu""".split()
)


def validate_state(value: str) -> None:
    if value not in US_STATES:
        raise ValidationError(f"{value!r} is not a USPS state code (two capital letters, e.g. KS).")


def validate_zip(value: str) -> None:
    if not (isinstance(value, str) and len(value) == 5 and value.isdigit()):
        raise ValidationError(f"{value!r} is not a 5-digit ZIP code.")
    if zip_state(value) is None:
        raise ValidationError(f"ZIP code {value} does not exist.")
    # Distances and exclusion zones need a place: military and PO-box-only ZIPs have none.
    if zip_centroid(value) is None:
        raise ValidationError(f"ZIP code {value} has no known location; use a street ZIP code.")


def zip_in_state_error(zip_code: str, state: str) -> str | None:
    """The message for a ZIP code that exists but lies in another state, else None."""
    actual = zip_state(zip_code)
    if actual is not None and state in US_STATES and actual != state:
        return f"ZIP code {zip_code} is in {actual}, not {state}."
    return None


def _validate_members(values: object, allowed: Iterable[str], what: str) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(f"Give a list of {what}.")
    allowed = set(allowed)
    unknown = sorted({v for v in values if v not in allowed})
    if unknown:
        raise ValidationError(f"Unknown {what}: {', '.join(unknown)}.")
    if len(set(values)) != len(values):
        raise ValidationError(f"Each of the {what} may appear only once.")


def validate_genders(values: object) -> None:
    _validate_members(values, Gender.values, "genders")


def validate_languages(values: object) -> None:
    _validate_members(values, LANGUAGES, "language codes (ISO 639-1, e.g. en, es)")


def validate_services(values: object) -> None:
    _validate_members(values, Service.values, "services")


def validate_states(values: object) -> None:
    _validate_members(values, US_STATES, "state codes")
