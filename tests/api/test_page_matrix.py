"""Who may open and post which page: every row of `permission_matrix.PAGES` x every
role, with the exact answer, signed in by session as a browser is."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from audit.models import AuditEntry, Outcome
from placement.models import Batch, BatchAssignment
from survivors.models import Survivor
from tests.api.permission_matrix import PAGES, ROLES


def survivor_edit(world, role) -> dict:
    """The edit page's form for `survivor` as it shows it, with the alias changed."""
    survivor = world.objects["survivor"]
    return {
        "case_number": survivor.case_number, "first_name": survivor.first_name,
        "last_name": survivor.last_name, "alias": f"Seen by {role}",
        "date_of_birth": survivor.date_of_birth.isoformat(), "gender": survivor.gender,
        "guardianship": survivor.guardianship, "custody_state": survivor.custody_state,
        "icpc_approved_states": ", ".join(survivor.icpc_approved_states),
        "residence_zip": survivor.residence_zip, "urgency": survivor.urgency,
        "primary_language": "English",
    }  # fmt: skip


def sent_batch(world, role) -> dict:
    """Send the world's `batch` to the MDT as a done plan of one line (`survivor` to
    `other_home`, its pending `recommendation`), as `batch_submit` leaves it; the body
    is the review's form."""
    batch, survivor = world.objects["batch"], world.objects["survivor"]
    BatchAssignment.objects.create(
        batch=batch,
        survivor=survivor,
        home=world.objects["other_home"],
        score=80.0,
        breakdown=[{"factor": "distance", "points": 20.0, "max": 20.0, "detail": "0 mi"}],
        recommendation=world.objects["recommendation"],
    )
    Batch.objects.filter(pk=batch.pk).update(
        status="done", progress=100, total_score=80.0, placed_count=1, optimal=True, gap=0.0,
        review_status="pending_review", team=survivor.team, submitted_at=timezone.now(),
    )  # fmt: skip
    return {"decision": "approve", "comment": "Good plan."}


BODIES = {
    "survivor_edit": survivor_edit,
    "sent_batch": sent_batch,
    "follow_up": lambda world, role: {"day": "30", "outcome": "stable"},
    "duty_done": lambda world, role: {"reference": "KCKPD-26-1187"},
    "missing": lambda world, role: {"confirm": "on"},
    "returned": lambda world, role: {"found_at": "Greyhound station"},
    "case_search": lambda world, role: {"search": "jane", "status": "intake"},
}
CELLS = [
    pytest.param(name, method, role, id=f"{method} {name} as {role}")
    for (name, method), row in PAGES.items()
    for role in ROLES
]


@pytest.mark.postgres
@pytest.mark.parametrize("name,method,role", CELLS)
def test_it_answers_every_role_as_the_page_matrix_says(world, name, method, role):
    row = PAGES[(name, method)]
    path = row["path"].format(**{key: obj.pk for key, obj in world.objects.items()})
    body = BODIES[row["body"]](world, role) if row["body"] else {}
    user = world.users[role]
    client = Client()
    if user is not None:
        client.force_login(user)
    denied_before = AuditEntry.objects.filter(outcome=Outcome.DENIED).count()

    response = getattr(client, method.lower())(path, body)

    expected = row["expect"][role]
    assert response.status_code == expected, response.content[:400]
    if user is None:
        assert response["Location"].startswith("/login/")
    if expected in (403, 404) and name == "survivor-edit":
        denied = AuditEntry.objects.filter(outcome=Outcome.DENIED).count() - denied_before
        assert denied == 1
    if method == "POST" and name == "survivor-edit":
        alias = Survivor.objects.get(pk=world.objects["survivor"].pk).alias
        assert (alias == f"Seen by {role}") == (expected == 302 and user is not None)


def test_it_decides_every_role_for_every_page():
    for (name, _method), row in PAGES.items():
        assert tuple(row["expect"]) == ROLES
        assert resolve(re.sub(r"\{\w+\}", "1", row["path"].split("?")[0])).url_name == name
        assert row["body"] is None or row["body"] in BODIES
