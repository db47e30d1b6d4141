"""The search page's filters drawn in Python (matching/templatetags/field_groups.py): the
same HTML the form renderer draws (forms/field.html and Django's widget templates), so a
reader, a screen reader and the tests see no change; in both languages, as the form
first shows, after a search and when it refuses a value."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from matching.forms import SurvivorSearchForm, WhatIfForm
from matching.templatetags.field_groups import field_group

INITIAL = {"max_distance_miles": 50, "services_needed": ["education"]}
DATA = [
    None,
    {"filters": "1", "max_distance_miles": "30", "services_needed": ["education", "mentoring"]},
    # Refused: a distance that is no number, a service that is none; the excluded list.
    {"filters": "1", "max_distance_miles": "x", "services_needed": ["bogus"],
     "include_excluded": "on"},
    {"filters": "1", "max_distance_miles": '"><script>', "services_needed": ['"><b>']},
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("data", DATA)
def test_each_filter_is_drawn_as_the_form_renderer_draws_it(language, data):
    with translation.override(language):
        form = SurvivorSearchForm(data, initial=INITIAL)
        form.is_valid()
        for name in form.fields:
            assert str(field_group(form[name])) == str(form[name].as_field_group()), name


def test_a_refused_distance_is_named_beside_the_field_and_described_by_it():
    form = SurvivorSearchForm({"filters": "1", "max_distance_miles": "x"})
    assert not form.is_valid()
    drawn = str(field_group(form["max_distance_miles"]))
    assert 'aria-invalid="true" aria-describedby="id_max_distance_miles_error"' in drawn
    assert '<span class="error" id="id_max_distance_miles_error">Give a whole number' in drawn


def test_the_what_if_forms_fields_are_drawn_alike_where_drawn_here():
    form = WhatIfForm({"age": "x", "gender": "f", "needs_detox": "on"})
    form.is_valid()
    for name in form.fields:
        assert str(field_group(form[name])) == str(form[name].as_field_group()), name


def test_a_widget_it_does_not_know_is_left_to_the_renderer():
    class Other(forms.Form):
        level = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], label="Level")
        note = forms.CharField(widget=forms.Textarea, label="Note")
        secret = forms.CharField(widget=forms.HiddenInput)

    form = Other({"level": "c"})
    form.is_valid()
    for name in form.fields:
        assert str(field_group(form[name])) == str(form[name].as_field_group())
