"""Each report's numbers over a small hand-built history (tests/reports/conftest.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Forbidden
from matching.models import MatchSearch
from placement.models import FollowUp, Referral
from reports.blocking_rules import blocking_rules
from reports.outcomes import outcomes
from reports.referral_answers import referral_answers
from reports.selectors import REPORTS
from reports.time_to_placement import time_to_placement
from reports.types import Report, ReportTable
from reports.unmet_need import unmet_need
from tests.reports.method import piece, pieces, possible
from tests.reports.world import PERIOD, children, searches

CHILD, SEARCH, REFERRAL, FOLLOW_UP = "child", "search", "referral", "follow-up"


def table(report: Report, name: str) -> ReportTable:
    return next(t for t in report.tables if t.name == name)


def cell(t: ReportTable, row: str, column: str):
    return t.cells[t.rows.index(row)][t.columns.index(column)]


def searches_of(survivors) -> list[int]:
    return list(MatchSearch.objects.filter(survivor__in=survivors).values_list("id", flat=True))


def test_it_counts_children_with_no_feasible_home_by_state_once_each(history, bob):
    """21 KS children (one searched three times) in two pieces (16 girls of 13-15, 5 boys
    of 16-17) and 12 MO ones; the feasible searches, the searches of 2024 and olga's
    agency's children are not counted. Each number is its pieces as the method publishes
    them (tests/reports/method.py)."""
    g = history.groups
    girls = [*g["substance"], *g["pregnant"], *g["multi"]]
    report = unmet_need(user=bob, **PERIOD)
    by_state = table(report, "by_state")
    assert by_state.rows == ("Kansas", "Missouri")
    assert by_state.cells == (
        (
            pieces(CHILD, girls, g["boys"]),
            pieces(SEARCH, searches_of(girls), searches_of(g["boys"])),
        ),
        (piece(CHILD, g["missouri"]), piece(SEARCH, searches_of(g["missouri"]))),
    )
    genders = table(report, "state_by_gender")
    assert cell(genders, "Missouri", "Female") == piece(CHILD, g["missouri"])
    assert cell(genders, "Kansas", "Male") == piece(CHILD, g["boys"])


def test_a_small_age_band_is_published_moved_and_the_tables_add_up(history, bob):
    """Five KS boys of 16-17: their cell is the piece as moved (never withheld, and never
    pinned: its published value leaves at least three counts possible); the by-age and
    by-gender tables share the states' totals, and every total is the sum of its cells."""
    g = history.groups
    report = unmet_need(user=bob, **PERIOD)
    ages, genders = table(report, "state_by_age_band"), table(report, "state_by_gender")
    boys = cell(ages, "Kansas", "16–17")
    assert boys == piece(CHILD, g["boys"]) and abs(boys - 5) <= 2
    assert 5 in possible(boys) and len(possible(boys)) >= 3
    assert ages.row_totals == tuple(sum(row) for row in ages.cells) == genders.row_totals
    assert ages.column_totals == tuple(sum(col) for col in zip(*ages.cells, strict=True))
    assert ages.grand_total == sum(ages.row_totals) == genders.grand_total
    assert table(report, "by_state").cells[0][0] == ages.row_totals[0]


def test_it_counts_needs_without_adding_them_up(history, bob):
    g = history.groups
    report = unmet_need(user=bob, **PERIOD)
    needs = table(report, "by_need")
    assert cell(needs, "Substance use", "Children") == piece(CHILD, g["substance"])
    assert cell(needs, "Pregnancy", "Children") == piece(CHILD, g["pregnant"])
    assert cell(needs, "Own children", "Children") == 0
    assert any("several needs" in note for note in report.method)


def test_it_counts_near_misses_and_blocks_per_rule(history, bob):
    """beds and age blocked all 33 children (21 KS, 12 MO): the same children, so the
    same numbers; beds alone kept 24 from a home (12 KS, 12 MO), age alone 3; state_line
    (olga's children only) nobody."""
    g = history.groups
    kansas = [*g["substance"], *g["pregnant"], *g["multi"], *g["boys"]]
    report = blocking_rules(user=bob, **PERIOD)
    by_rule = table(report, "by_rule")
    blocked = piece(CHILD, kansas) + piece(CHILD, g["missouri"])
    assert by_rule.cells[by_rule.rows.index("Beds")] == (
        piece(CHILD, g["substance"]) + piece(CHILD, g["missouri"]), blocked,
    )  # fmt: skip
    assert by_rule.cells[by_rule.rows.index("Age")] == (piece(CHILD, g["pregnant"]), blocked)
    assert by_rule.cells[by_rule.rows.index("State line / ICPC")] == (0, 0)
    per_state = table(report, "rule_by_state")
    assert per_state.columns == ("Kansas", "Missouri")
    beds = per_state.rows.index("Beds")
    assert per_state.cells[beds] == (piece(CHILD, kansas), piece(CHILD, g["missouri"]))
    assert per_state.row_totals[beds] == blocked


