"""The home admin's forms: the bed and staff taps, and the profile.

Each shares its limits with the API: the taps with
`homes.serializers.AvailabilitySerializer`, the profile with `HomeSerializer` through
the model's own validators (phone, ZIP, ages, languages, services). The services check
them again against the home under its row lock.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import TribesField
from core.types import RequestUser
from core.vocab import HOME_FIELD_LABELS, INT_MAX, LANGUAGE_NAMES, LANGUAGES, Gender, Service
from homes.models import Home
from homes.policy import AVAILABILITY_FIELDS, locked_fields
from homes.services import PROFILE_FIELDS


class AvailabilityForm(forms.Form):
    available_beds = forms.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    staff_on_duty = forms.IntegerField(min_value=0, max_value=INT_MAX, required=False)
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if (
            not self.errors
            and not cleaned.get("confirm")
            and cleaned.get("available_beds") is None
            and cleaned.get("staff_on_duty") is None
        ):
            raise forms.ValidationError(_("Tap the free beds or the staff on duty."))
        return cleaned


_NAME_TO_CODE = {name.casefold(): code for code, name in LANGUAGE_NAMES.items()}
LANGUAGES_TEXT_MAX = 2000


class LanguagesField(forms.CharField):
    """Languages by name, comma separated ("English, Spanish"), kept as ISO 639-1 codes.
    A code ("es") is understood too."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=LANGUAGES_TEXT_MAX, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(LANGUAGE_NAMES.get(str(code), str(code)) for code in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        codes: list[str] = []
        unknown: list[str] = []
        for part in text.replace(";", ",").split(","):
            word = " ".join(part.split())
            if not word:
                continue
            code = word.lower() if word.lower() in LANGUAGES else _NAME_TO_CODE.get(word.casefold())
            if code is None:
                unknown.append(word[:40])
            elif code not in codes:
                codes.append(code)
        if unknown:
            raise forms.ValidationError(
                _("Unknown language: %(names)s. Give names such as English, Spanish.")
                % {"names": ", ".join(unknown)}
            )
        return codes

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(_("Give at least one language, e.g. English."))

    def run_validators(self, value: Any) -> None:
        return None  # the model's validate_languages checks the codes


class HomeProfileForm(forms.ModelForm):
    """A home's profile as its admin keeps it; what the license says (homes.policy) is
    left out for a home admin and shown read-only by the page. Beds and staff on duty
    are never here: the taps change them, with their own history."""

    genders_served = forms.MultipleChoiceField(
        choices=Gender.choices, widget=forms.CheckboxSelectMultiple, label=_("Genders served")
    )
    services = forms.MultipleChoiceField(
        choices=Service.choices, widget=forms.CheckboxSelectMultiple, label=_("Services offered")
    )
    languages = LanguagesField(
        label=_("Languages spoken"), help_text=_("Comma separated, e.g. English, Spanish.")
    )
    approving_tribes = TribesField(
        required=False,
        label=_("Approved or licensed by the tribes"),
        help_text=_("One a line, e.g. Cherokee Nation: ICWA prefers the home for their children"),
    )

    class Meta:
        model = Home
        fields = [name for name in PROFILE_FIELDS if name not in AVAILABILITY_FIELDS]
        labels = {
            # The matching fields as the engine's specification labels them.
            **HOME_FIELD_LABELS,
            "intake_phone": _("Intake phone (the number a worker calls at night)"),
            "intake_email": _("Intake email (where a referral's answer link goes)"),
            "contact_name": _("Contact name"),
            "license_number": _("License number"),
        }
        help_texts = {
            "latitude": _("Optional; the ZIP code's centre is used without it."),
            "longitude": _("Optional; give both or neither."),
            "intake_phone": _("e.g. (913) 555-0142"),
            "intake_email": _(
                "Without a Harbor user, the home answers a referral through a single-use "
                "link sent here and by text message to the intake phone."
            ),
        }
        widgets = {
            "license_expires": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "zip_code": forms.TextInput(
                attrs={"inputmode": "numeric", "maxlength": "5", "autocomplete": "postal-code"}
            ),
            "intake_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "intake_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "min_age": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "max_age": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, user: RequestUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in locked_fields(user):
            self.fields.pop(name, None)
        if "icwa_category" in self.fields:
            # A profile kept before ICWA's fields existed posts none: "none" it is.
            self.fields["icwa_category"].required = False

    def clean_icwa_category(self) -> str:
        return self.cleaned_data.get("icwa_category") or "none"

    def _update_errors(self, errors: ValidationError) -> None:
        # The model's clean() checks the whole row: a lower licensed bed count can clash
        # with the beds free and held, which this form does not show. Django refuses an
        # error for a field the form lacks (ValueError, a 500); show it above the form.
        if hasattr(errors, "error_dict"):
            moved: dict[str, list[ValidationError]] = {}
            for name, messages in errors.error_dict.items():
                key = name if name in self.fields else NON_FIELD_ERRORS
                moved.setdefault(key, []).extend(messages)
            errors = ValidationError(moved)
        # django-stubs do not declare BaseModelForm._update_errors, which Django calls.
        super()._update_errors(errors)  # type: ignore[misc]
