"""A year of synthetic history for the demo's reports: a few thousand searches and a few
hundred referrals, placements and follow-ups, so that most cells are well above the
reports' small moves and the charts have something to show. Its children are archived (closed
cases): the reports count them, the live lists and queues never show them. Written
straight to the tables (the workflow's services would take minutes for this many), on
any database."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Team, User
from homes.models import Home
from matching.models import NEEDS, RULE_BIT, MatchSearch, age_band
from placement.models import FollowUp, Placement, Recommendation, Referral
from survivors.models import Status, Survivor

PREFIX = "HIST-"
STATES = ["KS", "KS", "KS", "KS", "MO", "MO", "NE"]
RULE_ODDS = {
    "beds": 0.8, "staffing": 0.35, "age": 0.6, "gender": 0.4, "substance_use": 0.2,
    "mental_health": 0.25, "runaway_risk": 0.3, "state_line": 0.5, "crisis_intake": 0.2,
    "pregnancy": 0.08, "dependents": 0.1, "medical": 0.12,
}  # fmt: skip
NEED_ODDS = [0.3, 0.12, 0.08, 0.12, 0.25, 0.3, 0.1]
OUTCOMES = ["stable"] * 5 + ["runaway", "runaway", "disrupted", "disrupted", "moved_planned"] * 2
REASONS = ["no_bed", "no_bed", "no_bed", "staffing", "clinical_fit", "safety", "eligibility"]


@transaction.atomic
def seed_report_history(*, children: int = 1000, seed: int = 14) -> int:
    """Add the history once (nothing when it is there); returns how many children."""
    history = Survivor.objects.filter(case_number__startswith=PREFIX)
    if history.exists():
        # A demo seeded before its history was archived: archive it now (once).
        history.filter(archived_at__isnull=True).update(archived_at=timezone.now())
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    agency = Agency.objects.get(code="ks-dcf")
    team = Team.objects.filter(agency=agency).first()
    worker = User.objects.filter(agency=agency, role="case_worker").order_by("pk").first()
    # Few homes, so that each has enough referrals and placements to show.
    homes = list(Home.objects.filter(name__startswith="Demo ").order_by("pk")[:4])
    if team is None or worker is None or not homes:
        return 0
    survivors = Survivor.objects.bulk_create(
        [_child(index, rng, agency, worker) for index in range(children)], batch_size=500
    )
    for survivor in survivors:
        survivor.created_at = now - timedelta(days=rng.uniform(20, 360))
    Survivor.objects.bulk_update(survivors, ["created_at"], batch_size=500)
    MatchSearch.objects.bulk_create(
        [search for s in survivors for search in _searches(s, rng, worker)], batch_size=1000
    )
    placed = survivors[: children * 2 // 5]
    _referrals_and_placements(placed, survivors[len(placed) :], homes, rng, worker, team, now)
    # History, not tonight's work: archived, the children stay out of every live list
    # and queue (and the reminders' jobs) and in the reports.
    Survivor.objects.filter(pk__in=[s.pk for s in survivors]).update(archived_at=now)
    return children


def _child(index: int, rng: random.Random, agency: Agency, worker: User) -> Survivor:
    return Survivor(
        case_number=f"{PREFIX}{index:05d}", first_name="", last_name="", alias="History",
        estimated_age=rng.choices([9, 11, 12, 13, 14, 15, 16, 17], [1, 2, 3, 4, 5, 5, 5, 4])[0],
        age_estimated_on=timezone.localdate(), gender=rng.choices(
            ["female", "male", "nonbinary"], [7, 3, 1])[0],
        guardianship="state", custody_state=rng.choice(STATES), residence_zip="66101",
        urgency=rng.choice(["crisis", "planned", "planned"]), status=Status.SEARCHING,
        agency=agency, created_by=worker, notes="Synthetic report history (demo).",
    )  # fmt: skip


def _searches(survivor: Survivor, rng: random.Random, worker: User) -> list[MatchSearch]:
    rows = []
    unmet = rng.random() < 0.5
    needs = {name: rng.random() < odds for name, odds in zip(NEEDS, NEED_ODDS, strict=True)}
    flags = sum(1 << i for i, name in enumerate(NEEDS) if needs[name])
    for _ in range(rng.choice([1, 1, 2, 3])):
        blocked = [rule for rule, odds in RULE_ODDS.items() if rng.random() < odds] or ["beds"]
        sole = [rule for rule in blocked if rng.random() < 0.35]
        rows.append(
            MatchSearch(
                survivor=survivor, searched_by=worker, needs={"demo": True},
                homes_considered=240, feasible_count=0 if unmet else rng.randint(1, 30),
                near_miss_count=len(sole), failures_by_rule={r: 1 for r in blocked},
                agency_id=survivor.agency_id, state=survivor.custody_state,
                age_band=age_band(survivor.estimated_age or 15), gender=survivor.gender,
                urgency=survivor.urgency, need_flags=flags,
                blocked_rules=sum(RULE_BIT[r] for r in blocked),
                sole_rules=sum(RULE_BIT[r] for r in sole),
            )
        )  # fmt: skip
    return rows


def _referrals_and_placements(
    placed: list[Survivor], others: list[Survivor], homes: list[Home], rng: random.Random,
    worker: User, team: Team, now: Any,
) -> None:  # fmt: skip
    asked = [(s, "placed") for s in placed] + [
        (s, rng.choice(["declined", "declined", "declined", "expired", "pending"]))
        for s in others[:500]
    ]
    recommendations = _recommendations([s for s, _ in asked], homes, rng, worker, team, now)
    referrals, made_at = [], []
    for (survivor, status), recommendation in zip(asked, recommendations, strict=True):
        made = survivor.created_at + timedelta(days=rng.uniform(0.5, 20))
        made_at.append(made)
        answered = None if status == "pending" else made + timedelta(hours=rng.uniform(1, 60))
        referrals.append(
            Referral(
                recommendation=recommendation, survivor=survivor, home=recommendation.home,
                referred_by=worker, status=status, beds=1, answered_at=answered,
                reason_code=rng.choice(REASONS) if status == "declined" else "",
                hold_expires_at=made + timedelta(days=2) if status == "expired" else None,
            )
        )  # fmt: skip
    referrals = Referral.objects.bulk_create(referrals)
    for referral, made in zip(referrals, made_at, strict=True):
        referral.created_at = made
    Referral.objects.bulk_update(referrals, ["created_at"])
    placements = Placement.objects.bulk_create(
        [
            Placement(referral=r, survivor=r.survivor, home=r.home, beds=1, placed_by=worker)
            for r in referrals
            if r.status == "placed"
        ]
    )
    _start_and_follow_up(placements, rng, now)
    Survivor.objects.filter(pk__in=[p.survivor_id for p in placements]).update(status=Status.PLACED)


def _recommendations(
    survivors: list[Survivor], homes: list[Home], rng: random.Random, worker: User, team: Team,
    now: Any,
) -> list[Recommendation]:  # fmt: skip
    return Recommendation.objects.bulk_create(
        [
            Recommendation(
                survivor=s,
                home=rng.choice(homes),
                team=team,
                quorum=1,
                proposed_by=worker,
                rationale="Demo history.",
                status="approved",
                searched_at=now,
                needs={},
                home_profile={},
                rank=1,
                score=0.8,
                breakdown={},
                feasible_count=3,
            )  # fmt: skip
            for s in survivors
        ]
    )


def _start_and_follow_up(placements: list[Placement], rng: random.Random, now: Any) -> None:
    """Each placement begins a few hours after its referral was answered; its 30- and
    90-day follow-ups that are due by now have an outcome."""
    follow_ups = []
    for placement in placements:
        answered = placement.referral.answered_at or placement.referral.created_at
        placement.started_at = answered + timedelta(hours=rng.uniform(1, 30))
        for day in (30, 90):
            due = placement.started_at + timedelta(days=day)
            if due < now:
                follow_ups.append(
                    FollowUp(
                        placement=placement, day=day, due_at=due, outcome=rng.choice(OUTCOMES),
                        recorded_at=due, from_discharge=rng.random() < 0.1,
                    )
                )  # fmt: skip
    Placement.objects.bulk_update(placements, ["started_at"])
    FollowUp.objects.bulk_create(follow_ups)