def test_it_measures_days_from_intake_to_first_placement(history, bob):
    """Twelve children placed after 1, 2, ... 12 days, all in May: median 6.5, 90th
    percentile 10.9, shown beside the protected count when it is 11 or more."""
    n = piece(CHILD, history.placed)
    stats = (n, 6.5, 10.9) if n >= 11 else (n, None, None)
    report = time_to_placement(user=bob, **PERIOD)
    by_state = table(report, "by_state")
    assert by_state.rows == ("Kansas", "All")
    assert by_state.cells == (stats, stats)
    by_urgency = table(report, "by_urgency")
    assert by_urgency.cells[by_urgency.rows.index("Planned")] == stats


def test_it_hides_a_median_over_fewer_than_11_children(history, other_supervisor):
    """olga's agency placed one child: the count is its piece (0, 1 or 2), no times."""
    n = piece(CHILD, history.groups["theirs"][:1])
    by_state = table(time_to_placement(user=other_supervisor, **PERIOD), "by_state")
    assert by_state.rows == (("Kansas", "All") if n else ("All",))
    assert set(by_state.cells) == {(n, None, None)}


def test_it_counts_referral_answers_per_home(history, bob, home):
    """Lighthouse House: 13 accepted (12 placed in May, 1 expired in June), 3 declined
    for no bed in June: three pieces."""
    placed = Referral.objects.filter(
        home=home, status=Referral.Status.PLACED, survivor__agency=bob.agency
    )
    expired = Referral.objects.filter(home=home, status=Referral.Status.EXPIRED)
    declined = Referral.objects.filter(home=home, status=Referral.Status.DECLINED)
    report = referral_answers(user=bob, **PERIOD)
    answers = table(report, "answers_by_home")
    assert len(answers.rows) == 1 and answers.rows[0].startswith("Lighthouse House")
    accepted = piece(REFERRAL, placed) + piece(REFERRAL, expired)
    assert cell(answers, answers.rows[0], "Accepted") == accepted
    assert cell(answers, answers.rows[0], "Declined: no bed") == piece(REFERRAL, declined)
    assert answers.row_totals == (accepted + piece(REFERRAL, declined),)
    timing = table(report, "answer_time_by_home")
    # 16 answers: one after 1 hour, twelve after 2, three after 4; one hold expired.
    median = 2.0 if answers.row_totals[0] >= 11 else None
    assert timing.cells == ((median, piece(REFERRAL, expired)),)


def test_it_counts_outcomes_at_30_and_90_days_by_home_type(history, bob):
    ran, stable = (
        FollowUp.objects.filter(day=90, outcome="runaway"),
        FollowUp.objects.filter(day=90, outcome="stable"),
    )
    report = outcomes(user=bob, **PERIOD)
    thirty, ninety = table(report, "day_30"), table(report, "day_90")
    assert thirty.rows == ninety.rows == ("Safe home",)
    assert cell(thirty, "Safe home", "Stable") == piece(FOLLOW_UP, FollowUp.objects.filter(day=30))
    assert cell(ninety, "Safe home", "Ran away") == piece(FOLLOW_UP, ran)
    assert cell(ninety, "Safe home", "Stable") == piece(FOLLOW_UP, stable)
    assert ninety.row_totals == (piece(FOLLOW_UP, ran) + piece(FOLLOW_UP, stable),)
    discharged = piece(FOLLOW_UP, ran)  # the runaway's follow-up came from the discharge
    assert (
        f"Of these follow-ups, {discharged} were filled from a discharge before the day came."
        in report.notes
    )


def test_a_supervisor_never_sees_another_agencys_searches(history, other_supervisor):
    theirs = history.groups["theirs"]
    report = unmet_need(user=other_supervisor, **PERIOD)
    assert table(report, "by_state").cells == (
        (piece(CHILD, theirs), piece(SEARCH, searches_of(theirs))),
    )
    rules = table(blocking_rules(user=other_supervisor, **PERIOD), "by_rule")
    assert rules.cells[rules.rows.index("State line / ICPC")] == (piece(CHILD, theirs),) * 2
    assert rules.cells[rules.rows.index("Beds")] == (0, 0)


