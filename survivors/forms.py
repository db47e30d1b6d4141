"""The pages' forms for a survivor's matching fields: `NeedsForm` is the one base for
the intake and the what-if search (matching.forms). The fields carry the limits and
validators the API's serializers use (core.vocab), so a page and the API accept the
same values; the model's full_clean in the service has the last word."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils import timezone

from core.vocab import (
    CASE_NUMBER_MAX,
    INT_MAX,
    LANGUAGES,
    MAX_DEPENDENTS,
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

ZONE_ROWS = 3
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
}


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


class NeedsForm(forms.Form):
    """A child's matching fields, as the intake and the what-if forms post them."""

    date_of_birth = forms.DateField(required=False)
    gender = forms.ChoiceField(choices=Gender.choices)
    guardianship = forms.ChoiceField(choices=Guardianship.choices)
    custody_state = forms.ChoiceField(choices=STATE_CHOICES)
    icpc_approved_states = StatesField(required=False, max_length=len(US_STATES) * 4)
    # validate_zip says what is wrong with a ZIP in one sentence (length included).
    residence_zip = forms.CharField(validators=[validate_zip], required=False)
    urgency = forms.ChoiceField(choices=Urgency.choices, required=False)
    substance_use = forms.ChoiceField(choices=SubstanceUse.choices, required=False)
    needs_detox = forms.BooleanField(required=False)
    dependents = forms.IntegerField(min_value=0, max_value=MAX_DEPENDENTS, required=False)
    medical_level = forms.ChoiceField(choices=MedicalLevel.choices, required=False)
    pregnant = forms.BooleanField(required=False)
    mental_health_acuity = forms.ChoiceField(choices=Acuity.choices, required=False)
    runaway_risk = forms.ChoiceField(choices=Acuity.choices, required=False)
    primary_language = forms.ChoiceField(
        choices=[("", "—")] + [(code, code) for code in sorted(LANGUAGES)], required=False
    )
    services_needed = forms.MultipleChoiceField(choices=Service.choices, required=False)
    max_distance_miles = forms.IntegerField(min_value=1, max_value=INT_MAX, required=False)

    # Defaults for what a form may leave out (the model's and the serializer's).
    DEFAULTS = {
        "urgency": Urgency.PLANNED,
        "substance_use": SubstanceUse.NONE,
        "dependents": 0,
        "medical_level": MedicalLevel.NONE,
        "mental_health_acuity": Acuity.LOW,
        "runaway_risk": Acuity.LOW,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(ZONE_ROWS):
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
        for row in range(ZONE_ROWS):
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
            for row in range(ZONE_ROWS)
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
        values["needs_detox"] = bool(data.get("needs_detox"))
        values["pregnant"] = bool(data.get("pregnant"))
        values["services_needed"] = data.getlist("services_needed") if data else []
        values["icpc_text"] = data.get("icpc_approved_states", "")
        values["zone_rows"] = [
            (row, {"zip_code": data.get(f"zone_zip_{row}", ""),
                   "radius_miles": data.get(f"zone_radius_{row}", "")})
            for row in range(ZONE_ROWS)
        ]  # fmt: skip
        return values


def initial_values(initial: dict[str, Any]) -> dict[str, Any]:
    """A blank form's values for the template, with these starting choices."""
    values: dict[str, Any] = {"services_needed": [], "icpc_text": "", **initial}
    values["zone_rows"] = [(row, {"zip_code": "", "radius_miles": ""}) for row in range(ZONE_ROWS)]
    return values


class IntakeForm(NeedsForm):
    """A recovered child's intake: identity (encrypted at rest) and the matching fields."""

    case_number = forms.CharField(max_length=CASE_NUMBER_MAX)
    first_name = forms.CharField(max_length=NAME_MAX)
    last_name = forms.CharField(max_length=NAME_MAX)
    notes = forms.CharField(max_length=NOTES_MAX, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].required = True
        self.fields["residence_zip"].required = True

    def intake_data(self) -> dict[str, Any]:
        data = self.matching_fields()
        for name in ("case_number", "first_name", "last_name", "notes"):
            data[name] = self.cleaned_data.get(name) or ""
        return data
