"""The page filters: codes become labels, counts agree with their nouns, times name their zone."""

from __future__ import annotations

import datetime
import zoneinfo

from django.template import Context, Template
from django.utils import timezone

from core.templatetags.harbor import day, label, language_name, minutes, plural, shown_as, when

AT_0813_UTC = datetime.datetime(2026, 11, 29, 8, 13, 5, tzinfo=datetime.UTC)


def test_it_labels_vocabulary_codes_like_their_neighbours():
    assert label("legal_advocacy") == "Legal advocacy"
    assert label("moderate") == "Moderate"
    assert label("routine") == "Routine"
    assert label("crisis_stabilization") == "Crisis stabilization"
    assert label(["trauma_therapy", "legal_advocacy"]) == "Trauma therapy, Legal advocacy"
    assert label("") == "—"
    assert label("Lighthouse House") == "Lighthouse House"  # not a code: as it is


def test_it_names_languages():
    assert language_name("es") == "Spanish"
    assert language_name(["en", "es"]) == "English, Spanish"
    assert language_name("xx") == "xx"
    assert shown_as("es", "primary_language") == "Spanish"
    assert shown_as(["mental_health"], "services_needed") == "Mental health"
    assert shown_as("high", "runaway_risk") == "High"


def test_it_agrees_a_count_with_its_noun():
    assert plural(1, "bed") == "1 bed"
    assert plural(0, "bed") == "0 beds"
    assert plural(2, "child,children") == "2 children"
    assert plural(1, "approval") == "1 approval"


def test_it_names_the_zone_of_every_time():
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):
        assert when(AT_0813_UTC) == "29 Nov 2026, 02:13 CST"
        assert when(AT_0813_UTC, "seconds") == "29 Nov 2026, 02:13:05 CST"
        # The day is the local day: 01:00 UTC on the 30th is still the 29th in Texas.
        assert day(AT_0813_UTC + datetime.timedelta(hours=17)) == "29 Nov 2026"
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        summer = datetime.datetime(2026, 7, 4, 16, 0, tzinfo=datetime.UTC)
        assert when(summer) == "4 Jul 2026, 12:00 EDT"
    assert when(None) == "—"
    assert day(datetime.date(2027, 1, 31)) == "31 Jan 2027"


def test_it_converts_in_a_template_too():
    template = Template("{% load harbor %}{{ at|when }} / {{ at|day }}")
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):
        assert (
            template.render(Context({"at": AT_0813_UTC})) == "29 Nov 2026, 02:13 CST / 29 Nov 2026"
        )


def test_it_counts_a_cool_off_in_minutes():
    assert minutes(datetime.timedelta(minutes=15)) == 15
    assert minutes(datetime.timedelta(seconds=61)) == 2
    assert minutes(None) == ""


def test_it_shows_snapshot_values_as_words():
    assert shown_as(True, "pregnant") == "Yes"
    assert shown_as(False, "needs_detox") == "No"
    assert shown_as("2026-11-29", "search_date") == "29 Nov 2026"
    assert shown_as([], "icpc_approved_states") == "—"