def test_an_admin_sees_every_agency_as_the_sum_of_each_agencys_pieces(history, admin_user):
    g = history.groups
    girls = [*g["substance"], *g["pregnant"], *g["multi"]]
    by_state = table(unmet_need(user=admin_user, **PERIOD), "by_state")
    assert by_state.cells == (
        (
            pieces(CHILD, girls, g["boys"], g["theirs"]),
            pieces(SEARCH, searches_of(girls), searches_of(g["boys"]), searches_of(g["theirs"])),
        ),
        (piece(CHILD, g["missouri"]), piece(SEARCH, searches_of(g["missouri"]))),
    )


def test_it_filters_by_custody_state(history, bob):
    by_state = table(unmet_need(user=bob, **PERIOD, state="MO"), "by_state")
    assert by_state.rows == ("Missouri",)
    assert by_state.cells[0][0] == piece(CHILD, history.groups["missouri"])


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


def test_a_median_is_shown_only_beside_a_protected_count_of_11_or_more(
    history, bob, alice, agency, team, home
):
    """One more child placed, in Missouri: MO's count is its piece (0, 1 or 2) and its
    median is not shown; Kansas and the total stand as the method gives them."""
    import datetime

    from tests.reports.world import DAY, placement

    (child,) = children(1, agency=agency, team=team, custody_state="MO")
    placement(child, home, by=alice, team=team, started_at=DAY - datetime.timedelta(days=30))
    by_state = table(time_to_placement(user=bob, **PERIOD), "by_state")
    missouri, kansas = piece(CHILD, [child]), piece(CHILD, history.placed)
    assert by_state.rows == (("Kansas", "Missouri", "All") if missouri else ("Kansas", "All"))
    if missouri:
        assert by_state.cells[1] == (missouri, None, None)
    assert by_state.cells[0][0] == kansas
    assert by_state.cells[-1][0] == kansas + missouri
    assert (by_state.cells[-1][1] is not None) == (kansas + missouri >= 11)


def test_holds_expired_are_the_same_number_as_the_same_referrals_accepted(
    history, bob, alice, agency, team
):
    """A second home: 11 holds accepted then expired, 2 declined. Accepted and Holds
    expired count the same eleven referrals: the same piece, the same number."""
    from tests.factories import HomeFactory
    from tests.reports.world import referral

    home = HomeFactory(name="Second House")
    held = [
        referral(child, home, by=alice, team=team, status=Referral.Status.EXPIRED)
        for child in children(11, agency=agency, team=team)
    ]
    declined = [
        referral(
            child, home, by=alice, team=team, status=Referral.Status.DECLINED,
            reason_code="no_bed",
        )
        for child in children(2, agency=agency, team=team)
    ]  # fmt: skip
    report = referral_answers(user=bob, **PERIOD)
    answers, timing = table(report, "answers_by_home"), table(report, "answer_time_by_home")
    row = next(r for r in answers.rows if r.startswith("Second House"))
    assert cell(answers, row, "Accepted") == piece(REFERRAL, held)
    assert cell(answers, row, "Declined: no bed") == piece(REFERRAL, declined)
    assert cell(timing, row, "Holds expired") == piece(REFERRAL, held)
    total = answers.row_totals[answers.rows.index(row)]
    assert total == piece(REFERRAL, held) + piece(REFERRAL, declined)
    assert cell(timing, row, "Median hours to answer") == (2.0 if total >= 11 else None)


def test_a_state_whose_pieces_all_read_0_is_not_listed(bob, agency):
    """One Nebraska child with no feasible home, whose piece the method publishes as 0:
    listing Nebraska (with 0s) would say that some child was counted there."""
    for _ in range(40):
        (child,) = children(1, agency=agency, custody_state="NE")
        if piece(CHILD, [child]) == 0:  # the others search nothing: counted nowhere
            break
    else:
        pytest.fail("no single child's piece reads 0 in 40 tries (one in three should)")
    searches([child], state="NE", sole=("beds",))
    rules = table(blocking_rules(user=bob, **PERIOD), "rule_by_state")
    assert "Nebraska" not in rules.columns
    assert not table(unmet_need(user=bob, **PERIOD), "by_state").rows
