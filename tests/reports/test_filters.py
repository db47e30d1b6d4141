"""The one validator of a report's period and state (the page's form and the API's
serializer both call it)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from reports.filters import report_filters

TODAY = date(2026, 11, 29)


def filters(**given):
    return report_filters(
        date_from=given.get("date_from"), date_to=given.get("date_to"),
        state=given.get("state"), today=TODAY,
    )  # fmt: skip


def test_it_defaults_to_the_last_twelve_whole_months():
    f = filters()
    assert (f.date_from, f.date_to, f.state, f.rounded) == (
        date(2025, 12, 1), date(2026, 11, 30), "", False,
    )  # fmt: skip


def test_it_rounds_the_period_out_to_whole_months_and_says_so():
    f = filters(date_from=date(2026, 2, 14), date_to=date(2026, 2, 15), state="ks")
    assert (f.date_from, f.date_to, f.state, f.rounded) == (
        date(2026, 2, 1), date(2026, 2, 28), "KS", True,
    )  # fmt: skip


def test_a_start_alone_runs_to_today():
    f = filters(date_from=date(2026, 3, 5))
    assert (f.date_from, f.date_to) == (date(2026, 3, 1), date(2026, 11, 30))


def test_an_end_alone_covers_the_twelve_months_before_it():
    f = filters(date_to=date(2024, 6, 3))
    assert (f.date_from, f.date_to) == (date(2023, 7, 1), date(2024, 6, 30))


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"date_from": date(2026, 6, 1), "date_to": date(2026, 5, 31)}, "from"),
        ({"date_from": date(2020, 11, 1), "date_to": date(2025, 11, 30)}, None),  # 61 months
        ({"date_from": date(1999, 12, 31)}, "from"),
        ({"date_to": date(3000, 1, 1)}, "to"),
        ({"state": "XX"}, "state"),
    ],
)
def test_it_refuses_naming_the_field(given, field):
    with pytest.raises(ValidationError) as refused:
        filters(**given)
    assert field is None or field in refused.value.message_dict
    if field is None:
        assert "to" in refused.value.message_dict


def test_five_years_exactly_is_allowed():
    f = filters(date_from=date(2021, 12, 1), date_to=date(2026, 11, 30))
    assert (f.date_from, f.date_to) == (date(2021, 12, 1), date(2026, 11, 30))
