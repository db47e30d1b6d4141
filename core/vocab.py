"""The controlled vocabulary, one module on the bottom floor: states, ZIPs, languages,
services, levels, rule codes, and the limits every input shares.

The engine's tuples (`engine.types`) are the source: the TextChoices are
built from them, so a rule or level is the same string in the engine, the database,
the API, the templates and the tests; this module adds only the labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core.labels import label
from engine import types
from engine.geo import zip_centroid, zip_state
from engine.spec import labels_of


def _same_values(choices: type[models.TextChoices], values: tuple[str, ...]) -> None:
    """A TextChoices must hold exactly the engine's tuple, in its order: a value without a
    label, or a label for no value, stops the import, so the engine, the database, the API
    and the pages can never drift apart."""
    if tuple(choices.values) != values:
        raise ImproperlyConfigured(
            f"{choices.__name__}: {choices.values} do not match the engine's {values}"
        )


class HomeType(models.TextChoices):
    SAFE_HOME = "safe_home", _("Safe home")
    CRISIS_STABILIZATION = "crisis_stabilization", _("Crisis stabilization")
    SPECIALIZED_FOSTER = "specialized_foster", _("Specialized foster")
    FOSTER = "foster", _("Foster")
    GROUP_HOME = "group_home", _("Group home")
    EMERGENCY_SHELTER = "emergency_shelter", _("Emergency shelter")


_same_values(HomeType, types.HOME_TYPES)
TRAFFICKING_SPECIFIC = types.TRAFFICKING_SPECIFIC

# AFCARS (45 CFR 1355, Appendix A) element "current placement setting": the federal code
# a state reports for where a child in foster care lives.
AFCARS_SETTINGS: dict[int, str] = {
    1: "Pre-adoptive home",
    2: "Foster family home (relative)",
    3: "Foster family home (non-relative)",
    4: "Group home",
    5: "Institution",
    6: "Supervised independent living",
    7: "Runaway",
    8: "Trial home visit",
}
# Each home type's setting, by what AFCARS defines the settings to be: a group home is a
# licensed home giving 24-hour care to a small group (about 7 to 12) of children by staff;
# an institution is a facility giving 24-hour care and/or treatment (child care
# institutions, residential treatment facilities, shelters); a foster family home is a
# licensed family's home. Harbor lists no relatives' homes (2), so no type maps to it; 1, 6,
# 7 and 8 are not settings a directory of beds offers.
HOME_TYPE_AFCARS: dict[str, int] = {
    # A staffed residential home for a small group of survivors, 24-hour shift staff.
    "safe_home": 4,
    # Short-term residential treatment with clinical staff: a residential treatment
    # facility, which AFCARS counts as an institution.
    "crisis_stabilization": 5,
    # A licensed (non-relative) foster family trained for trafficking survivors.
    "specialized_foster": 3,
    # A licensed (non-relative) foster family.
    "foster": 3,
    "group_home": 4,
    # A shelter facility taking children at any hour for short stays: AFCARS reports
    # shelter care by its setting, a child care institution.
    "emergency_shelter": 5,
}
if set(HOME_TYPE_AFCARS) != set(types.HOME_TYPES) or not set(HOME_TYPE_AFCARS.values()) <= set(
    AFCARS_SETTINGS
):
    raise ImproperlyConfigured("HOME_TYPE_AFCARS must map every home type to an AFCARS setting")
# Home types whose location is never published beyond its state (HSDS export): the three
# trafficking-specific ones, where a trafficker looking for a child must not find the
# home, and foster, a private family's house. Group homes and emergency shelters are
# licensed facilities whose addresses state licensing lookups already publish, and a
# shelter must be findable at night.
CONFIDENTIAL_HOME_TYPES = frozenset(TRAFFICKING_SPECIFIC | {"foster"})


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    NONBINARY = "nonbinary", _("Nonbinary")


_same_values(Gender, types.GENDERS)


class Guardianship(models.TextChoices):
    PARENT = "parent", _("Parent")
    STATE = "state", _("State ward")
    LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")


_same_values(Guardianship, types.GUARDIANSHIPS)


class Urgency(models.TextChoices):
    CRISIS = "crisis", _("Crisis (tonight)")
    PLANNED = "planned", _("Planned")


_same_values(Urgency, types.URGENCIES)


class SubstanceUse(models.TextChoices):
    NONE = "none", _("None")
    IN_RECOVERY = "in_recovery", _("In recovery")
    ACTIVE = "active", _("Active use")


_same_values(SubstanceUse, types.SUBSTANCE_LEVELS)


class MedicalLevel(models.TextChoices):
    NONE = "none", _("None")
    ROUTINE = "routine", _("Routine")
    COMPLEX = "complex", _("Complex")


_same_values(MedicalLevel, types.MEDICAL_LEVELS)


class Acuity(models.TextChoices):
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")


_same_values(Acuity, types.ACUITY_LEVELS)


class Service(models.TextChoices):
    TRAUMA_THERAPY = "trauma_therapy", _("Trauma therapy")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUBSTANCE_USE_TREATMENT = "substance_use_treatment", _("Substance use treatment")
    MEDICAL_CARE = "medical_care", _("Medical care")
    EDUCATION = "education", _("Education")
    LEGAL_ADVOCACY = "legal_advocacy", _("Legal advocacy")
    LIFE_SKILLS = "life_skills", _("Life skills")
    PARENTING_SUPPORT = "parenting_support", _("Parenting support")
    FAMILY_THERAPY = "family_therapy", _("Family therapy")
    MENTORING = "mentoring", _("Mentoring")


_same_values(Service, types.SERVICES)


class IndianChild(models.TextChoices):
    NO = "no", _("No")
    YES = "yes", _("Yes")
    UNKNOWN = "unknown", _("Unknown — ask")


_same_values(IndianChild, types.ICWA_STATUSES)


class IcwaCategory(models.TextChoices):
    NONE = "none", _("None")
    TRIBE_APPROVED = "tribe_approved", _("Foster home licensed or approved by a tribe")
    INDIAN_FOSTER_HOME = "indian_foster_home", _("Indian foster home (non-Indian license)")
    TRIBAL_INSTITUTION = "tribal_institution", _("Institution approved by a tribe or Indian-run")


_same_values(IcwaCategory, types.ICWA_CATEGORIES)


class IcwaPreference(models.TextChoices):
    """ICWA's placement preferences (25 U.S.C. 1915(b)), as a tribe may reorder them."""

    EXTENDED_FAMILY = "extended_family", "Extended family"
    TRIBE_APPROVED = "tribe_approved", "Foster home licensed or approved by the child's tribe"
    INDIAN_FOSTER_HOME = "indian_foster_home", "Indian foster home"
    TRIBAL_INSTITUTION = "tribal_institution", "Institution approved by a tribe or Indian-run"


