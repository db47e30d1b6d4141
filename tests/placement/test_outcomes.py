"""Placement outcomes: the 30- and 90-day follow-ups the beat makes and the case worker
records, their escalation, and the home's stability the MDT sees beside a
recommendation (never a number small enough to point at a child)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry, Outcome
from notifications.models import Notification
from placement.models import FollowUp, Placement, Recommendation, Referral
from placement.services import placement_discharge
from placement.services.outcomes import (
    follow_up_record,
    follow_ups_chase,
    follow_ups_create_due,
)
from placement.tasks import chase_follow_ups, create_follow_ups
from tests.factories import SurvivorFactory
from tests.placement.helpers import placed, recommend
from tests.placement.test_celery import drained
from tests.worker import wait_for

pytestmark = pytest.mark.postgres


def arrived_days_ago(placement: Placement, days: int) -> Placement:
    Placement.objects.filter(pk=placement.pk).update(
        started_at=timezone.now() - timedelta(days=days)
    )
    placement.refresh_from_db()
    return placement


@pytest.fixture
def placement(alice, mdt, home_admin, survivor, home) -> Placement:
    return placed(alice, mdt, home_admin, survivor, home)


def outcomes_url(placement: Placement) -> str:
    return f"/api/v1/placements/{placement.pk}/outcomes/"


# --- The beat ------------------------------------------------------------------------------


@pytest.mark.redis
def test_it_creates_a_due_follow_up_once_through_the_worker(worker, placement, alice, bob):
    arrived_days_ago(placement, 35)

    create_follow_ups.delay()
    assert wait_for(lambda: FollowUp.objects.filter(placement=placement).exists())
    create_follow_ups.delay()
    drained(alice.pk)

    follow_up = FollowUp.objects.get(placement=placement)  # the 90-day one is not due
    assert (follow_up.day, follow_up.outcome, follow_up.from_discharge) == (30, "", False)
    assert follow_up.due_at == placement.started_at + timedelta(days=30)
    assert follow_up.reminded_at is not None
    due = Notification.objects.filter(kind="follow_up_due")
    assert list(due.values_list("recipient__username", flat=True)) == ["alice"]
    message = due.get().message
    assert message.startswith("Follow-up due: 30 days at Lighthouse House")
    assert "Jane" not in message and "Roe" not in message


def test_a_discharge_creates_no_follow_up_before_its_day(placement, alice):
    arrived_days_ago(placement, 3)
    placement_discharge(actor=alice, placement_id=placement.pk, end_reason="runaway")

    assert follow_ups_create_due() == 0
    assert not FollowUp.objects.exists()


def test_it_fills_follow_ups_from_the_discharge_reason_and_tells_nobody(placement, alice):
    placement_discharge(actor=alice, placement_id=placement.pk, end_reason="runaway")
    started = timezone.now() - timedelta(days=100)
    ended = started + timedelta(days=12)
    Placement.objects.filter(pk=placement.pk).update(started_at=started, ended_at=ended)

    assert follow_ups_create_due() == 2
    assert follow_ups_create_due() == 0

    rows = list(FollowUp.objects.filter(placement=placement).order_by("day"))
    assert [(f.day, f.outcome, f.from_discharge) for f in rows] == [
        (30, "runaway", True),
        (90, "runaway", True),
    ]
    assert all(f.recorded_at == ended and f.recorded_by is None for f in rows)
    assert not Notification.objects.filter(kind="follow_up_due").exists()
    assert AuditEntry.objects.filter(action="follow_up.record", actor=None).count() == 2


@pytest.mark.parametrize(
    "reason,outcome",
    [
        ("planned", "moved_planned"),
        ("reunified", "moved_planned"),
        ("aged_out", "moved_planned"),
        ("disruption", "disrupted"),
        ("other", "other"),
    ],
)
def test_each_discharge_reason_fills_its_outcome(placement, alice, reason, outcome):
    placement_discharge(
        actor=alice, placement_id=placement.pk, end_reason=reason, comment="Moved to kin."
    )
    Placement.objects.filter(pk=placement.pk).update(
        started_at=timezone.now() - timedelta(days=40),
        ended_at=timezone.now() - timedelta(days=30),
    )

    follow_ups_create_due()

    assert FollowUp.objects.get(placement=placement).outcome == outcome


def test_a_follow_up_open_at_discharge_stays_open_for_the_worker(placement, alice):
    arrived_days_ago(placement, 35)
    follow_ups_create_due()
    placement_discharge(actor=alice, placement_id=placement.pk, end_reason="planned")
    # Weeks later: the child left on day 35, and day 90 has come.
    started = timezone.now() - timedelta(days=95)
    Placement.objects.filter(pk=placement.pk).update(
        started_at=started, ended_at=started + timedelta(days=35)
    )

    follow_ups_create_due()

    rows = {f.day: f for f in FollowUp.objects.filter(placement=placement)}
    assert rows[30].open  # due while the child was there: the worker visits
    assert (rows[90].outcome, rows[90].from_discharge) == ("moved_planned", True)


@pytest.mark.redis
def test_it_escalates_an_overdue_follow_up_to_the_supervisor_once(worker, placement, alice, bob):
    arrived_days_ago(placement, 38)  # due 8 days ago
    follow_ups_create_due()
    late = FollowUp.objects.get(placement=placement)

    chase_follow_ups.delay()
    assert wait_for(lambda: FollowUp.objects.get(pk=late.pk).escalated_at is not None)
    chase_follow_ups.delay()
    drained(bob.pk)

    escalated = Notification.objects.filter(kind="follow_up_escalated")
    assert list(escalated.values_list("recipient__username", flat=True)) == ["bob"]
    assert "30-day follow-up at Lighthouse House" in escalated.get().message
    assert "Jane" not in escalated.get().message


def test_it_does_not_escalate_a_recorded_or_recent_follow_up(placement, alice, bob):
    arrived_days_ago(placement, 34)  # due 4 days ago: not overdue yet
    follow_ups_create_due()

    assert follow_ups_chase() == {"escalated": 0}
    follow_up_record(actor=alice, placement_id=placement.pk, day=30, outcome="stable")
    assert follow_ups_chase(now=timezone.now() + timedelta(days=30)) == {"escalated": 0}
    assert not Notification.objects.filter(kind="follow_up_escalated").exists()


# --- Recording -----------------------------------------------------------------------------


def test_it_records_then_corrects_an_outcome_with_audit_rows(api, placement, alice, bob):
    arrived_days_ago(placement, 31)

    first = api(alice).post(
        outcomes_url(placement), {"day": 30, "outcome": "stable"}, format="json"
    )
    assert first.status_code == 201, first.content
    assert first.json()["outcome"] == "stable"
    again = api(bob).post(
        outcomes_url(placement), {"day": "30", "outcome": "disrupted"}, format="json"
    )
    assert again.status_code == 200, again.content

    listed = api(alice).get(outcomes_url(placement)).json()
    assert [(f["day"], f["outcome"], f["from_discharge"]) for f in listed] == [
        (30, "disrupted", False)
    ]
    assert set(listed[0]) == {"id", "day", "due_at", "outcome", "recorded_at", "from_discharge"}
    follow_up = FollowUp.objects.get(placement=placement)
    assert follow_up.recorded_by == bob
    record = AuditEntry.objects.get(action="follow_up.record", actor=alice)
    assert (record.before["outcome"], record.after["outcome"]) == (None, "stable")
    correct = AuditEntry.objects.get(action="follow_up.correct", actor=bob)
    assert (correct.before["outcome"], correct.after["outcome"]) == ("stable", "disrupted")
    assert correct.survivor_id == placement.survivor_id


def test_it_lists_open_follow_ups_with_a_null_outcome(api, placement, alice):
    arrived_days_ago(placement, 31)
    follow_ups_create_due()

    listed = api(alice).get(outcomes_url(placement)).json()

    assert [(f["day"], f["outcome"], f["recorded_at"]) for f in listed] == [(30, None, None)]
    assert AuditEntry.objects.filter(action="follow_up.read", actor=alice).count() == 1


def test_it_refuses_a_follow_up_before_its_day(api, placement, alice):
    arrived_days_ago(placement, 29)

    response = api(alice).post(
        outcomes_url(placement), {"day": 30, "outcome": "stable"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "follow_up_not_due"
    assert "not due until" in response.json()["detail"]
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"day": 31, "outcome": "stable"}, {"day"}),
        ({"day": 30, "outcome": "fine"}, {"outcome"}),
        ({"day": "thirty", "outcome": ""}, {"day", "outcome"}),
        ({}, {"day", "outcome"}),
    ],
)
def test_it_names_each_bad_field(api, placement, alice, body, fields):
    arrived_days_ago(placement, 100)

    response = api(alice).post(outcomes_url(placement), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not FollowUp.objects.exists()


def test_an_outsider_gets_404_and_the_refusal_is_audited(api, placement, charlie):
    arrived_days_ago(placement, 31)

    for response in (
        api(charlie).get(outcomes_url(placement)),
        api(charlie).post(outcomes_url(placement), {"day": 30, "outcome": "stable"}, format="json"),
    ):
        assert response.status_code == 404
    assert AuditEntry.objects.filter(actor=charlie, outcome=Outcome.DENIED).count() == 2
    assert not FollowUp.objects.exists()


def test_the_mdt_and_the_home_may_not_record_or_read(api, placement, mdt, home_admin):
    arrived_days_ago(placement, 31)

    for user in (mdt, home_admin):
        post = api(user).post(
            outcomes_url(placement), {"day": 30, "outcome": "stable"}, format="json"
        )
        assert post.status_code == 403, user
        assert api(user).get(outcomes_url(placement)).status_code == 403
    assert not FollowUp.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_recordings_at_once_make_one_follow_up(placement, alice, bob):
    arrived_days_ago(placement, 31)
    start = threading.Barrier(2)
    results: list[object] = []

    def record(user, outcome):
        try:
            start.wait()
            _, first = follow_up_record(
                actor=user, placement_id=placement.pk, day=30, outcome=outcome
            )
            results.append(first)
        except Exception as exc:  # the test fails on it below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=record, args=(alice, "stable")),
        threading.Thread(target=record, args=(bob, "runaway")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results, key=str) == [False, True]
    assert FollowUp.objects.filter(placement=placement).count() == 1
    assert AuditEntry.objects.filter(action="follow_up.record").count() == 1
    assert AuditEntry.objects.filter(action="follow_up.correct").count() == 1


# --- Pages ---------------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_case_worker_records_a_due_follow_up_on_the_childs_page(placement, alice, survivor):
    arrived_days_ago(placement, 33)
    follow_ups_create_due()
    client = signed_in(alice)

    dashboard = client.get("/").content.decode()
    assert "Follow-ups due (1)" in dashboard
    assert f"Case {survivor.case_number} at Lighthouse House" in dashboard
    page = client.get(f"/survivors/{survivor.pk}/").content.decode()
    assert "Due: not recorded yet" in page and "30-day outcome at Lighthouse House" in page
    assert "Not due yet" in page  # the 90-day one

    response = client.post(
        f"/placements/{placement.pk}/follow-ups/", {"day": "30", "outcome": "moved_planned"}
    )

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "30-day follow-up recorded: moved as planned." in page
    assert "Moved as planned, recorded" in page
    assert "Follow-ups due" not in client.get("/").content.decode()


def test_the_page_shows_a_refusal_before_the_day_and_changes_nothing(placement, alice, survivor):
    response = signed_in(alice).post(
        f"/placements/{placement.pk}/follow-ups/", {"day": "30", "outcome": "stable"}, follow=True
    )

    assert "not due until" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_an_mdt_member_sees_no_follow_ups_on_the_childs_page(placement, mdt, survivor):
    arrived_days_ago(placement, 33)
    follow_ups_create_due()

    page = signed_in(mdt).get(f"/survivors/{survivor.pk}/").content.decode()

    assert "Follow-ups" not in page


# --- Stability beside a recommendation -----------------------------------------------------


def placements_at(home, outcomes: list[str], worker, team) -> None:
    """Ended placements at `home`, each with its 90-day outcome recorded (rows, not the
    services: only the counts matter)."""
    now = timezone.now()
    for outcome in outcomes:
        child = SurvivorFactory(agency=worker.agency, team=team)
        recommendation = Recommendation.objects.create(
            survivor=child, home=home, team=team, quorum=1, proposed_by=worker,
            rationale="Past placement.", status="approved", searched_at=now, needs={},
            home_profile={}, rank=1, score=80.0, breakdown=[], feasible_count=1,
        )  # fmt: skip
        referral = Referral.objects.create(
            recommendation=recommendation, survivor=child, home=home, referred_by=worker,
            beds=1, status="placed", answered_at=now, hold_expires_at=now, closed_at=now,
        )  # fmt: skip
        placement = Placement.objects.create(
            referral=referral, survivor=child, home=home, beds=1, placed_by=worker,
            ended_at=now, end_reason="planned",
        )  # fmt: skip
        FollowUp.objects.create(
            placement=placement, day=90, due_at=now, outcome=outcome, recorded_at=now
        )


def test_the_mdt_sees_a_homes_stability_beside_the_recommendation(
    api, alice, mdt, survivor, home, team
):
    # 11 counted: 7 stable, 2 moved as planned, 1 ran away, 1 disrupted; an open one and a
    # 30-day one do not count.
    placements_at(home, ["stable"] * 7 + ["moved_planned"] * 2 + ["runaway", "disrupted"], alice,
                  team)  # fmt: skip
    recommendation = recommend(alice, survivor, home)
    client = signed_in(mdt)

    text = (
        "Placement stability at 90 days: 82 % of 11 placements stable or moved as planned; "
        "1 ran away; 1 disrupted."
    )
    page = client.get(f"/recommendations/{recommendation.pk}/").content.decode()
    assert text in " ".join(page.replace("<strong>", "").replace("</strong>", "").split())
    packet = client.get(f"/recommendations/{recommendation.pk}/?print=1").content.decode()
    assert text in " ".join(packet.replace("<strong>", "").replace("</strong>", "").split())
    data = api(mdt).get(f"/api/v1/recommendations/{recommendation.pk}/").json()
    assert data["home_stability"] == {
        "placements": 11,
        "stable_share": 0.818,
        "runaways": 1,
        "disruptions": 1,
        "few": False,
    }
    listed = api(alice).get(f"/api/v1/survivors/{survivor.pk}/recommendations/").json()
    assert listed["results"][0]["home_stability"]["placements"] == 11


def test_few_placements_show_no_numbers(api, alice, mdt, survivor, home, team):
    placements_at(home, ["stable"] * 7 + ["runaway"] * 3, alice, team)  # 10: too few
    recommendation = recommend(alice, survivor, home)
    client = signed_in(mdt)

    for url in (
        f"/recommendations/{recommendation.pk}/",
        f"/recommendations/{recommendation.pk}/?print=1",
    ):
        page = client.get(url).content.decode()
        assert "Few placements (fewer than 11): not enough to judge." in page
        assert "ran away" not in page and "% of" not in page
        assert "10 placements" not in page
    data = api(mdt).get(f"/api/v1/recommendations/{recommendation.pk}/").json()
    assert data["home_stability"] == {
        "placements": None,
        "stable_share": None,
        "runaways": None,
        "disruptions": None,
        "few": True,
    }


def test_stability_does_not_change_the_ranking(alice, survivor, home, team):
    before = recommend(alice, survivor, home)
    placements_at(home, ["runaway"] * 12, alice, team)
    Recommendation.objects.filter(pk=before.pk).update(status="withdrawn")

    after = recommend(alice, survivor, home)

    assert (after.rank, after.score) == (before.rank, before.score)
