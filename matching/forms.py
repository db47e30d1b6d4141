"""The search pages' forms: the what-if search extends the survivors' NeedsForm (one
base for every matching-fields input), the survivor search takes the filters that
re-rank. Limits and validators are the API's (core.vocab)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.vocab import AGE_MAX, INT_MAX, Service
from survivors.forms import NeedsForm


class WhatIfForm(NeedsForm):
    """Who could take this child? The matching fields with no identity: an age or a
    date of birth."""

    age = forms.IntegerField(
        min_value=0,
        max_value=AGE_MAX,
        required=False,
        label=_("Age (years)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    include_excluded = forms.BooleanField(
        required=False, label=_("Also list every excluded home and why")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_age = cleaned.get("age") is not None
        has_birth = cleaned.get("date_of_birth") is not None
        if not has_age and not has_birth and "age" not in self.errors:
            self.add_error("age", _("Give the child's age or date_of_birth."))
        elif has_age and has_birth:
            self.add_error("age", _("Give age or date_of_birth, not both."))
        return cleaned

    def matching_fields(self) -> dict[str, Any]:
        data = super().matching_fields()
        data.pop("include_excluded", None)
        return data


class SurvivorSearchForm(forms.Form):
    """The filters on a stored survivor's search: distance and services re-rank."""

    max_distance_miles = forms.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        error_messages={"invalid": _("Give a whole number of miles, at least 1.")},
        label=_("Preferred maximum distance (miles)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    services_needed = forms.MultipleChoiceField(
        choices=Service.choices,
        required=False,
        label=_("Services needed"),
        widget=forms.CheckboxSelectMultiple,
    )
    filters = forms.BooleanField(required=False)
    include_excluded = forms.BooleanField(
        required=False, label=_("Also list every excluded home and why")
    )

    def apply(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The survivor's matching fields with these filters applied."""
        fields = dict(fields)
        if "max_distance_miles" in self.data:
            fields["max_distance_miles"] = self.cleaned_data["max_distance_miles"]
        if self.cleaned_data["filters"]:
            fields["services_needed"] = self.cleaned_data["services_needed"]
        return fields