_same_values(IcwaPreference, types.ICWA_PREFERENCES)


class TraffickingType(models.TextChoices):
    SEX = "sex", _("Sex trafficking")
    LABOR = "labor", _("Labor trafficking")
    BOTH = "both", _("Sex and labor trafficking")
    UNKNOWN = "unknown", _("Unknown")


class GoodCause(models.TextChoices):
    """The bases of good cause to depart from ICWA's placement preferences
    (25 CFR 23.132(c)); the reason is recorded in writing (23.132(b))."""

    PARENTS_REQUEST = (
        "parents_request",
        "The parents asked for it, after reviewing the preferred placements",
    )
    CHILD_REQUEST = "child_request", "The child asked for it (of sufficient age and capacity)"
    SIBLING_ATTACHMENT = (
        "sibling_attachment",
        "A sibling attachment kept only through this placement",
    )
    EXTRAORDINARY_NEEDS = "extraordinary_needs", "Extraordinary physical, mental or emotional needs"
    NO_SUITABLE_PLACEMENT = (
        "no_suitable_placement",
        "No suitable preferred placement after a diligent search",
    )


TRIBE_NAME_MAX = 120
TRIBES_MAX = 10


def validate_tribes(values: object) -> None:
    """Tribes by name (a federally recognized tribe's name as the tribe writes it)."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(gettext("Give a list of tribe names."))
    if len(values) > TRIBES_MAX:
        raise ValidationError(gettext("Give at most %(n)s tribes.") % {"n": TRIBES_MAX})
    for value in values:
        if not value.strip() or len(value) > TRIBE_NAME_MAX or value != " ".join(value.split()):
            raise ValidationError(
                gettext("A tribe's name has 1 to %(n)s characters, single spaces.")
                % {"n": TRIBE_NAME_MAX}
            )
    if len({v.casefold() for v in values}) != len(values):
        raise ValidationError(gettext("Each tribe may appear only once."))


def clean_tribes(values: Iterable[str]) -> list[str]:
    """Tribe names as stored: spaces collapsed, blanks and repeats dropped."""
    cleaned: list[str] = []
    for value in values:
        name = " ".join(str(value).split())
        if name and name.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(name)
    return cleaned


# Each level's or tag set's choices by the engine's tuple of values (a field's
# specification names the tuple): the forms and serializers derived from it look them up.
# The labels are lazy (translated when shown), which is a str wherever a form reads them.
LEVEL_CHOICES: dict[tuple[str, ...], list[tuple[str, str]]] = {
    values: cast(list[tuple[str, str]], choices.choices)
    for values, choices in (
        (types.HOME_TYPES, HomeType),
        (types.GENDERS, Gender),
        (types.GUARDIANSHIPS, Guardianship),
        (types.URGENCIES, Urgency),
        (types.SUBSTANCE_LEVELS, SubstanceUse),
        (types.MEDICAL_LEVELS, MedicalLevel),
        (types.ACUITY_LEVELS, Acuity),
        (types.SERVICES, Service),
        (types.ICWA_STATUSES, IndianChild),
        (types.ICWA_CATEGORIES, IcwaCategory),
    )
}

# The matching rules' codes (the engine's RULES, in the specification's order) and the
# short name a page and a report show for each, from the engine's specification. "active"
# is not a rule of the table: a commitment names it when the home was deactivated since
# the search.
# The labels are the engine's English, translated when shown (core.labels).
RULE_LABELS: dict[str, str] = {code: label(text) for code, text in types.RULE_LABELS.items()}
COMMITMENT_RULE_LABELS = {**RULE_LABELS, "active": label(gettext_noop("Home active"))}
# The needs the reports count (a search's `need_flags`), as a page names them.
NEED_LABELS: dict[str, str] = {code: label(text) for code, text in types.NEED_LABELS.items()}
# A home's matching fields as a page labels them (the specification's labels).
HOME_FIELD_LABELS: dict[str, str] = {
    name: label(text) for name, text in labels_of(types.HOME_SPEC).items()
}

# A survivor's and a what-if search's matching fields, as a page labels them: the
# specification's labels, and those of the inputs that are not matching fields.
FIELD_LABELS: dict[str, str] = {
    name: label(text)
    for name, text in {
        "case_number": gettext_noop("Case number"),
        "first_name": gettext_noop("First name"),
        "last_name": gettext_noop("Last name"),
        "alias": gettext_noop("Alias"),
        "estimated_age": gettext_noop("Estimated age"),
        "search": gettext_noop("Search"),
        "status": gettext_noop("Status"),
        "notes": gettext_noop("Notes"),
        "non_field_errors": gettext_noop("Form"),
        "__all__": gettext_noop("Form"),
        "date_of_birth": gettext_noop("Date of birth"),
        "residence_zip": gettext_noop("ZIP where the child is"),
        **labels_of(types.NEEDS_SPEC),
    }.items()
}

# Limits shared by the models, the API's serializers and the pages' forms.
NAME_MAX = 100  # first or last name
NOTES_MAX = 20000
CASE_NUMBER_MAX = 40
MAX_DEPENDENTS = types.MAX_DEPENDENTS
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

# Each state's main IANA time zone: an agency's default (it may pick another).
STATE_TIME_ZONES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
}  # fmt: skip
assert set(STATE_TIME_ZONES) == set(US_STATES)

PHONE_MAX = 30


def validate_phone(value: str) -> None:
    """A number a person can dial: digits with the usual separators, 7 to 15 digits,
    optionally an extension ("+1 (913) 555-0142 ext. 4")."""
    main, _, extension = value.lower().partition("ext")
    digits = sum(ch.isdigit() for ch in main)
    allowed = set("0123456789 +-().")
    if (
        not value
        or not set(main) <= allowed
        or not 7 <= digits <= 15
        or (extension and not extension.strip(". ").isdigit())
    ):
        raise ValidationError(
            gettext("%(value)s is not a phone number: give 7 to 15 digits, e.g. (913) 555-0142.")
            % {"value": repr(value[:40])}
        )


def phone_uri(value: str) -> str:
    """The `tel:` link of a number `validate_phone` accepts ("" for none), so a tap on a
    phone dials it: "+1 (913) 555-0142 ext. 4" -> "tel:+19135550142;ext=4"."""
    main, _, extension = (value or "").lower().partition("ext")
    digits = "".join(ch for ch in main if ch.isdigit())
    if not digits:
        return ""
    plus = "+" if main.strip().startswith("+") else ""
    extension = "".join(ch for ch in extension if ch.isdigit())
    return f"tel:{plus}{digits}" + (f";ext={extension}" if extension else "")


def validate_time_zone(value: str) -> None:
    import zoneinfo

    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            gettext("%(value)s is not an IANA time zone (e.g. America/Chicago).")
            % {"value": repr(value[:60])}
        )


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
# Each ISO 639-1 code's English name: pages take and show names, the database keeps codes.
LANGUAGE_NAMES: dict[str, str] = {
    "aa": "Afar", "ab": "Abkhazian", "ae": "Avestan", "af": "Afrikaans", "ak": "Akan",
    "am": "Amharic", "an": "Aragonese", "ar": "Arabic", "as": "Assamese", "av": "Avaric",
    "ay": "Aymara", "az": "Azerbaijani", "ba": "Bashkir", "be": "Belarusian", "bg": "Bulgarian",
    "bi": "Bislama", "bm": "Bambara", "bn": "Bengali", "bo": "Tibetan", "br": "Breton",
    "bs": "Bosnian", "ca": "Catalan", "ce": "Chechen", "ch": "Chamorro", "co": "Corsican",
    "cr": "Cree", "cs": "Czech", "cu": "Church Slavic", "cv": "Chuvash", "cy": "Welsh",
    "da": "Danish", "de": "German", "dv": "Divehi", "dz": "Dzongkha", "ee": "Ewe",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian (Farsi)", "ff": "Fulah", "fi": "Finnish", "fj": "Fijian",
    "fo": "Faroese", "fr": "French", "fy": "Western Frisian", "ga": "Irish",
    "gd": "Scottish Gaelic", "gl": "Galician", "gn": "Guarani", "gu": "Gujarati", "gv": "Manx",
    "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "ho": "Hiri Motu", "hr": "Croatian",
    "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian", "hz": "Herero",
    "ia": "Interlingua", "id": "Indonesian", "ie": "Interlingue", "ig": "Igbo",
    "ii": "Sichuan Yi", "ik": "Inupiaq", "io": "Ido", "is": "Icelandic", "it": "Italian",
    "iu": "Inuktitut", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kg": "Kongo",
    "ki": "Kikuyu", "kj": "Kuanyama", "kk": "Kazakh", "kl": "Greenlandic", "km": "Khmer",
    "kn": "Kannada", "ko": "Korean", "kr": "Kanuri", "ks": "Kashmiri", "ku": "Kurdish",
    "kv": "Komi", "kw": "Cornish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish",
    "lg": "Ganda", "li": "Limburgish", "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian",
    "lu": "Luba-Katanga", "lv": "Latvian", "mg": "Malagasy", "mh": "Marshallese", "mi": "Maori",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay",
    "mt": "Maltese", "my": "Burmese", "na": "Nauru", "nb": "Norwegian Bokmål",
    "nd": "North Ndebele", "ne": "Nepali", "ng": "Ndonga", "nl": "Dutch",
    "nn": "Norwegian Nynorsk", "no": "Norwegian", "nr": "South Ndebele", "nv": "Navajo",
    "ny": "Chichewa", "oc": "Occitan", "oj": "Ojibwe", "om": "Oromo", "or": "Odia",
    "os": "Ossetian", "pa": "Punjabi", "pi": "Pali", "pl": "Polish", "ps": "Pashto",
    "pt": "Portuguese", "qu": "Quechua", "rm": "Romansh", "rn": "Kirundi", "ro": "Romanian",
    "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit", "sc": "Sardinian", "sd": "Sindhi",
    "se": "Northern Sami", "sg": "Sango", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian",
    "sm": "Samoan", "sn": "Shona", "so": "Somali", "sq": "Albanian", "sr": "Serbian",
    "ss": "Swati", "st": "Southern Sotho", "su": "Sundanese", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "ti": "Tigrinya",
    "tk": "Turkmen", "tl": "Tagalog", "tn": "Tswana", "to": "Tongan", "tr": "Turkish",
    "ts": "Tsonga", "tt": "Tatar", "tw": "Twi", "ty": "Tahitian", "ug": "Uyghur",
    "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "ve": "Venda", "vi": "Vietnamese",
    "vo": "Volapük", "wa": "Walloon", "wo": "Wolof", "xh": "Xhosa", "yi": "Yiddish",
    "yo": "Yoruba", "za": "Zhuang", "zh": "Chinese", "zu": "Zulu",
}  # fmt: skip
assert set(LANGUAGE_NAMES) == LANGUAGES
# The codes as one enum in the API schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
LANGUAGE_CHOICES = sorted(LANGUAGES)


def validate_state(value: str) -> None:
    if value not in US_STATES:
        raise ValidationError(
            gettext("%(value)s is not a USPS state code (two capital letters, e.g. KS).")
            % {"value": repr(value)}
        )


def validate_zip(value: str) -> None:
    if not (isinstance(value, str) and len(value) == 5 and value.isdigit()):
        raise ValidationError(
            gettext("%(value)s is not a 5-digit ZIP code.") % {"value": repr(value)}
        )
    if zip_state(value) is None:
        raise ValidationError(gettext("ZIP code %(zip)s does not exist.") % {"zip": value})
    # Distances and exclusion zones need a place: military and PO-box-only ZIPs have none.
    if zip_centroid(value) is None:
        raise ValidationError(
            gettext("ZIP code %(zip)s has no known location; use a street ZIP code.")
            % {"zip": value}
        )


def zip_in_state_error(zip_code: str, state: str) -> str | None:
    """The message for a ZIP code that exists but lies in another state, else None."""
    actual = zip_state(zip_code)
    if actual is not None and state in US_STATES and actual != state:
        return gettext("ZIP code %(zip)s is in %(actual)s, not %(state)s.") % {
            "zip": zip_code,
            "actual": actual,
            "state": state,
        }
    return None


def _validate_members(values: object, allowed: Iterable[str], what: str) -> None:
    """`what` names the members, a msgid (gettext_noop at the call)."""
    what = gettext(what)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(gettext("Give a list of %(what)s.") % {"what": what})
    allowed = set(allowed)
    unknown = sorted({v for v in values if v not in allowed})
    if unknown:
        raise ValidationError(
            gettext("Unknown %(what)s: %(values)s.") % {"what": what, "values": ", ".join(unknown)}
        )
    if len(set(values)) != len(values):
        raise ValidationError(
            gettext("Each of the %(what)s may appear only once.") % {"what": what}
        )


def validate_genders(values: object) -> None:
    _validate_members(values, Gender.values, gettext_noop("genders"))


def validate_languages(values: object) -> None:
    _validate_members(values, LANGUAGES, gettext_noop("language codes (ISO 639-1, e.g. en, es)"))


def validate_services(values: object) -> None:
    _validate_members(values, Service.values, gettext_noop("services"))


def validate_states(values: object) -> None:
    _validate_members(values, US_STATES, gettext_noop("state codes"))
