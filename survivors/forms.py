"""The pages' forms for a survivor's matching fields: `NeedsForm` is the one base for
the intake and the what-if search (matching.forms). The fields carry the limits and
validators the API's serializers use (core.vocab), so a page and the API accept the
same values; the model's full_clean in the service has the last word."""

from __future__ import annotations

import datetime
import math
from typing import Any

from django import forms
from django.utils import timezone

from core.inputs import NEEDS_DEFAULTS, NEEDS_FLAGS, NEEDS_INPUTS, NeedsFormBase
from core.vocab import (
    AGE_MAX,
    CASE_NUMBER_MAX,
    INT_MAX,
    LANGUAGE_NAMES,
    LANGUAGES,
    NAME_MAX,
    NOTES_MAX,
    STATE_CHOICES,
    US_STATES,
    ZONE_RADIUS_MAX,
    Acuity,
    Gender,
    Guardianship,
    MedicalLevel,
    Service,
    SubstanceUse,
    Urgency,
    validate_zip,
)
from survivors.models import Status, Survivor

ZONE_ROWS = 3
# Languages by name for the pages' searchable list (a <datalist>), alphabetical.
LANGUAGE_OPTIONS = sorted(LANGUAGE_NAMES.items(), key=lambda item: item[1])
CHOICES = {
    "gender": Gender.choices,
    "guardianship": Guardianship.choices,
    "urgency": Urgency.choices,
    "substance_use": SubstanceUse.choices,
    "medical_level": MedicalLevel.choices,
    "mental_health_acuity": Acuity.choices,
    "runaway_risk": Acuity.choices,
    "services": Service.choices,
    "states": STATE_CHOICES,
    "languages": LANGUAGE_OPTIONS,
}


def _language_lookup() -> dict[str, str]:
    """Each way a person may type a language (its name, either half of "Persian
    (Farsi)", its ISO code), casefolded, to its ISO 639-1 code."""
    lookup: dict[str, str] = {}
    for code, name in LANGUAGE_NAMES.items():
        lookup[name.casefold()] = code
        if "(" in name:
            outer, _, inner = name.partition("(")
            lookup.setdefault(outer.strip().casefold(), code)
            lookup.setdefault(inner.rstrip(")").strip().casefold(), code)
    lookup.update({code: code for code in LANGUAGES})
    return lookup


_LANGUAGE_LOOKUP = _language_lookup()


def language_name(code: str) -> str:
    """What a page shows for a stored ISO 639-1 code: "es" is "Spanish"."""
    return LANGUAGE_NAMES.get(code, code)


