"""The controlled vocabulary, one module on the bottom floor: states, ZIPs, languages,
services, levels, rule codes, and the limits every input shares.

The engine's tuples (`matching.engine.types`) are the source: the TextChoices are
built from them, so a rule or level is the same string in the engine, the database,
the API, the templates and the tests; this module adds only the labels.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models

from matching.engine import types
from matching.engine.geo import zip_centroid, zip_state


def _choices(
    name: str, values: tuple[str, ...], labels: dict[str, str]
) -> type[models.TextChoices]:
    """A TextChoices whose values are exactly the engine's tuple, in its order.

    A value without a label, or a label for no value, stops the import: the engine,
    the database, the API and the pages can never drift apart.
    """
    if set(labels) != set(values):
        raise ImproperlyConfigured(
            f"{name}: labels {sorted(labels)} do not match the engine's {sorted(values)}"
        )
    return models.TextChoices(name, [(v.upper(), (v, labels[v])) for v in values])


HomeType = _choices(
    "HomeType",
    types.HOME_TYPES,
    {
        "safe_home": "Safe home",
        "crisis_stabilization": "Crisis stabilization",
        "specialized_foster": "Specialized foster",
        "foster": "Foster",
        "group_home": "Group home",
        "emergency_shelter": "Emergency shelter",
    },
)
TRAFFICKING_SPECIFIC = types.TRAFFICKING_SPECIFIC

Gender = _choices(
    "Gender", types.GENDERS, {"female": "Female", "male": "Male", "nonbinary": "Nonbinary"}
)
Guardianship = _choices(
    "Guardianship",
    types.GUARDIANSHIPS,
    {"parent": "Parent", "state": "State ward", "legal_guardian": "Legal guardian"},
)
Urgency = _choices("Urgency", types.URGENCIES, {"crisis": "Crisis (tonight)", "planned": "Planned"})
SubstanceUse = _choices(
    "SubstanceUse",
    types.SUBSTANCE_LEVELS,
    {"none": "None", "in_recovery": "In recovery", "active": "Active use"},
)
MedicalLevel = _choices(
    "MedicalLevel",
    types.MEDICAL_LEVELS,
    {"none": "None", "routine": "Routine", "complex": "Complex"},
)
Acuity = _choices(
    "Acuity", types.ACUITY_LEVELS, {"low": "Low", "moderate": "Moderate", "high": "High"}
)
Service = _choices(
    "Service",
    types.SERVICES,
    {
        "trauma_therapy": "Trauma therapy",
        "mental_health": "Mental health",
        "substance_use_treatment": "Substance use treatment",
        "medical_care": "Medical care",
        "education": "Education",
        "legal_advocacy": "Legal advocacy",
        "life_skills": "Life skills",
        "parenting_support": "Parenting support",
        "family_therapy": "Family therapy",
        "mentoring": "Mentoring",
    },
)

# The matching rules' codes (the engine's RULES, in the specification's order), and the
# short name a page shows for each. "active" is not a rule of the table: a commitment
# names it when the home was deactivated since the search.
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
}
if set(RULE_LABELS) != set(types.RULES):
    raise ImproperlyConfigured("RULE_LABELS must name exactly the engine's RULES")
COMMITMENT_RULE_LABELS = {**RULE_LABELS, "active": "Home active"}

# A survivor's and a what-if search's matching fields, as a page labels them.
FIELD_LABELS = {
    "case_number": "Case number", "first_name": "First name", "last_name": "Last name",
    "date_of_birth": "Date of birth", "age": "Age", "gender": "Gender",
    "guardianship": "Guardianship", "custody_state": "Custody state",
    "icpc_approved_states": "ICPC approved states", "residence_zip": "ZIP where the child is",
    "urgency": "Urgency", "substance_use": "Substance use", "needs_detox": "Needs detox",
    "dependents": "Own children", "medical_level": "Medical needs", "pregnant": "Pregnant",
    "mental_health_acuity": "Mental health acuity", "runaway_risk": "Runaway risk",
    "primary_language": "Primary language", "services_needed": "Services needed",
    "exclusion_zones": "Exclusion zones", "max_distance_miles": "Maximum distance",
    "notes": "Notes", "non_field_errors": "Form", "__all__": "Form",
}  # fmt: skip

# Limits shared by the models, the API's serializers and the pages' forms.
NAME_MAX = 100  # first or last name
NOTES_MAX = 20000
CASE_NUMBER_MAX = 40
MAX_DEPENDENTS = 10  # own children who live with the child
ZONE_RADIUS_MAX = 500  # miles
ZONES_MAX = 50
AGE_MAX = 25  # an estimated or what-if age, in whole years
INT_MAX = 2147483647  # PostgreSQL's integer


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
# The codes as one enum in the API schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
LANGUAGE_CHOICES = sorted(LANGUAGES)


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
