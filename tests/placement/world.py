"""Workflow records for the API permission matrix (tests/api/conftest.py::world).

Made as rows, not through the services, so they add no audit entry, availability
change or survivor to what the other rows of the matrix count. Each transition row
has a record in the state it needs:

- `survivor` (alice's): `recommendation` pending review (other_home),
  `approved_recommendation` (other_home) ready to refer, and `referral` pending at
  `home` (from `referred_recommendation`).
- `other_survivor` (charlie's): `held_referral` accepted at `other_home`, one bed held.
- `agency_survivor` (bob's agency, nobody assigned): `placement` active at `home`,
  since 40 days (its 30-day follow-up is due, not made yet).
- `duty`: `agency_survivor`'s report to law enforcement, open, due in 20 hours.
- `notification`: one for alice.
- `batch`: alice's, of `survivor`, still planning.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from homes.models import Home
from matching.selectors import directory_cache
from notifications.models import Notification
from placement.models import Batch, Duty, Placement, Recommendation, Referral


def _recommendation(survivor, home, team, worker, status: str) -> Recommendation:
    return Recommendation.objects.create(
        survivor=survivor,
        home=home,
        team=team,
        quorum=1,
        proposed_by=worker,
        rationale="Closest trauma-informed home.",
        status=status,
        searched_at=timezone.now(),
        needs={"age": 15},
        home_profile={"id": home.pk, "name": home.name},
        rank=1,
        score=80.0,
        breakdown=[{"factor": "distance", "points": 20.0, "max": 20.0, "detail": "0 mi"}],
        feasible_count=1,
    )


def add_workflow_records(objects: dict[str, Any], users: dict[str, Any]) -> None:
    directory_cache.reset()  # each world's homes are new; the matrix searches through them
    alice, charlie, bob = (
        users["case_worker_own"],
        users["case_worker_other"],
        users["supervisor_own"],
    )
    survivor, home = objects["survivor"], objects["home"]
    other_survivor, other_home = objects["other_survivor"], objects["other_home"]
    agency_survivor = objects["agency_survivor"]
    team, other_team = survivor.team, other_survivor.team

    pending = _recommendation(survivor, other_home, team, alice, "pending_review")
    approved = _recommendation(survivor, other_home, team, alice, "approved")
    referred = _recommendation(survivor, home, team, alice, "approved")
    referral = Referral.objects.create(
        recommendation=referred, survivor=survivor, home=home, referred_by=alice, beds=1
    )

    held = Referral.objects.create(
        recommendation=_recommendation(other_survivor, other_home, other_team, charlie, "approved"),
        survivor=other_survivor,
        home=other_home,
        referred_by=charlie,
        beds=1,
        status="accepted",
        answered_at=timezone.now(),
        hold_expires_at=timezone.now() + timedelta(hours=24),
    )
    Home.objects.filter(pk=other_home.pk).update(
        available_beds=other_home.available_beds - 1, beds_held=1, modified_at=timezone.now()
    )

    placed = Referral.objects.create(
        recommendation=_recommendation(agency_survivor, home, team, bob, "approved"),
        survivor=agency_survivor,
        home=home,
        referred_by=bob,
        beds=1,
        status="placed",
        answered_at=timezone.now(),
        hold_expires_at=timezone.now() + timedelta(hours=24),
        closed_at=timezone.now(),
    )
    placement = Placement.objects.create(
        referral=placed, survivor=agency_survivor, home=home, beds=1, placed_by=bob
    )
    # Arrived 40 days ago: its 30-day follow-up is due (the outcome rows record it).
    Placement.objects.filter(pk=placement.pk).update(started_at=timezone.now() - timedelta(days=40))
    for record, status in ((survivor, "referred"), (other_survivor, "referred")):
        type(record).objects.filter(pk=record.pk).update(status=status)
    type(agency_survivor).objects.filter(pk=agency_survivor.pk).update(status="placed")

    # A batch of alice's child, still planning (the cancel row cancels it).
    batch = Batch.objects.create(agency=alice.agency, created_by=alice, task_id="world")
    batch.survivors.add(survivor)

    objects.update(
        batch=batch,
        recommendation=pending,
        approved_recommendation=approved,
        referred_recommendation=referred,
        referral=referral,
        held_referral=held,
        placed_referral=placed,
        placement=placement,
        duty=Duty.objects.create(
            survivor=agency_survivor,
            kind="law_enforcement_report",
            opened_at=timezone.now() - timedelta(hours=4),
            due_at=timezone.now() + timedelta(hours=20),
        ),
        notification=Notification.objects.create(
            recipient=alice, kind="review_done", message="Recommendation approved."
        ),
    )


# Request bodies of the workflow's rows in tests/api/permission_matrix.py.
BODIES = {
    "what_if": lambda world, role: {
        "age": 15,
        "gender": "female",
        "guardianship": "state",
        "custody_state": "KS",
        "residence_zip": "66101",
    },
    "recommendation_new": lambda world, role: {
        "home": world.objects["home"].pk,
        "rationale": "Closest trauma-informed home.",
    },
    "review": lambda world, role: {"decision": "approve", "comment": "Good fit."},
    "refer": lambda world, role: {"crisis_override": False},
    "decline": lambda world, role: {"reason_code": "no_bed", "comment": ""},
    "withdraw": lambda world, role: {"reason": "Family found."},
    "record_answer": lambda world, role: {
        "decision": "accept",
        "answered_by": "Ada Night",
        "answered_by_phone": "(913) 555-0177",
    },
    "discharge": lambda world, role: {"end_reason": "planned", "comment": ""},
    "follow_up": lambda world, role: {"day": 30, "outcome": "stable"},
    "duty_done": lambda world, role: {"reference": "KCKPD-26-1187"},
    "missing": lambda world, role: {},
    "returned": lambda world, role: {"found_at": "Greyhound station"},
    "keep_apart_new": lambda world, role: {
        "survivor": world.objects["agency_survivor"].pk,
        "reason": "She recruited her.",
    },
    "batch_crisis": lambda world, role: {"justification": "Raid at 2 a.m.; no bed waits."},
    "batch_split": lambda world, role: {"group": 1, "reason": "Sisters, one bed each."},
    "batch_new": lambda world, role: {
        "survivors": [world.objects["survivor"].pk],
        "time_limit_seconds": 5,
    },
}


def known_good(world) -> dict[str, dict]:
    """Valid requests for tests/api/test_schema.py (signed in as the admin there), for
    the workflow operations whose success does not hang on what fuzzing did before."""
    objects = world.objects
    return {
        "POST /api/v1/match/": {"body": BODIES["what_if"](world, "admin")},
        "GET /api/v1/survivors/{id}/matches/": {
            "path_parameters": {"id": objects["survivor"].pk},
            "query": {"limit": 5},
        },
        "GET /api/v1/survivors/{id}/recommendations/": {
            "path_parameters": {"id": objects["survivor"].pk}
        },
        "GET /api/v1/recommendations/{id}/": {
            "path_parameters": {"id": objects["recommendation"].pk}
        },
        "GET /api/v1/referrals/": {"query": {"status": "pending"}},
        "GET /api/v1/survivors/{id}/keep-apart/": {
            "path_parameters": {"id": objects["survivor"].pk}
        },
        "GET /api/v1/referrals/{id}/": {"path_parameters": {"id": objects["referral"].pk}},
        "GET /api/v1/placements/{id}/": {"path_parameters": {"id": objects["placement"].pk}},
        "GET /api/v1/notifications/": {"query": {"unread": True}},
        "GET /api/v1/notifications/unread-count/": {},
        "POST /api/v1/notifications/read-all/": {},
    }