class LanguageField(forms.CharField):
    """A language typed by name ("Spanish", any case) or by ISO 639-1 code ("es"),
    cleaned to the code the database keeps."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = " ".join((super().to_python(value) or "").split())
        if not text:
            return ""
        code = _LANGUAGE_LOOKUP.get(text.casefold())
        if code is None:
            raise forms.ValidationError(
                "Pick a language from the list, by its name (e.g. Spanish).", code="invalid"
            )
        return code


class StatesField(forms.CharField):
    """USPS codes typed as "KS, NE": a list of known states, each once."""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        codes = [part.strip().upper() for part in text.replace(";", ",").split(",")]
        codes = [code for code in codes if code]
        unknown = [code for code in codes if code not in US_STATES]
        if unknown:
            raise forms.ValidationError(
                f"Not USPS state codes: {', '.join(unknown)} (e.g. KS, NE)."
            )
        return list(dict.fromkeys(codes))


class RadiusField(forms.FloatField):
    """Miles, finite: NaN and infinity are not distances."""

    def to_python(self, value: Any) -> float | None:
        number = super().to_python(value)
        if number is not None and not math.isfinite(number):
            raise forms.ValidationError("Give a number of miles.", code="invalid")
        return number


class NeedsForm(NeedsFormBase):
    """A child's matching fields, as the intake and the what-if forms post them. The
    flags, levels and numbers come from the engine's specification (core.inputs), so a
    new one appears on every page that takes the fields."""

    date_of_birth = forms.DateField(required=False)
    custody_state = forms.ChoiceField(choices=STATE_CHOICES)
    icpc_approved_states = StatesField(required=False, max_length=len(US_STATES) * 4)
    # validate_zip says what is wrong with a ZIP in one sentence (length included).
    residence_zip = forms.CharField(validators=[validate_zip], required=False)
    primary_language = LanguageField(required=False)
    services_needed = forms.MultipleChoiceField(choices=Service.choices, required=False)
    max_distance_miles = forms.IntegerField(min_value=1, max_value=INT_MAX, required=False)

    # Defaults for what a form may leave out (the model's and the serializer's).
    DEFAULTS = NEEDS_DEFAULTS

    def __init__(self, *args: Any, zone_rows: int = ZONE_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A stored record may have more zones than the blank form's rows (the API takes
        # up to ZONES_MAX): its edit page shows every one, so none is dropped on saving.
        self.zone_rows = zone_rows
        for row in range(zone_rows):
            self.fields[f"zone_zip_{row}"] = forms.CharField(
                validators=[validate_zip], required=False
            )
            self.fields[f"zone_radius_{row}"] = RadiusField(
                min_value=0, max_value=ZONE_RADIUS_MAX, required=False
            )

    def clean_date_of_birth(self):
        value = self.cleaned_data.get("date_of_birth")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for row in range(self.zone_rows):
            zip_code = cleaned.get(f"zone_zip_{row}")
            radius = cleaned.get(f"zone_radius_{row}")
            if zip_code and radius is None and f"zone_radius_{row}" not in self.errors:
                self.add_error(f"zone_radius_{row}", "Give the radius in miles.")
            elif radius is not None and not zip_code and f"zone_zip_{row}" not in self.errors:
                self.add_error(f"zone_zip_{row}", "Give the ZIP code the zone is around.")
        if cleaned.get("needs_detox") and cleaned.get("substance_use") in ("", None, "none"):
            self.add_error(
                "needs_detox", "Detox is only needed with substance use in recovery or active."
            )
        return cleaned

    def matching_fields(self) -> dict[str, Any]:
        """The cleaned matching fields in the API's shape (exclusion_zones as a list)."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not name.startswith("zone_") and value not in (None, "")
        }
        for name, default in self.DEFAULTS.items():
            data.setdefault(name, default)
        data["exclusion_zones"] = [
            {"zip_code": self.cleaned_data[f"zone_zip_{row}"],
             "radius_miles": self.cleaned_data[f"zone_radius_{row}"]}
            for row in range(self.zone_rows)
            if self.cleaned_data.get(f"zone_zip_{row}")
        ]  # fmt: skip
        data.setdefault("primary_language", "")
        return data

    def errors_by_field(self) -> dict[str, str]:
        """One message per field for the template; the zone rows' under exclusion_zones."""
        flat: dict[str, str] = {}
        zones = []
        for name, messages in self.errors.items():
            text = " ".join(str(m) for m in messages)
            if name.startswith("zone_"):
                zones.append(f"Zone {int(name.rsplit('_', 1)[1]) + 1}: {text}")
            else:
                flat[name] = text
        if zones:
            flat["exclusion_zones"] = " ".join(zones)
        return flat

    def display_values(self) -> dict[str, Any]:
        """What the form shows again: what was typed, zones spread over their rows."""
        data = self.data
        values: dict[str, Any] = {name: data.get(name, "") for name in self.fields}
        values["flags"] = [
            (name, label, bool(data.get(name))) for name, label in NEEDS_FLAGS.items()
        ]
        values["services_needed"] = data.getlist("services_needed") if data else []
        values["icpc_text"] = data.get("icpc_approved_states", "")
        values["zone_rows"] = [
            (row, {"zip_code": data.get(f"zone_zip_{row}", ""),
                   "radius_miles": data.get(f"zone_radius_{row}", "")})
            for row in range(self.zone_rows)
        ]  # fmt: skip
        return values


def initial_values(initial: dict[str, Any]) -> dict[str, Any]:
    """A blank form's values for the template, with these starting choices."""
    values: dict[str, Any] = {"services_needed": [], "icpc_text": "", **initial}
    values["flags"] = [
        (name, label, bool(initial.get(name))) for name, label in NEEDS_FLAGS.items()
    ]
    if values.get("primary_language"):
        values["primary_language"] = language_name(values["primary_language"])
    values["zone_rows"] = [(row, {"zip_code": "", "radius_miles": ""}) for row in range(ZONE_ROWS)]
    return values


