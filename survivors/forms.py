"""The pages' forms for a survivor's matching fields: `NeedsForm` is the one base for
the intake and the what-if search (matching.forms), with its exclusion zones as a
formset of rows. The fields carry the limits and validators the API's serializers use
(core.vocab), and the labels, hints and input attributes the pages show (one field
template renders them, core.forms); the model's full_clean in the service has the last
word."""

from __future__ import annotations

import math
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import DatalistInput, TribesField
from core.inputs import NEEDS_DEFAULTS, NEEDS_FLAGS, NeedsFormBase
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
    ZONES_MAX,
    Service,
    TraffickingType,
    validate_zip,
)
from survivors.models import HAND_OFF_NOTE_MAX, USERNAME_MAX, Status, Survivor

ZONE_ROWS = 3  # blank exclusion-zone rows on a new intake
# What a ZIP code's input takes: five digits, from the phone's number pad.
ZIP_ATTRS = {"inputmode": "numeric", "maxlength": "5", "autocomplete": "off"}
NUMERIC = {"inputmode": "numeric"}
BLANK_CHOICE = ("", "—")


def _language_lookup() -> dict[str, str]:
    """Each way a person may type a language (its name, either half of "Persian
    (Farsi)", its ISO code), casefolded, to its ISO 639-1 code."""
    lookup: dict[str, str] = {}
    for code, name in LANGUAGE_NAMES.items():
        lookup[name.casefold()] = code
        if "(" in name:
            outer, _sep, inner = name.partition("(")
            lookup.setdefault(outer.strip().casefold(), code)
            lookup.setdefault(inner.rstrip(")").strip().casefold(), code)
    lookup.update({code: code for code in LANGUAGES})
    return lookup


_LANGUAGE_LOOKUP = _language_lookup()


def _language_names() -> list[str]:
    """The languages' names in the page's language, alphabetically (the datalist)."""
    return sorted(gettext(name) for name in LANGUAGE_NAMES.values())


def _language_code(text: str) -> str | None:
    """The code of a language typed by its English name, its code, or its name in the
    page's language ("Español" on a Spanish page)."""
    key = text.casefold()
    code = _LANGUAGE_LOOKUP.get(key)
    if code is None:
        code = next(
            (code for code, name in LANGUAGE_NAMES.items() if gettext(name).casefold() == key),
            None,
        )
    return code


class LanguageField(forms.CharField):
    """A language typed by name ("Spanish", any case) or by ISO 639-1 code ("es"),
    cleaned to the code the database keeps, and shown by its name; the input offers the
    names, alphabetically (a <datalist>)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault(
            "widget",
            DatalistInput(
                list_id="language-names",
                options=_language_names,
                attrs={"autocomplete": "off"},
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) and value in LANGUAGE_NAMES:
            return gettext(LANGUAGE_NAMES[value])
        return value

    def to_python(self, value: Any) -> str:
        text = " ".join((super().to_python(value) or "").split())
        if not text:
            return ""
        code = _language_code(text)
        if code is None:
            raise forms.ValidationError(
                _("Pick a language from the list, by its name (e.g. Spanish)."), code="invalid"
            )
        return code


class StatesField(forms.CharField):
    """USPS codes typed as "KS, NE": a list of known states, each once."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        codes = [part.strip().upper() for part in text.replace(";", ",").split(",")]
        codes = [code for code in codes if code]
        unknown = [code for code in codes if code not in US_STATES]
        if unknown:
            raise forms.ValidationError(
                _("Not USPS state codes: %(codes)s (e.g. KS, NE).") % {"codes": ", ".join(unknown)}
            )
        return list(dict.fromkeys(codes))


class RadiusField(forms.FloatField):
    """Miles, finite: NaN and infinity are not distances."""

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        number = super().to_python(value)
        if number is not None and not math.isfinite(number):
            raise forms.ValidationError(_("Give a number of miles."), code="invalid")
        return number


