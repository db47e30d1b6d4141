"""A small hand-built history for the reports: searches, referrals, placements and
follow-ups written straight to the tables (the workflow's own tests cover how they come
about), with the times the reports count by."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from matching.models import NEED_BIT, RULE_BIT, MatchSearch
from placement.models import FollowUp, Placement, Recommendation, Referral
from tests.factories import SurvivorFactory

DAY = timezone.make_aware(datetime.datetime(2026, 6, 10, 12, 0), datetime.UTC)
PERIOD = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 12, 31)}


def children(n: int, *, agency: Any, team: Any = None, **fields: Any) -> list[Any]:
    return SurvivorFactory.create_batch(n, agency=agency, team=team, **fields)


def searches(
    survivors: list[Any],
    *,
    per_child: int = 1,
    at: datetime.datetime = DAY,
    feasible: int = 0,
    state: str = "KS",
    age_band: str = "13_15",
    gender: str = "female",
    needs: tuple[str, ...] = (),
    blocked: tuple[str, ...] = ("beds",),
    sole: tuple[str, ...] = (),
) -> None:
    rows = [
        MatchSearch(
            survivor=survivor,
            agency_id=survivor.agency_id,
            needs={},
            homes_considered=3,
            feasible_count=feasible,
            near_miss_count=len(sole),
            failures_by_rule={rule: 1 for rule in blocked},
            state=state,
            age_band=age_band,
            gender=gender,
            urgency="planned",
            need_flags=sum(NEED_BIT[n] for n in needs),
            blocked_rules=sum(RULE_BIT[r] for r in blocked),
            sole_rules=sum(RULE_BIT[r] for r in sole),
        )
        for survivor in survivors
        for _ in range(per_child)
    ]
    created = MatchSearch.objects.bulk_create(rows)
    MatchSearch.objects.filter(pk__in=[s.pk for s in created]).update(at=at)


def referral(
    survivor: Any,
    home: Any,
    *,
    by: Any,
    team: Any,
    at: datetime.datetime = DAY,
    status: str = Referral.Status.PLACED,
    answered_after: datetime.timedelta | None = datetime.timedelta(hours=2),
    reason_code: str = "",
) -> Referral:
    recommendation = Recommendation.objects.create(
        survivor=survivor, home=home, team=team, quorum=1, proposed_by=by, rationale="Fits.",
        status="approved", searched_at=at, needs={}, home_profile={}, rank=1, score=0.9,
        breakdown={}, feasible_count=1,
    )  # fmt: skip
    hold = at + datetime.timedelta(days=2) if status in ("accepted", "expired") else None
    made = Referral.objects.create(
        recommendation=recommendation, survivor=survivor, home=home, referred_by=by,
        status=status, beds=1, reason_code=reason_code, hold_expires_at=hold,
        answered_at=None if answered_after is None else at + answered_after,
    )  # fmt: skip
    Referral.objects.filter(pk=made.pk).update(created_at=at)
    return made


def placement(
    survivor: Any, home: Any, *, by: Any, team: Any, started_at: datetime.datetime
) -> Placement:
    made = Placement.objects.create(
        referral=referral(survivor, home, by=by, team=team, at=started_at),
        survivor=survivor,
        home=home,
        beds=1,
        placed_by=by,
    )
    Placement.objects.filter(pk=made.pk).update(started_at=started_at)
    return made


def follow_up(
    placement_: Placement, *, day: int, outcome: str, due_at: datetime.datetime = DAY,
    from_discharge: bool = False,
) -> FollowUp:  # fmt: skip
    return FollowUp.objects.create(
        placement=placement_, day=day, due_at=due_at, outcome=outcome, recorded_at=due_at,
        from_discharge=from_discharge,
    )  # fmt: skip