class IntakeForm(NeedsForm):
    """A recovered child's intake: identity (encrypted at rest) and the matching fields.

    A child often has no papers and gives no name: the case number may be blank
    (Harbor issues one), the names may be blank (shown as "Unknown", with an alias),
    and an estimated age may stand in for the date of birth (one of the two)."""

    case_number = forms.CharField(max_length=CASE_NUMBER_MAX, required=False)
    first_name = forms.CharField(max_length=NAME_MAX, required=False)
    last_name = forms.CharField(max_length=NAME_MAX, required=False)
    alias = forms.CharField(max_length=NAME_MAX, required=False)
    estimated_age = forms.IntegerField(min_value=0, max_value=AGE_MAX, required=False)
    notes = forms.CharField(max_length=NOTES_MAX, required=False)

    IDENTITY = ("case_number", "first_name", "last_name", "alias", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["residence_zip"].required = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_birth = cleaned.get("date_of_birth") is not None
        has_estimate = cleaned.get("estimated_age") is not None
        if "date_of_birth" in self.errors or "estimated_age" in self.errors:
            return cleaned
        if not has_birth and not has_estimate:
            self.add_error(
                "date_of_birth", "Give the date of birth or, without papers, an estimated age."
            )
        elif has_birth and has_estimate:
            self.add_error("estimated_age", "Give the date of birth or an estimated age, not both.")
        return cleaned

    def record_data(self) -> dict[str, Any]:
        """Every field of the record as the services take it: an optional field left
        blank is None (a date, an age, a distance) or "" (a text)."""
        data = self.matching_fields()
        for name in ("date_of_birth", "estimated_age", "max_distance_miles"):
            data[name] = self.cleaned_data.get(name)
        for name in self.IDENTITY:
            data[name] = self.cleaned_data.get(name) or ""
        return data

    @classmethod
    def values_of(cls, survivor: Survivor, *, today: datetime.date) -> dict[str, Any]:
        """A stored record as the form shows it (the edit page's starting values). An
        estimate shows as the age it has grown to today."""
        values: dict[str, Any] = {
            name: getattr(survivor, name) for name in (*cls.IDENTITY, *REQUIRED_OR_CHOSEN)
        }
        values["date_of_birth"] = (
            survivor.date_of_birth.isoformat() if survivor.date_of_birth else ""
        )
        values["estimated_age"] = survivor.age_on(today) if survivor.age_is_estimated else ""
        values["dependents"] = survivor.dependents
        values["max_distance_miles"] = survivor.max_distance_miles or ""
        values["flags"] = [
            (name, label, bool(getattr(survivor, name))) for name, label in NEEDS_FLAGS.items()
        ]
        values["primary_language"] = language_name(survivor.primary_language)
        values["services_needed"] = list(survivor.services_needed or [])
        values["icpc_text"] = ", ".join(survivor.icpc_approved_states or [])
        zones = list(survivor.exclusion_zones or [])
        values["zone_rows"] = [
            (row, zones[row] if row < len(zones) else {"zip_code": "", "radius_miles": ""})
            for row in range(zone_rows_for(survivor))
        ]
        return values


# The select and text fields the edit page starts from the stored record.
REQUIRED_OR_CHOSEN = (
    "custody_state",
    "residence_zip",
    *(name for name, field in NEEDS_INPUTS.items() if field.kind == "level"),
)


def zone_rows_for(survivor: Survivor) -> int:
    """Rows on the edit page: every stored zone and one blank row to add another."""
    return max(ZONE_ROWS, len(survivor.exclusion_zones or []) + 1)


class IntakeEditForm(IntakeForm):
    """The same intake, completed or corrected later (the edit page): a stored record
    keeps its case number, so it may not be blanked."""

    def __init__(self, *args: Any, survivor: Survivor, **kwargs: Any) -> None:
        super().__init__(*args, zone_rows=zone_rows_for(survivor), **kwargs)
        self.survivor = survivor
        self.fields["case_number"].required = True

    def record_data(self) -> dict[str, Any]:
        data = super().record_data()
        # The page shows an estimate grown to today's age; posting that same age back
        # keeps the estimate (and the day it was made), so the child keeps ageing.
        survivor = self.survivor
        if (
            survivor.age_is_estimated
            and data["estimated_age"] is not None
            and data["estimated_age"] == survivor.age_on(timezone.localdate())
        ):
            data["estimated_age"] = survivor.estimated_age
        return data


class CaseSearchForm(forms.Form):
    """Find a case among those the user may see: by case number, alias or name (MDT
    members: case number only), and by status."""

    search = forms.CharField(max_length=NAME_MAX, required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
