"""The hand-off: a supervisor of the agency gives a case to the morning worker, with a
note (encrypted at rest) that waits for her on the case page. Access follows the
assignment; the on-call view lists the agency's open crisis cases; all audited."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from audit.models import AuditEntry
from notifications.models import Notification
from survivors.models import HandOff, Survivor
from survivors.services import survivor_assign
from tests.factories import SurvivorFactory, UserFactory

pytestmark = pytest.mark.postgres

NOTE = (
    "She is at the Harris shelter; promised her a call from her aunt at 9. "
    "Trafficker's car: grey van."
)


@pytest.fixture
def api():
    """`api(user)`: an APIClient sending that user's token."""

    def make(user) -> APIClient:
        client = APIClient()
        key, _ = token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def carol(agency, team):
    return UserFactory(
        username="carol", role="case_worker", agency=agency, team=team, first_name="Carol"
    )


@pytest.fixture
def crisis_case(survivor):
    Survivor.objects.filter(pk=survivor.pk).update(urgency="crisis")
    survivor.refresh_from_db()
    return survivor


def test_it_hands_the_case_to_the_morning_worker_with_the_note(
    alice, bob, carol, survivor, api, client
):
    response = api(bob).post(
        f"/api/v1/survivors/{survivor.pk}/assign/",
        {"case_worker": "carol", "note": NOTE},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["case_worker"] == "carol" and body["handed_from"] == ["alice"]
    assert body["by"] == "bob" and "note" not in body
    # Access follows the assignment.
    assert api(carol).get(f"/api/v1/survivors/{survivor.pk}/").status_code == 200
    assert api(carol).get(f"/api/v1/survivors/{survivor.pk}/").json()["assigned_workers"] == [
        "carol"
    ]
    assert api(alice).get(f"/api/v1/survivors/{survivor.pk}/").status_code == 404
    # The note waits for her on the case page, never in a message or an email.
    client.force_login(carol)
    page = client.get(f"/survivors/{survivor.pk}/").content.decode()
    assert "Hand-off note" in page and "promised her a call from her aunt at 9" in page
    (told,) = Notification.objects.filter(recipient=carol, kind="case_assigned")
    assert survivor.case_number in told.message and "aunt" not in told.message
    assert Notification.objects.filter(recipient=alice, kind="case_assigned").exists()
    entry = AuditEntry.objects.get(action="survivor.assign", outcome="ok")
    assert entry.before == {"assigned_workers": ["alice"]}
    assert entry.after["assigned_workers"] == ["carol"] and "aunt" not in str(entry.after)


def test_it_keeps_the_note_encrypted_at_rest(bob, carol, survivor):
    survivor_assign(actor=bob, survivor_id=survivor.pk, case_worker="carol", note=NOTE)

    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM survivors_handoff")
        (stored,) = cursor.fetchone()
    assert "aunt" not in stored and "grey van" not in stored
    assert HandOff.objects.get().note == NOTE


def test_it_hides_the_case_from_a_supervisor_of_another_agency(
    other_supervisor, survivor, api, carol
):
    response = api(other_supervisor).post(
        f"/api/v1/survivors/{survivor.pk}/assign/", {"case_worker": "carol"}, format="json"
    )

    assert response.status_code == 404
    assert not HandOff.objects.exists()
    assert AuditEntry.objects.filter(
        action="survivor.assign", outcome="denied", actor=other_supervisor
    ).exists()


def test_it_lets_only_supervisors_reassign(alice, mdt, carol, survivor, api):
    for user in (alice, mdt):
        response = api(user).post(
            f"/api/v1/survivors/{survivor.pk}/assign/", {"case_worker": "carol"}, format="json"
        )
        assert response.status_code == 403, user
    assert list(survivor.assigned_workers.values_list("username", flat=True)) == ["alice"]


@pytest.mark.parametrize("username", ["nobody", "charlie", "bob", ""])
def test_it_refuses_a_username_that_is_not_a_case_worker_of_the_agency(
    bob, charlie, carol, survivor, api, username
):
    response = api(bob).post(
        f"/api/v1/survivors/{survivor.pk}/assign/", {"case_worker": username}, format="json"
    )

    assert response.status_code == 400
    assert "case_worker" in str(response.json())
    assert not HandOff.objects.exists()


def test_it_says_so_when_the_worker_already_has_the_case(bob, alice, survivor, api):
    response = api(bob).post(
        f"/api/v1/survivors/{survivor.pk}/assign/", {"case_worker": "alice"}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "already_assigned"


def test_it_hands_off_from_the_page(bob, alice, carol, survivor, client):
    client.force_login(bob)
    form = client.get(f"/survivors/{survivor.pk}/assign/")
    assert form.status_code == 200
    assert "carol" in form.content.decode() and "Hand-off note" in form.content.decode()

    bad = client.post(f"/survivors/{survivor.pk}/assign/", {"case_worker": "charlie"})
    assert bad.status_code == 400
    done = client.post(f"/survivors/{survivor.pk}/assign/", {"case_worker": "carol", "note": NOTE})

    assert done.status_code == 302 and done["Location"] == f"/survivors/{survivor.pk}/"
    assert list(survivor.assigned_workers.values_list("username", flat=True)) == ["carol"]
    client.force_login(alice)
    assert client.get(f"/survivors/{survivor.pk}/assign/").status_code == 404


def test_it_lists_the_agencys_open_crisis_cases_on_call(
    bob, alice, other_supervisor, crisis_case, team, client
):
    planned = SurvivorFactory(agency=alice.agency, team=team, urgency="planned")
    elsewhere = SurvivorFactory(agency=other_supervisor.agency, urgency="crisis")
    closed = SurvivorFactory(agency=alice.agency, team=team, urgency="crisis", status="discharged")

    client.force_login(bob)
    page = client.get("/on-call/").content.decode()

    assert f"Case {crisis_case.case_number}" in page and "(alice)" in page
    for hidden in (planned, elsewhere, closed):
        assert f"Case {hidden.case_number}" not in page
    assert f"/survivors/{crisis_case.pk}/assign/" in page
    assert AuditEntry.objects.filter(
        action="survivor.read", actor=bob, survivor_id=crisis_case.pk
    ).exists()
    client.force_login(alice)
    assert client.get("/on-call/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_it_gives_the_case_to_one_worker_when_two_supervisors_reassign_at_once(
    agency, bob, carol, survivor
):
    barbara = UserFactory(username="barbara", role="supervisor", agency=agency)
    UserFactory(username="dave", role="case_worker", agency=agency)
    start = threading.Barrier(2)
    results: list[object] = [None, None]

    def hand(i: int, actor, worker: str) -> None:
        try:
            start.wait()
            results[i] = survivor_assign(
                actor=actor, survivor_id=survivor.pk, case_worker=worker, note=f"To {worker}."
            )
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=hand, args=(0, bob, "carol")),
        threading.Thread(target=hand, args=(1, barbara, "dave")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(r, HandOff) for r in results), results
    first, second = sorted(HandOff.objects.all(), key=lambda h: h.pk)
    # The second saw the first's hand-off: serialized on the child's row.
    assert second.handed_from == [first.to_worker.username]
    assigned = list(survivor.assigned_workers.values_list("username", flat=True))
    assert assigned == [second.to_worker.username]
    assert AuditEntry.objects.filter(action="survivor.assign", outcome="ok").count() == 2
