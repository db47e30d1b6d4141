"""The report of legal duties (done on time, by duty and month), children missing from
care by month, and good cause under ICWA: counted in the user's scope, every count
protected by the reports' one method (tests/reports/method.py)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from placement.models import Duty
from reports.duties import duties
from tests.reports.method import piece
from tests.reports.world import PERIOD, children

pytestmark = [pytest.mark.django_db]

MARCH = timezone.make_aware(datetime.datetime(2026, 3, 10, 12, 0))
HOUR = datetime.timedelta(hours=1)


def make_duties(survivors, *, kind: str, late: bool = False, done: bool = True) -> list[Duty]:
    return [
        Duty.objects.create(
            survivor=survivor,
            kind=kind,
            opened_at=MARCH - 24 * HOUR,
            due_at=MARCH,
            completed_at=(MARCH + HOUR if late else MARCH - HOUR) if done else None,
            recorded_at=MARCH + 2 * HOUR if done else None,
        )
        for survivor in survivors
    ]


def cells(report, name: str) -> dict[str, tuple]:
    table = next(t for t in report.tables if t.name == name)
    return dict(zip(table.rows, table.cells, strict=True))


def test_it_counts_duties_on_time_late_and_not_done_by_duty_and_month(agency, bob):
    on_time = make_duties(children(15, agency=agency), kind="law_enforcement_report")
    late = make_duties(children(12, agency=agency), kind="law_enforcement_report", late=True)
    report = duties(user=bob, **PERIOD)
    row = (piece("duty", on_time), piece("duty", late), 0)
    assert cells(report, "by_duty") == {"Report to law enforcement": row}
    assert cells(report, "by_month") == {"2026-03": row}
    share = round(100.0 * row[0] / (row[0] + row[1]), 1)
    assert f"Done by the deadline: {share}%." in report.notes


def test_a_small_count_is_published_moved_and_both_tables_agree(agency, bob):
    make_duties(children(15, agency=agency), kind="law_enforcement_report")
    not_done = make_duties(children(3, agency=agency), kind="law_enforcement_report", done=False)
    report = duties(user=bob, **PERIOD)
    (row,) = cells(report, "by_month").values()
    assert row[2] == piece("duty", not_done) and abs(row[2] - 3) <= 2
    assert list(cells(report, "by_duty").values()) == [row]


def test_another_agencys_duties_are_not_counted(agency, other_agency, other_supervisor):
    make_duties(children(15, agency=agency), kind="hhs_request")
    report = duties(user=other_supervisor, **PERIOD)
    assert cells(report, "by_duty") == {}
