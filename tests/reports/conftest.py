from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from placement.models import Duty, Referral
from survivors.models import Survivor
from tests.factories import HomeFactory
from tests.reports.world import DAY, children, follow_up, placement, referral, searches


@dataclass
class History:
    bob_children: list[Any]
    placed: list[Any]
    # Each group of children as made below, by name ("substance", "boys", "theirs"...).
    groups: dict[str, list[Any]]


@pytest.fixture
def history(alice, bob, other_supervisor, admin_user, agency, other_agency, team, home):
    """bob's agency: 21 KS and 12 MO children with no feasible home, 12 placed; olga's:
    20 KS children. Every number the tests check is worked out in the docstrings there."""
    substance = children(12, agency=agency)
    searches(substance, needs=("substance_use",), blocked=("beds", "age"), sole=("beds",))
    pregnant = children(3, agency=agency)
    searches(pregnant, needs=("pregnancy",), blocked=("beds", "age"), sole=("age",))
    multi = children(1, agency=agency)
    searches(multi, per_child=3, blocked=("beds", "age"))
    boys = children(5, agency=agency, gender="male")
    searches(boys, age_band="16_17", gender="male", blocked=("beds", "age"))
    missouri = children(12, agency=agency, custody_state="MO")
    searches(missouri, state="MO", blocked=("beds", "age"), sole=("beds",))
    searches(children(4, agency=agency), feasible=2)
    old = timezone_day(2024, 1, 1)
    searches(children(11, agency=agency), at=old)
    theirs = children(20, agency=other_agency)
    searches(theirs, blocked=("state_line",), sole=("state_line",))

    # Twelve children placed 1..12 days after intake, each with a 30- and 90-day follow-up.
    placed = children(12, agency=agency, team=team)
    intake = DAY - datetime.timedelta(days=40)
    Survivor.objects.filter(pk__in=[s.pk for s in placed]).update(created_at=intake)
    placements = [
        placement(s, home, by=alice, team=team, started_at=intake + datetime.timedelta(days=i + 1))
        for i, s in enumerate(placed)
    ]
    for i, p in enumerate(placements):
        follow_up(p, day=30, outcome="stable")
        if i == 0:
            follow_up(p, day=90, outcome="runaway", from_discharge=True)
        else:
            follow_up(p, day=90, outcome="stable")
    for s in pregnant:
        referral(
            s, home, by=alice, team=team, status=Referral.Status.DECLINED,
            answered_after=datetime.timedelta(hours=4), reason_code="no_bed",
        )  # fmt: skip
    referral(
        multi[0], home, by=alice, team=team, status=Referral.Status.EXPIRED,
        answered_after=datetime.timedelta(hours=1),
    )  # fmt: skip
    # The twelve placed children's reports to law enforcement, each done an hour early.
    for s in placed:
        Duty.objects.create(
            survivor=s, kind="law_enforcement_report", opened_at=intake,
            due_at=intake + datetime.timedelta(hours=24),
            completed_at=intake + datetime.timedelta(hours=23),
            recorded_at=intake + datetime.timedelta(hours=23),
        )  # fmt: skip
    # Another agency's child placed in another home: never in bob's reports.
    other_home = HomeFactory(name="Elm Shelter", home_type="emergency_shelter")
    placement(theirs[0], other_home, by=alice, team=team, started_at=DAY)
    return History(
        bob_children=[*substance, *pregnant, *multi, *boys, *missouri],
        placed=placed,
        groups={
            "substance": substance, "pregnant": pregnant, "multi": multi, "boys": boys,
            "missouri": missouri, "theirs": theirs, "placed": placed,
        },
    )  # fmt: skip


def timezone_day(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)