class ExclusionZoneForm(forms.Form):
    """One exclusion zone, a row of the zones' formset: keep the child more than
    `radius_miles` from `zip_code` (where the trafficker operates). A blank row is no
    zone; half a row is that row's error."""

    zip_code = forms.CharField(
        validators=[validate_zip], required=False, widget=forms.TextInput(attrs=ZIP_ATTRS)
    )
    radius_miles = RadiusField(min_value=0, max_value=ZONE_RADIUS_MAX, required=False)

    def __init__(self, *args: Any, row: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if row is None:
            self.fields["zip_code"].label = _("Zone ZIP")
            self.fields["radius_miles"].label = _("Zone radius (miles)")
        else:
            self.fields["zip_code"].label = _("Zone %(number)s ZIP") % {"number": row + 1}
            self.fields["radius_miles"].label = _("Zone %(number)s radius (miles)") % {
                "number": row + 1
            }

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        zip_code, radius = cleaned.get("zip_code"), cleaned.get("radius_miles")
        if zip_code and radius is None and "radius_miles" not in self.errors:
            self.add_error("radius_miles", _("Give the radius in miles."))
        elif radius is not None and not zip_code and "zip_code" not in self.errors:
            self.add_error("zip_code", _("Give the ZIP code the zone is around."))
        return cleaned


TOO_MANY_ZONES = _("Give at most %(num)d exclusion zones.")


class ZoneRows(forms.BaseFormSet):
    """The exclusion zones' rows, named zone-0-zip_code, zone-0-radius_miles, ...: blank
    rows to fill in, and on the edit page every stored zone first. At most ZONES_MAX
    zones, as the API takes."""

    default_error_messages = {"too_many_forms": TOO_MANY_ZONES}

    def __init__(self, *args: Any, blank_rows: int = ZONE_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra = blank_rows

    @classmethod
    def get_default_prefix(cls) -> str:
        return "zone"

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "row": index}

    @cached_property
    def management_form(self) -> ManagementForm:
        # A post with no zone row at all (a script, a page of the older form) has no
        # zones, as before; rows posted without their count are refused, as Django does.
        prefix = f"{self.prefix}-"
        if self.is_bound and not any(key.startswith(prefix) for key in self.data):
            counts = {self.add_prefix(TOTAL_FORM_COUNT): 0, self.add_prefix(INITIAL_FORM_COUNT): 0}
            form = ManagementForm(counts, auto_id=self.auto_id, prefix=self.prefix)
            form.full_clean()
            return form
        return super().management_form

    def clean(self) -> None:
        if not any(self.errors) and len(self.zones()) > ZONES_MAX:
            raise ValidationError(TOO_MANY_ZONES % {"num": ZONES_MAX}, code="too_many_forms")

    def zones(self) -> list[dict[str, Any]]:
        """The rows filled in, in the API's shape ({"zip_code", "radius_miles"})."""
        return [
            {"zip_code": row.cleaned_data["zip_code"],
             "radius_miles": row.cleaned_data["radius_miles"]}
            for row in self.forms
            if row.cleaned_data.get("zip_code")
        ]  # fmt: skip


# A page shows at most ZONES_MAX rows (a record at the limit has no blank row); one row
# more is read (a full record posted with a blank row), more are refused unread.
ZoneFormSet = cast(
    "type[ZoneRows]",
    forms.formset_factory(
        ExclusionZoneForm, formset=ZoneRows, max_num=ZONES_MAX, absolute_max=ZONES_MAX + 1
    ),
)


class NeedsForm(NeedsFormBase):
    """A child's matching fields, as the intake and the what-if forms post them, and the
    exclusion zones' rows (`zones`, a formset posted with the form). The flags, levels
    and numbers come from the engine's specification (core.inputs), so a new one
    appears on every page that takes the fields: the template loops over `flags`."""

    # The template marks the required fields "(required)" (forms/field.html).
    required_css_class = "required"
    # The page's order, which its error summary follows (the what-if page's age first).
    field_order = [
        "age", "date_of_birth", "estimated_age", "gender", "residence_zip", "urgency",
        "guardianship", "custody_state", "icpc_approved_states", "substance_use",
        "medical_level", "mental_health_acuity", "runaway_risk", "dependents",
        "primary_language", *NEEDS_FLAGS, "indian_child", "tribes", "services_needed",
        "max_distance_miles",
    ]  # fmt: skip

    # A matching flag (the rule `language`); declared for its help text.
    interpreter_needed = forms.BooleanField(
        required=False,
        label=_("Interpreter needed"),
        help_text=_("Only homes that list the child's language are offered"),
    )
    date_of_birth = forms.DateField(
        required=False,
        label=_("Date of birth"),
        help_text=_("Or leave blank and give an estimated age"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    custody_state = forms.ChoiceField(
        choices=[BLANK_CHOICE, *STATE_CHOICES], label=_("Custody state")
    )
    icpc_approved_states = StatesField(
        required=False,
        max_length=len(US_STATES) * 4,
        label=_("ICPC approved states"),
        help_text=_("Comma separated, e.g. KS, NE"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # validate_zip says what is wrong with a ZIP in one sentence (length included).
    residence_zip = forms.CharField(
        validators=[validate_zip],
        required=False,
        label=_("Where the child is now (ZIP)"),
        widget=forms.TextInput(attrs=ZIP_ATTRS),
    )
    primary_language = LanguageField(
        required=False,
        label=_("Primary language"),
        help_text=_("Type to pick from the list, e.g. Spanish"),
    )
    services_needed = forms.MultipleChoiceField(
        choices=Service.choices,
        required=False,
        label=_("Services needed"),
        widget=forms.CheckboxSelectMultiple,
    )
    tribes = TribesField(
        required=False,
        label=_("Tribes"),
        help_text=_("One a line, e.g. Cherokee Nation; blank while not known"),
    )
    max_distance_miles = forms.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        label=_("Preferred maximum distance (miles)"),
        help_text=_("Optional: farther homes rank lower but still show"),
        widget=forms.NumberInput(attrs=NUMERIC),
    )

    # Defaults for what a form may leave out (the model's and the serializer's).
    DEFAULTS = NEEDS_DEFAULTS

    def __init__(
        self, *args: Any, zones: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dependents"].label = _("Own children living with them")
        self.fields["indian_child"].help_text = _(
            "ICWA: unknown is fine at night; ask the child and family, then the tribe"
        )
        # A stored record's zones (the edit page) come first, then one blank row at least:
        # the API takes up to ZONES_MAX, and the page shows every one, so none is dropped.
        zones = zones or []
        self.zones = ZoneFormSet(
            self.data if self.is_bound else None,
            initial=None if self.is_bound else zones,
            blank_rows=max(1, ZONE_ROWS - len(zones)),
        )

    def flags(self) -> list[forms.BoundField]:
        """The flags' checkboxes, in the specification's order."""
        return [self[name] for name in NEEDS_FLAGS]

    def is_valid(self) -> bool:
        """The fields and every exclusion zone's row."""
        fields_valid = super().is_valid()
        return self.zones.is_valid() and fields_valid

    def add_refusal(self, refusal: ValidationError) -> None:
        """The service's (the model's) refusal, each message at its field: the exclusion
        zones' below their rows, one this form has no field for above the form."""
        errors = refusal.error_dict if hasattr(refusal, "error_dict") else {None: [refusal]}
        for name, messages in errors.items():
            if name == "exclusion_zones":
                self.zones.non_form_errors().extend(messages)
            else:
                self.add_error(name if name in self.fields else None, messages)

    def clean_date_of_birth(self):
        value = self.cleaned_data.get("date_of_birth")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("indian_child") == "no" and cleaned.get("tribes"):
            self.add_error(
                "indian_child",
                _("A tribe is named: choose yes, or unknown until the tribe confirms."),
            )
        if cleaned.get("needs_detox") and cleaned.get("substance_use") in ("", None, "none"):
            self.add_error(
                "needs_detox", _("Detox is only needed with substance use in recovery or active.")
            )
        return cleaned

    def matching_fields(self) -> dict[str, Any]:
        """The cleaned matching fields in the API's shape (exclusion_zones as a list)."""
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        for name, default in self.DEFAULTS.items():
            data.setdefault(name, default)
        data["exclusion_zones"] = self.zones.zones()
        data.setdefault("primary_language", "")
        return data


def _with_blank_choice(field: forms.Field) -> None:
    """A required list that starts on "—", so nothing is chosen for the worker."""
    assert isinstance(field, forms.ChoiceField)
    field.choices = [BLANK_CHOICE, *cast("list[tuple[str, str]]", field.choices)]


class IntakeForm(NeedsForm):
    """A recovered child's intake: identity (encrypted at rest) and the matching fields.

    A child often has no papers and gives no name: the case number may be blank
    (Harbor issues one), the names may be blank (shown as "Unknown", with an alias),
    and an estimated age may stand in for the date of birth (one of the two)."""

    case_number = forms.CharField(
        max_length=CASE_NUMBER_MAX,
        required=False,
        label=_("Case number"),
        help_text=_("Blank: Harbor issues one"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(
        max_length=NAME_MAX,
        required=False,
        label=_("First name"),
        help_text=_("Blank if not given"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    last_name = forms.CharField(
        max_length=NAME_MAX,
        required=False,
        label=_("Last name"),
        help_text=_("Blank if not given"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    alias = forms.CharField(
        max_length=NAME_MAX,
        required=False,
        label=_("Alias"),
        help_text=_("How to refer to her without a name, e.g. Girl in blue, Greyhound station"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    estimated_age = forms.IntegerField(
        min_value=0,
        max_value=AGE_MAX,
        required=False,
        label=_("Estimated age (years)"),
        help_text=_("Without papers: your best estimate; pages mark it as estimated"),
        widget=forms.NumberInput(attrs=NUMERIC),
    )
    notes = forms.CharField(
        max_length=NOTES_MAX,
        required=False,
        label=_("Notes (encrypted)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # What the federal duties need (42 U.S.C. 671(a)(34)-(35)): all optional at night.
    trafficking_type = forms.ChoiceField(
        choices=[BLANK_CHOICE, *TraffickingType.choices],
        required=False,
        label=_("Trafficking type"),
        help_text=_("Sex or both opens the 24-hour law-enforcement report"),
    )
    identified_by = forms.CharField(
        max_length=NAME_MAX,
        required=False,
        label=_("Identified by"),
        help_text=_(
            "Who identified the child as a victim, e.g. KCK Police, hospital social worker"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    law_enforcement_reference = forms.CharField(
        max_length=NAME_MAX,
        required=False,
        label=_("Law-enforcement case number (encrypted)"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    foreign_national = forms.BooleanField(
        required=False,
        label=_("Foreign national"),
        help_text=_("Opens the request to HHS for an eligibility letter"),
    )
    pregnancy_due_date = forms.DateField(
        required=False,
        label=_("Pregnancy due date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    IDENTITY = ("case_number", "first_name", "last_name", "alias", "notes")
    # The intake's fields that are not matching fields: texts ("" when blank) and the rest.
    CASE_TEXTS = ("trafficking_type", "identified_by", "law_enforcement_reference")
    CASE_OTHERS = ("foreign_national", "pregnancy_due_date")
    field_order = ["case_number", "first_name", "last_name", "alias", *NeedsForm.field_order]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["residence_zip"].required = True
        _with_blank_choice(self.fields["gender"])
        _with_blank_choice(self.fields["guardianship"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_birth = cleaned.get("date_of_birth") is not None
        has_estimate = cleaned.get("estimated_age") is not None
        if "date_of_birth" in self.errors or "estimated_age" in self.errors:
            return cleaned
        if not has_birth and not has_estimate:
            self.add_error(
                "date_of_birth", _("Give the date of birth or, without papers, an estimated age.")
            )
        elif has_birth and has_estimate:
            self.add_error(
                "estimated_age", _("Give the date of birth or an estimated age, not both.")
            )
        return cleaned

    def record_data(self) -> dict[str, Any]:
        """Every field of the record as the services take it: an optional field left
        blank is None (a date, an age, a distance) or "" (a text)."""
        data = self.matching_fields()
        for name in ("date_of_birth", "estimated_age", "max_distance_miles"):
            data[name] = self.cleaned_data.get(name)
        for name in (*self.IDENTITY, *self.CASE_TEXTS):
            data[name] = self.cleaned_data.get(name) or ""
        for name in self.CASE_OTHERS:
            data[name] = self.cleaned_data.get(name)
        data["foreign_national"] = bool(data["foreign_national"])
        return data


class IntakeEditForm(IntakeForm):
    """The same intake, completed or corrected later (the edit page), starting from the
    stored record: it keeps its case number, so that may not be blanked, and an estimate
    shows as the age it has grown to today."""

    def __init__(self, *args: Any, survivor: Survivor, **kwargs: Any) -> None:
        initial = {name: getattr(survivor, name) for name in self.base_fields}
        initial["estimated_age"] = (
            survivor.age_on(timezone.localdate()) if survivor.age_is_estimated else None
        )
        super().__init__(
            *args, initial=initial, zones=list(survivor.exclusion_zones or []), **kwargs
        )
        self.survivor = survivor
        self.fields["case_number"].required = True
        self.fields["case_number"].help_text = ""

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
    status = forms.ChoiceField(choices=[("", _("Any status")), *Status.choices], required=False)


class HandOffForm(forms.Form):
    """A supervisor hands a case to another case worker of the agency, with a note for
    them: the limits of the API's HandOffInputSerializer; the service checks the rest."""

    case_worker = forms.ChoiceField(
        label=_("Hand the case to"),
        error_messages={
            "required": _("Choose the case worker who takes the case."),
            "invalid_choice": _("Choose an active case worker of this agency."),
        },
    )
    note = forms.CharField(
        label=_("Hand-off note"),
        required=False,
        max_length=HAND_OFF_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "What the next worker must know tonight: where the child is, what was promised, "
            "who to call. Kept encrypted; shown on the case page."
        ),
    )

    def __init__(self, *args: Any, workers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["case_worker"])
        field.choices = [("", _("Choose a case worker")), *workers]
        field.widget.attrs["maxlength"] = str(USERNAME_MAX)
