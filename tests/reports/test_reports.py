"""Each report's numbers over a small hand-built history (tests/reports/conftest.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Forbidden
from reports.blocking_rules import blocking_rules
from reports.outcomes import outcomes
from reports.referral_answers import referral_answers
from reports.selectors import REPORTS
from reports.time_to_placement import time_to_placement
from reports.types import Report, ReportTable
from reports.unmet_need import unmet_need
from tests.reports.world import PERIOD, children, searches


def table(report: Report, name: str) -> ReportTable:
    return next(t for t in report.tables if t.name == name)


def cell(t: ReportTable, row: str, column: str):
    return t.cells[t.rows.index(row)][t.columns.index(column)]


def published(report: Report) -> list[int | float]:
    """Every number a report publishes that is a count (not a median or percentile)."""
    numbers: list[int | float] = []
    for t in report.tables:
        for row in t.cells:
            numbers += [v for v in row if isinstance(v, int)]
        numbers += [v for v in (t.row_totals or ()) if v is not None]
        numbers += [v for v in (t.column_totals or ()) if v is not None]
        if t.grand_total is not None:
            numbers.append(t.grand_total)
    return numbers


def test_it_counts_children_with_no_feasible_home_by_state_once_each(history, bob):
    """21 KS children (one searched three times) and 12 MO ones; the feasible searches,
    the searches of 2024 and olga's agency's children are not counted."""
    report = unmet_need(user=bob, **PERIOD)
    by_state = table(report, "by_state")
    assert by_state.rows == ("Kansas", "Missouri")
    assert by_state.cells == ((21, 23), (12, 12))
    genders = table(report, "state_by_gender")  # published: together still protected
    assert cell(genders, "Missouri", "Female") == 12
    assert cell(genders, "Kansas", "Male") is None  # five


def test_it_suppresses_a_small_age_band_and_a_cell_that_would_reveal_it(history, bob):
    """Five KS boys of 16-17: their cell is suppressed, and since Kansas's total (21) is
    published, so is at least one more count, which is 11 or more."""
    ages = table(unmet_need(user=bob, **PERIOD), "state_by_age_band")
    assert cell(ages, "Kansas", "16–17") is None
    assert ages.row_totals == (21, 12)
    true = {("Kansas", "13–15"): 16, ("Kansas", "16–17"): 5, ("Missouri", "13–15"): 12}
    hidden_large = [key for key, value in true.items() if value >= 11 and cell(ages, *key) is None]
    assert hidden_large, "complementary suppression hid nothing"
    for (row, column), value in true.items():
        assert cell(ages, row, column) in (None, value)
    assert not [v for v in published(unmet_need(user=bob, **PERIOD)) if 1 <= v <= 10]


def test_it_counts_needs_without_adding_them_up(history, bob):
    report = unmet_need(user=bob, **PERIOD)
    needs = table(report, "by_need")
    assert cell(needs, "Substance use", "Children") == 12
    assert cell(needs, "Pregnancy", "Children") is None  # three
    assert cell(needs, "Own children", "Children") == 0
    assert any("several needs" in note for note in report.method)


def test_it_counts_near_misses_and_blocks_per_rule(history, bob):
    """beds blocked all 33 children and alone kept 24 from a home (12 KS, 12 MO); age
    blocked 33, alone 3 (suppressed); state_line (olga's children only) nobody."""
    report = blocking_rules(user=bob, **PERIOD)
    by_rule = table(report, "by_rule")
    assert by_rule.cells[by_rule.rows.index("Beds")] == (24, 33)
    assert by_rule.cells[by_rule.rows.index("Age")] == (None, 33)
    assert by_rule.cells[by_rule.rows.index("State line / ICPC")] == (0, 0)
    per_state = table(report, "rule_by_state")
    assert per_state.columns == ("Kansas", "Missouri")
    assert per_state.cells[per_state.rows.index("Beds")] == (21, 12)


def test_it_measures_days_from_intake_to_first_placement(history, bob):
    """Twelve children placed after 1, 2, ... 12 days: median 6.5, 90th percentile 10.9."""
    report = time_to_placement(user=bob, **PERIOD)
    by_state = table(report, "by_state")
    assert by_state.rows == ("Kansas", "All")
    assert by_state.cells[0] == (12, 6.5, 10.9)
    by_urgency = table(report, "by_urgency")
    assert by_urgency.cells[by_urgency.rows.index("Planned")] == (12, 6.5, 10.9)


def test_it_hides_a_median_over_fewer_than_11_children(history, other_supervisor):
    """olga's agency placed one child: neither the count nor its times are shown."""
    report = time_to_placement(user=other_supervisor, **PERIOD)
    assert table(report, "by_state").cells[0] == (None, None, None)


def test_it_counts_referral_answers_per_home(history, bob):
    """Lighthouse House: 13 accepted (12 placed, 1 expired), 3 declined for no bed; the
    three are suppressed and so is the 13 that, with the total of 16, would give them."""
    report = referral_answers(user=bob, **PERIOD)
    answers = table(report, "answers_by_home")
    assert len(answers.rows) == 1 and answers.rows[0].startswith("Lighthouse House")
    assert cell(answers, answers.rows[0], "Declined: no bed") is None
    assert cell(answers, answers.rows[0], "Accepted") is None
    assert answers.row_totals == (16,)
    timing = table(report, "answer_time_by_home")
    # 16 answers: one after 1 hour, twelve after 2, three after 4; one hold expired.
    assert timing.cells == ((2.0, None),)


def test_it_counts_outcomes_at_30_and_90_days_by_home_type(history, bob):
    report = outcomes(user=bob, **PERIOD)
    thirty, ninety = table(report, "day_30"), table(report, "day_90")
    assert thirty.rows == ("Safe home",) or thirty.rows[0].lower().startswith("safe")
    assert cell(thirty, thirty.rows[0], "Stable") == 12
    # One ran away (counted through the discharge): suppressed, and the 11 stable with it.
    assert cell(ninety, ninety.rows[0], "Ran away") is None
    assert cell(ninety, ninety.rows[0], "Stable") is None
    assert ninety.row_totals == (12,)


def test_a_supervisor_never_sees_another_agencys_searches(history, other_supervisor):
    report = unmet_need(user=other_supervisor, **PERIOD)
    assert table(report, "by_state").cells == ((20, 20),)
    rules = table(blocking_rules(user=other_supervisor, **PERIOD), "by_rule")
    assert rules.cells[rules.rows.index("State line / ICPC")] == (20, 20)
    assert rules.cells[rules.rows.index("Beds")] == (0, 0)


def test_an_admin_sees_every_agency(history, admin_user):
    by_state = table(unmet_need(user=admin_user, **PERIOD), "by_state")
    assert by_state.cells == ((41, 43), (12, 12))


def test_it_filters_by_custody_state(history, bob):
    by_state = table(unmet_need(user=bob, **PERIOD, state="MO"), "by_state")
    assert by_state.rows == ("Missouri",)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_it_refuses_every_other_role(history, alice, mdt, home_admin, name):
    for user in (alice, mdt, home_admin):
        with pytest.raises(Forbidden):
            REPORTS[name].selector(user=user, **PERIOD)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_it_asks_the_database_a_fixed_number_of_times(history, bob, agency, name):
    """However many children, homes and states: the queries do not grow with the rows."""
    selector = REPORTS[name].selector
    with CaptureQueriesContext(connection) as before:
        selector(user=bob, **PERIOD)
    more = children(30, agency=agency, custody_state="NE")
    searches(more, state="NE", sole=("beds",))
    with CaptureQueriesContext(connection) as after:
        selector(user=bob, **PERIOD)
    assert len(after) == len(before) <= 4


def test_it_shows_no_median_beside_a_count_withheld_to_protect_another(
    history, bob, alice, agency, team, home
):
    """One more child placed, in Missouri: MO's 1 is withheld, and so is KS's 12, or the
    total of 13 would give MO away. KS's median beside it would say KS placed 11 or more,
    so MO placed at most 2: it is withheld too."""
    import datetime

    from tests.reports.world import DAY, placement

    (child,) = children(1, agency=agency, team=team, custody_state="MO")
    placement(child, home, by=alice, team=team, started_at=DAY - datetime.timedelta(days=30))
    by_state = table(time_to_placement(user=bob, **PERIOD), "by_state")
    assert by_state.rows == ("Kansas", "Missouri", "All")
    assert by_state.cells[0] == (None, None, None)
    assert by_state.cells[1] == (None, None, None)
    assert by_state.cells[2][0] == 13 and by_state.cells[2][1] is not None


def test_it_shows_no_expired_holds_that_would_bound_a_withheld_accepted_count(
    history, bob, alice, agency, team
):
    """A second home: 11 holds accepted then expired, 2 declined. The 2 is withheld and
    so is the 11 accepted (the total of 13 would give the 2 away); 11 expired holds
    shown beside them would say 11 or more were accepted, so they are withheld too."""
    from placement.models import Referral
    from tests.factories import HomeFactory
    from tests.reports.world import referral

    home = HomeFactory(name="Second House")
    for child in children(11, agency=agency, team=team):
        referral(child, home, by=alice, team=team, status=Referral.Status.EXPIRED)
    for child in children(2, agency=agency, team=team):
        referral(
            child, home, by=alice, team=team, status=Referral.Status.DECLINED,
            reason_code="no_bed",
        )  # fmt: skip
    report = referral_answers(user=bob, **PERIOD)
    answers, timing = table(report, "answers_by_home"), table(report, "answer_time_by_home")
    row = next(r for r in answers.rows if r.startswith("Second House"))
    assert cell(answers, row, "Accepted") is None
    assert answers.row_totals[answers.rows.index(row)] == 13
    assert cell(timing, row, "Holds expired") is None
    assert cell(timing, row, "Median hours to answer") == 2.0  # 13 answers, known anyway
