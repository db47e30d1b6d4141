"""Query filters of the home directory: `?state=KS&home_type=safe_home&has_beds=true`.

Strict on purpose: a malformed value or a parameter given twice is a 400, so a
script with a typo in a value hears about it instead of getting the whole directory.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext
from django_filters import filters as base_filters
from django_filters import rest_framework as filters

from core.vocab import STATE_CHOICES, HomeType
from engine import HOME_SPEC
from engine.spec import names_of_kind
from homes.models import Home


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise forms.ValidationError(gettext("Give true or false."))


class StrictBooleanFilter(base_filters.BooleanFilter):
    field_class = StrictBooleanField


class SingleValuedQueryForm(forms.Form):
    """A filter given is given once, with a value."""

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            if len(values) > 1:
                self.add_error(name, "Give this parameter once.")
            elif values == [""]:
                self.add_error(name, "Give a value, or leave the parameter out.")
        return cleaned


class HomeFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=STATE_CHOICES, help_text="USPS state code.")
    home_type = filters.ChoiceFilter(choices=HomeType.choices)
    has_beds = StrictBooleanFilter(
        method="filter_has_beds", help_text="true: at least one free bed; false: none."
    )

    class Meta:
        model = Home
        form = SingleValuedQueryForm
        # Every flag of the home's matching fields (the engine's specification).
        fields = [
            "state",
            "home_type",
            "has_beds",
            *names_of_kind(HOME_SPEC, "bool"),
        ]
        filter_overrides = {models.BooleanField: {"filter_class": StrictBooleanFilter}}

    def filter_has_beds(self, queryset: QuerySet[Home], name: str, value: bool | None):
        if value is None:
            return queryset
        return (
            queryset.filter(available_beds__gte=1) if value else queryset.filter(available_beds=0)
        )
