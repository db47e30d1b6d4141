"""Mass recovery through the API on PostgreSQL: a batch of children gets one valid, exact
plan from the real solver; every bad request is a 400 naming the field, every hidden id a
404; a running plan can be cancelled; every step is on the audit trail."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry, Outcome
from config.celery import app as celery_app
from core.outbox import outbox_relay
from homes.models import Home
from matching.selectors import match_needs, needs_of_survivor
from placement.models import BATCH_MAX_CHILDREN, Batch, BatchAssignment
from placement.services.batch_runs import SEARCH_SHARE, batch_run
from placement.services.batches import batch_cancel, batch_create
from placement.tasks import run_batch, sweep_batches
from survivors.models import Survivor
from tests.factories import HomeFactory, SurvivorFactory, UserFactory
from tests.placement.helpers import placed
from tests.worker import wait_for

pytestmark = pytest.mark.postgres

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def child(worker, **fields):
    survivor = SurvivorFactory(agency=worker.agency, team=worker.team, created_by=worker, **fields)
    survivor.assigned_workers.add(worker)
    return survivor


@pytest.fixture
def children(alice):
    """Six of alice's children: three siblings, a pair to keep apart, and one more."""
    return [child(alice, case_number=f"OP-{n}") for n in range(1, 7)]


@pytest.fixture
def homes(db):
    """Three homes: only `big` holds the three siblings; the other two take two each."""
    return {
        "big": HomeFactory(
            name="Big House",
            zip_code="66044",
            licensed_beds=6,
            available_beds=3,
            staff_on_duty=3,
            residents_per_staff=3,
        ),
        "near": HomeFactory(name="Near House", zip_code="66101"),
        "far": HomeFactory(name="Far House", zip_code="67202"),
    }


def plan_of(response) -> dict[int, int | None]:
    return {line["survivor"]: line["home"] for line in response.json()["assignments"]}


def post_batch(client, body, capture):
    """POST a batch, and once its job ran (at the commit; inline, as no broker is set in
    the tests) GET it. A POST that is refused is returned as it is."""
    with capture(execute=True):
        created = client.post("/api/v1/batches/", body, format="json")
    if created.status_code != 201:
        return created
    assert set(created.json()) >= {"id", "status"}
    return client.get(f"/api/v1/batches/{created.json()['id']}/")


def test_it_plans_a_batch_with_siblings_together_and_a_pair_apart(
    alice, children, homes, api, django_capture_on_commit_callbacks
):
    s1, s2, s3, s4, s5, s6 = children
    body = {
        "survivors": [s.pk for s in children],
        "keep_together": [[s1.pk, s2.pk, s3.pk]],
        "keep_apart": [[s4.pk, s5.pk]],
        "time_limit_seconds": 20,
    }
    response = post_batch(api(alice), body, django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.json()
    data = response.json()
    batch = Batch.objects.get()
    assert data["id"] == batch.pk
    assert data["status"] == "done", data
    assert (data["progress"], data["optimal"], data["placed_count"]) == (100, True, 6)
    assert data["gap"] == 0.0
    plan = plan_of(response)
    assert set(plan) == {s.pk for s in children}
    # The siblings share the only home that holds three; the pair is split.
    assert plan[s1.pk] == plan[s2.pk] == plan[s3.pk] == homes["big"].pk
    assert plan[s4.pk] != plan[s5.pk]
    # No home gets more children than its free beds or its staff can take.
    for home in Home.objects.all():
        taken = sum(1 for h in plan.values() if h == home.pk)
        room = home.staff_on_duty * home.residents_per_staff - (
            home.licensed_beds - home.available_beds
        )
        assert taken <= min(home.available_beds, room), home.name
    # Each line has the score its own search gives that home, the breakdown and the
    # runners-up; the total is their sum.
    for line in data["assignments"]:
        survivor = next(s for s in children if s.pk == line["survivor"])
        search = match_needs(needs_of_survivor(survivor, today=batch.created_at.date()), limit=10)
        scores = {r.home.id: r.score for r in search.results}
        assert line["score"] == scores[line["home"]]
        assert round(sum(f["points"] for f in line["breakdown"]), 1) == line["score"]
        assert line["reason"] == ""
        assert [a["home"] for a in line["alternatives"]] == [
            h for h in scores if h != line["home"]
        ][:3]
    assert data["total_score"] == pytest.approx(sum(line["score"] for line in data["assignments"]))
    # Intake order, and no names anywhere in the plan.
    assert [line["survivor"] for line in data["assignments"]] == [s.pk for s in children]
    assert "Jane" not in json.dumps(data)

    # Reading it again gives the same plan.
    again = api(alice).get(f"/api/v1/batches/{batch.pk}/")
    assert again.status_code == 200
    assert plan_of(again) == plan


def test_it_says_why_a_child_kept_apart_is_left_without_a_home(
    alice, api, django_capture_on_commit_callbacks
):
    """Two co-victims and one home with room for both: one gets it, the other is
    unplaced, and the plan says it is because they are kept apart."""
    home = HomeFactory(name="Only House", available_beds=2)
    a, b = child(alice), child(alice)
    response = post_batch(
        api(alice),
        {"survivors": [a.pk, b.pk], "keep_apart": [[a.pk, b.pk]]},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["placed_count"], data["optimal"]) == ("done", 1, True)
    lines = {line["survivor"]: line for line in data["assignments"]}
    placed_line, unplaced = sorted(lines.values(), key=lambda line: line["home"] is None)
    assert placed_line["home"] == home.pk
    assert unplaced["home"] is None and unplaced["score"] is None
    assert "apart" in unplaced["reason"]
    # Named by case number, never by an internal id (issue 25: "kept together with 1041").
    kept_from = Survivor.objects.get(pk=placed_line["survivor"]).case_number
    assert f"case {kept_from}" in unplaced["reason"]
    assert str(placed_line["survivor"]) not in unplaced["reason"].replace(kept_from, "")


def test_it_keeps_siblings_unplaced_together_rather_than_split(
    alice, api, django_capture_on_commit_callbacks
):
    HomeFactory(name="Two Beds", available_beds=2)
    HomeFactory(name="One Bed", available_beds=1)
    siblings = [child(alice) for _ in range(3)]
    response = post_batch(
        api(alice),
        {"survivors": [s.pk for s in siblings], "keep_together": [[s.pk for s in siblings]]},
        django_capture_on_commit_callbacks,
    )

    data = response.json()
    assert data["status"] == "done"
    assert all(line["home"] is None for line in data["assignments"])
    assert all(line["reason"] for line in data["assignments"])


def test_it_honours_pins_and_excluded_homes(
    alice, children, homes, api, django_capture_on_commit_callbacks
):
    s1, s2 = children[:2]
    response = post_batch(
        api(alice),
        {
            "survivors": [s1.pk, s2.pk],
            "pins": {str(s1.pk): homes["far"].pk},
            "excluded_homes": [homes["near"].pk],
        },
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200, response.json()
    plan = plan_of(response)
    assert plan[s1.pk] == homes["far"].pk
    assert homes["near"].pk not in plan.values()
    assert all(
        a["home"] != homes["near"].pk
        for line in response.json()["assignments"]
        for a in line["alternatives"]
    )


def test_it_says_why_a_pinned_child_gets_nothing(
    alice, children, homes, api, django_capture_on_commit_callbacks
):
    boys_only = HomeFactory(name="Boys Only", genders_served=["male"])
    girl = children[0]
    response = post_batch(
        api(alice),
        {"survivors": [girl.pk], "pins": {str(girl.pk): boys_only.pk}},
        django_capture_on_commit_callbacks,
    )

    [line] = response.json()["assignments"]
    assert line["home"] is None
    assert line["reason"].startswith("Pinned to Boys Only, which does not fit this child")


def test_a_child_pinned_inside_her_exclusion_zone_is_told_so_without_the_homes_name(
    alice, children, homes, api, django_capture_on_commit_callbacks
):
    """The plan is the MDT's to read too: the home's name beside the zone would locate it."""
    girl = children[0]
    Survivor.objects.filter(pk=girl.pk).update(
        exclusion_zones=[{"zip_code": homes["near"].zip_code, "radius_miles": 5}]
    )
    response = post_batch(
        api(alice),
        {"survivors": [girl.pk], "pins": {str(girl.pk): homes["near"].pk}},
        django_capture_on_commit_callbacks,
    )

    [line] = response.json()["assignments"]
    assert line["home"] is None
    assert line["reason"] == (
        "Pinned to a home that may never be offered to this child (a safety rule)."
    )
    assert "Near House" not in response.content.decode()


def test_a_supervisor_batches_the_agencys_children(
    alice, bob, children, homes, api, django_capture_on_commit_callbacks
):
    response = post_batch(
        api(bob), {"survivors": [s.pk for s in children[:3]]}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "done"
    batch = Batch.objects.get()
    assert (batch.agency_id, batch.created_by_id) == (bob.agency_id, bob.pk)
    # Alice sees every child in it, so she sees the batch too.
    assert api(alice).get(f"/api/v1/batches/{batch.pk}/").status_code == 200


# --- Bad requests: 400 naming the field, nothing stored -------------------------------------


def bad_bodies(children, homes):
    s1, s2, s3, s4 = (s.pk for s in children[:4])
    inactive = HomeFactory(name="Closed House", active=False)
    return [
        ({"survivors": "1,2,3"}, "survivors", ""),
        ({"survivors": [{"id": s1}]}, "survivors", ""),
        ({"survivors": []}, "survivors", "at least one"),
        ({"survivors": list(range(1, BATCH_MAX_CHILDREN + 2))}, "survivors", ""),
        ({"survivors": [s1, s1]}, "survivors", "twice"),
        ({"survivors": [s1, s2], "keep_together": "siblings"}, "keep_together", ""),
        ({"survivors": [s1, s2], "keep_together": [[s1, [s2]]]}, "keep_together", ""),
        (
            {"survivors": [s1, s2, s3], "keep_together": [[s1, s2], [s2, s3]]},
            "keep_together",
            "two groups",
        ),
        ({"survivors": [s1, s2], "keep_together": [[s1, s3]]}, "keep_together", "not in this"),
        ({"survivors": [s1, s2], "keep_together": [[s1]]}, "keep_together", ""),
        (
            {"survivors": [s1, s2], "keep_together": [[s1, s2]], "keep_apart": [[s2, s1]]},
            "keep_apart",
            "also kept together",
        ),
        # Transitively: in the same group, though the group lists more children.
        (
            {
                "survivors": [s1, s2, s3],
                "keep_together": [[s1, s2, s3]],
                "keep_apart": [[s1, s3]],
            },
            "keep_apart",
            "also kept together",
        ),
        ({"survivors": [s1, s2], "keep_apart": [[s1, s1]]}, "keep_apart", "themself"),
        ({"survivors": [s1, s2], "keep_apart": [[s1, s2, s3]]}, "keep_apart", ""),
        ({"survivors": [s1, s2], "keep_apart": [[s1, s4]]}, "keep_apart", "not in this"),
        ({"survivors": [s1], "keep_apart": {"a": "b"}}, "keep_apart", ""),
        ({"survivors": [s1], "pins": [s1, homes["big"].pk]}, "pins", ""),
        ({"survivors": [s1], "pins": {"first": homes["big"].pk}}, "pins", ""),
        ({"survivors": [s1], "pins": {str(s1): 10**9}}, "pins", "no home"),
        ({"survivors": [s1], "pins": {str(s1): inactive.pk}}, "pins", "inactive"),
        ({"survivors": [s1], "pins": {str(s2): homes["big"].pk}}, "pins", "not in this"),
        (
            {
                "survivors": [s1],
                "pins": {str(s1): homes["big"].pk},
                "excluded_homes": [homes["big"].pk],
            },
            "pins",
            "excluded",
        ),
        (
            {
                "survivors": [s1, s2],
                "keep_together": [[s1, s2]],
                "pins": {str(s1): homes["big"].pk, str(s2): homes["far"].pk},
            },
            "pins",
            "different homes",
        ),
        ({"survivors": [s1], "excluded_homes": [10**9]}, "excluded_homes", "no home"),
        ({"survivors": [s1], "excluded_homes": "all"}, "excluded_homes", ""),
        ({"survivors": [s1], "time_limit_seconds": 0}, "time_limit_seconds", ""),
        ({"survivors": [s1], "time_limit_seconds": 121}, "time_limit_seconds", ""),
        ({"survivors": [s1], "time_limit_seconds": "soon"}, "time_limit_seconds", ""),
    ]


def test_it_answers_400_naming_the_field_for_every_bad_request(alice, children, homes, api):
    client = api(alice)
    for body, field, words in bad_bodies(children, homes):
        response = client.post("/api/v1/batches/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        errors = response.json()
        assert field in errors, (body, errors)
        assert words in " ".join(errors[field]).lower(), (body, errors)
    assert not Batch.objects.exists()
    assert not AuditEntry.objects.filter(action="batch.create", outcome=Outcome.OK).exists()


def test_it_refuses_malformed_json_with_a_400(alice, api):
    response = api(alice).post(
        "/api/v1/batches/", data=b'{"survivors": [1,', content_type="application/json"
    )
    assert response.status_code == 400
    assert not Batch.objects.exists()


def test_it_refuses_a_child_already_placed_and_says_so(
    alice, mdt, home_admin, survivor, home, children, api
):
    placed(alice, mdt, home_admin, survivor, home)
    response = api(alice).post(
        "/api/v1/batches/", {"survivors": [survivor.pk, children[0].pk]}, format="json"
    )

    assert response.status_code == 400
    [message] = response.json()["survivors"]
    assert f"Case {survivor.case_number} is already placed" in message
    assert not Batch.objects.exists()


# --- Who may: 404 for hidden ids, 403 for roles that do not place children ---------------


def test_it_answers_404_for_a_child_the_worker_may_not_see(
    alice, charlie, children, api, other_agency
):
    theirs = SurvivorFactory(agency=other_agency, created_by=charlie)
    colleague_only = SurvivorFactory(agency=alice.agency, created_by=alice)  # not assigned
    client = api(alice)
    for body in (
        {"survivors": [children[0].pk, theirs.pk]},
        {"survivors": [children[0].pk, colleague_only.pk]},
        {"survivors": [children[0].pk, 10**9]},  # no such child: the same answer
        {"survivors": [children[0].pk], "keep_together": [[children[0].pk, theirs.pk]]},
        {"survivors": [children[0].pk], "pins": {str(theirs.pk): 1}},
    ):
        response = client.post("/api/v1/batches/", body, format="json")
        assert response.status_code == 404, body
        assert response.json() == NOT_FOUND
    assert not Batch.objects.exists()
    refused = AuditEntry.objects.filter(action="batch.create", outcome=Outcome.DENIED)
    assert refused.filter(object_id=str(theirs.pk), survivor_id=theirs.pk).count() == 3
    assert refused.filter(object_id=str(10**9), survivor_id=None).exists()


def test_it_answers_403_to_roles_that_do_not_place_children(
    mdt, admin_user, home_admin, survivor, api
):
    assert (
        api(mdt).post("/api/v1/batches/", {"survivors": [survivor.pk]}, format="json").status_code
        == 403
    )
    assert (
        api(admin_user)
        .post("/api/v1/batches/", {"survivors": [survivor.pk]}, format="json")
        .status_code
        == 403
    )
    # A home admin sees no survivor at all: 404, as for any record they may not see.
    assert (
        api(home_admin)
        .post("/api/v1/batches/", {"survivors": [survivor.pk]}, format="json")
        .status_code
        == 404
    )
    assert not Batch.objects.exists()
    assert AuditEntry.objects.filter(action="batch.create", outcome=Outcome.DENIED).count() == 3


def test_it_hides_a_batch_from_whoever_may_not_see_every_child(
    alice, bob, charlie, other_supervisor, mdt, children, api, agency
):
    colleague = UserFactory(username="carol", role="case_worker", agency=agency)
    children[0].assigned_workers.add(colleague)  # carol sees one child of the two
    response = api(alice).post(
        "/api/v1/batches/", {"survivors": [s.pk for s in children[:2]]}, format="json"
    )
    batch_id = response.json()["id"]

    assert api(bob).get(f"/api/v1/batches/{batch_id}/").status_code == 200
    for outsider in (colleague, charlie, other_supervisor, mdt):
        response = api(outsider).get(f"/api/v1/batches/{batch_id}/")
        assert response.status_code == 404, outsider.username
        assert response.json() == NOT_FOUND
        assert api(outsider).post(f"/api/v1/batches/{batch_id}/cancel/").status_code == 404
    assert api(alice).get("/api/v1/batches/999999999/").json() == NOT_FOUND
    assert (
        AuditEntry.objects.filter(
            action__in=["batch.read", "batch.cancel"], outcome=Outcome.DENIED
        ).count()
        == 9
    )
    assert Batch.objects.get().status == "running"


# --- Cancel --------------------------------------------------------------------------------


def test_it_cancels_a_batch_before_its_job_runs_and_the_job_stores_nothing(
    alice, bob, children, homes, api
):
    response = api(alice).post(
        "/api/v1/batches/", {"survivors": [s.pk for s in children]}, format="json"
    )
    batch_id = response.json()["id"]
    assert response.json()["status"] == "running"

    response = api(bob).post(f"/api/v1/batches/{batch_id}/cancel/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"

    assert run_batch.apply(args=[batch_id]).get() == "cancelled"
    assert not BatchAssignment.objects.exists()
    again = api(alice).post(f"/api/v1/batches/{batch_id}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "not_running"
    cancel = AuditEntry.objects.get(action="batch.cancel", outcome=Outcome.OK)
    assert (cancel.actor, cancel.before["status"], cancel.after) == (
        bob,
        "running",
        {"status": "cancelled"},
    )


def test_only_the_creator_or_a_supervisor_cancels(alice, agency, children, api):
    colleague = UserFactory(username="carol", role="case_worker", agency=agency)
    for s in children[:2]:
        s.assigned_workers.add(colleague)
    batch_id = (
        api(alice)
        .post("/api/v1/batches/", {"survivors": [s.pk for s in children[:2]]}, format="json")
        .json()["id"]
    )
    assert api(colleague).get(f"/api/v1/batches/{batch_id}/").status_code == 200
    response = api(colleague).post(f"/api/v1/batches/{batch_id}/cancel/")
    assert response.status_code == 403
    assert Batch.objects.get().status == "running"


def test_a_done_batch_cannot_be_cancelled(
    alice, children, homes, api, django_capture_on_commit_callbacks
):
    response = post_batch(
        api(alice), {"survivors": [children[0].pk]}, django_capture_on_commit_callbacks
    )
    assert response.json()["status"] == "done"
    response = api(alice).post(f"/api/v1/batches/{response.json()['id']}/cancel/")
    assert response.status_code == 409


def hard_batch(worker, *, children: int = 60, homes: int = 12, beds: int = 5) -> list:
    """A plan the solver cannot prove optimal in seconds: many co-victims to keep apart
    (every other pair, fixed at random) and just enough beds for everyone."""
    import random

    rng = random.Random(7)
    zips = ["66101", "66044", "66603", "67202", "66502", "67401"]
    for n in range(homes):
        HomeFactory(
            name=f"Home {n}",
            zip_code=zips[n % len(zips)],
            licensed_beds=beds,
            available_beds=beds,
            staff_on_duty=beds,
        )
    kids = [child(worker) for _ in range(children)]
    pairs = [[a.pk, b.pk] for i, a in enumerate(kids) for b in kids[i + 1 :] if rng.random() < 0.8]
    return kids, pairs


@pytest.mark.django_db(transaction=True)
def test_it_stops_a_running_plan_when_cancelled(alice, bob, monkeypatch):
    """The job notices the cancel within a second or so, stops the solver and stores
    nothing; its progress was on the row while it ran. (The job runs here, in the test's
    thread, and the supervisor cancels from another thread, on its own connection.)"""
    kids, pairs = hard_batch(alice)
    monkeypatch.setattr("placement.services.batches.batch_queue", lambda batch: None)
    batch = batch_create(
        actor=alice, survivor_ids=[k.pk for k in kids], keep_apart=pairs, time_limit_seconds=90
    )
    seen: list[int] = []

    def cancel_once_solving() -> None:
        try:
            wait_for(lambda: Batch.objects.get(pk=batch.pk).progress > SEARCH_SHARE, timeout=60)
            seen.append(Batch.objects.get(pk=batch.pk).progress)
            batch_cancel(actor=bob, batch=Batch.objects.get(pk=batch.pk))
        finally:
            connections.close_all()

    canceller = threading.Thread(target=cancel_once_solving)
    canceller.start()
    started = time.monotonic()
    result = batch_run(batch_id=batch.pk)
    elapsed = time.monotonic() - started
    canceller.join()

    assert result.status == "cancelled"
    assert seen and SEARCH_SHARE < seen[0] < 100
    assert elapsed < 60
    assert not BatchAssignment.objects.filter(batch=batch).exists()


# --- The audit trail and the admin ---------------------------------------------------------


def test_it_audits_every_step(alice, children, homes, api, django_capture_on_commit_callbacks):
    response = post_batch(
        api(alice),
        {
            "survivors": [s.pk for s in children[:2]],
            "keep_apart": [[children[0].pk, children[1].pk]],
        },
        django_capture_on_commit_callbacks,
    )
    batch_id = response.json()["id"]
    create = AuditEntry.objects.get(action="batch.create")
    assert (create.actor, create.object_id, create.outcome) == (alice, str(batch_id), "ok")
    assert create.after["children"] == 2 and create.after["keep_apart"] == 1
    run = AuditEntry.objects.get(action="batch.run")
    assert run.actor is None
    assert run.before == {"status": "running"}
    assert (run.after["status"], run.after["children"], run.after["placed"]) == ("done", 2, 2)
    assert run.after["optimal"] is True
    # Reading the plan is a read of each child's record.
    reads = AuditEntry.objects.filter(action="batch.read", survivor_id__isnull=False)
    assert sorted(reads.values_list("survivor_id", flat=True)) == sorted(s.pk for s in children[:2])
    # Nothing personal in the trail.
    assert "Jane" not in json.dumps([e.after for e in AuditEntry.objects.all()], default=str)


def test_a_failed_plan_says_why_without_personal_data(alice, children, homes, api, monkeypatch):
    response = api(alice).post("/api/v1/batches/", {"survivors": [children[0].pk]}, format="json")
    batch_id = response.json()["id"]

    def broken(*args, **kwargs):
        raise RuntimeError("Jane Roe at 66101")

    monkeypatch.setattr("placement.services.batch_runs.plan_solve", broken)
    batch = batch_run(batch_id=batch_id)

    assert batch.status == "failed"
    assert "internal error" in batch.error
    failed = AuditEntry.objects.get(action="batch.run")
    assert failed.outcome == "failed"
    assert "Jane" not in json.dumps(failed.after)
    data = api(alice).get(f"/api/v1/batches/{batch_id}/").json()
    assert (data["status"], data["assignments"]) == ("failed", [])
    # A second run (a redelivered job) changes nothing.
    assert batch_run(batch_id=batch_id).status == "failed"
    assert AuditEntry.objects.filter(action="batch.run").count() == 1


def test_a_redelivered_job_marks_the_batch_failed_instead_of_starting_over(
    alice, children, homes, api
):
    batch_id = (
        api(alice)
        .post("/api/v1/batches/", {"survivors": [children[0].pk]}, format="json")
        .json()["id"]
    )
    Batch.objects.filter(pk=batch_id).update(started_at="2026-01-01T00:00:00Z")

    batch = batch_run(batch_id=batch_id)

    assert batch.status == "failed"
    assert "stopped before it finished" in batch.error


def test_a_batch_whose_job_was_lost_is_marked_failed_not_left_running(alice, children, homes, api):
    ids = [
        api(alice).post("/api/v1/batches/", {"survivors": [c.pk]}, format="json").json()["id"]
        for c in children[:2]
    ]
    # The first one's job was lost an hour ago; the second was asked for just now.
    Batch.objects.filter(pk=ids[0]).update(created_at=timezone.now() - timedelta(hours=1))

    assert sweep_batches() == 1

    lost, recent = Batch.objects.get(pk=ids[0]), Batch.objects.get(pk=ids[1])
    assert lost.status == "failed" and "Start a new batch" in lost.error
    assert recent.status == "running"
    page = api(alice).get(f"/api/v1/batches/{ids[0]}/").json()
    assert page["status"] == "failed"


def test_the_admin_shows_batches_read_only(admin_user, alice, children, homes, api):
    batch_id = (
        api(alice)
        .post("/api/v1/batches/", {"survivors": [children[0].pk]}, format="json")
        .json()["id"]
    )
    batch_run(batch_id=batch_id)
    client = Client()
    client.force_login(admin_user)

    for url in (
        reverse("admin:placement_batch_changelist"),
        reverse("admin:placement_batch_change", args=[batch_id]),
        reverse("admin:placement_batchassignment_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:placement_batch_add")).status_code == 403


@pytest.mark.redis
def test_a_real_worker_plans_the_batch_and_the_page_can_follow_it(
    worker, alice, children, homes, api
):
    """The production shape: the POST queues the job on Redis at the commit, a Celery
    worker works the plan out, and polling the batch shows it done."""
    client = api(alice)
    response = client.post(
        "/api/v1/batches/",
        {
            "survivors": [s.pk for s in children[:4]],
            "keep_apart": [[children[0].pk, children[1].pk]],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    batch_id = response.json()["id"]

    assert wait_for(lambda: client.get(f"/api/v1/batches/{batch_id}/").json()["status"] == "done")
    data = client.get(f"/api/v1/batches/{batch_id}/").json()
    assert (data["progress"], data["placed_count"], data["optimal"]) == (100, 4, True)
    plan = plan_of(client.get(f"/api/v1/batches/{batch_id}/"))
    assert plan[children[0].pk] != plan[children[1].pk]
    assert AuditEntry.objects.get(action="batch.run").after["placed"] == 4


def test_a_plan_past_its_time_limit_fails_saying_so(alice, children, homes, api, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    batch_id = (
        api(alice)
        .post("/api/v1/batches/", {"survivors": [children[0].pk]}, format="json")
        .json()["id"]
    )

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("placement.services.batch_runs.plan_solve", too_slow)
    batch = batch_run(batch_id=batch_id)

    assert batch.status == "failed"
    assert "time limit" in batch.error


def test_it_keeps_a_batch_queued_while_the_broker_is_down_and_runs_it_when_it_returns(
    alice, children, homes, api, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(run_batch, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(
            "/api/v1/batches/", {"survivors": [children[0].pk]}, format="json"
        )

    assert response.status_code == 201
    batch = Batch.objects.get()
    assert batch.status == "running"
    assert batch.progress_note == "Waiting to start"

    monkeypatch.undo()  # the broker is back: the relay sends the job
    assert outbox_relay() == 1
    batch.refresh_from_db()
    assert batch.status == "done"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("keep_together", "groups"),
        ("keep_apart", "pairs"),
        ("survivors", "distinct"),
        ("pins", "pins"),
        ("survivors", "survivors"),
        ("excluded_homes", "homes"),
    ],
)
def test_it_refuses_a_list_longer_than_a_batch_can_use_before_reading_it(
    alice, children, api, field, value
):
    """Issue 29 finding 4: 10,000 ids the caller cannot see in keep_together answered 404
    after 27 s and wrote 10,000 refusal rows; pins had no limit at all."""
    ids = list(range(10**8, 10**8 + 10_000))
    body: dict = {"survivors": [children[0].pk]}
    if value == "groups":
        body["keep_together"] = [ids[i : i + 2] for i in range(0, len(ids), 2)]
    elif value == "pairs":
        body["keep_apart"] = [[ids[0], other] for other in ids[1:]]
    elif value == "pins":
        body["pins"] = {str(i): 1 for i in ids[:2000]}
    elif value == "survivors":
        body["survivors"] = ids
    elif value == "distinct":  # within each list's bound, but 1,000 children in all
        body["keep_apart"] = [ids[i : i + 2] for i in range(0, 1000, 2)]
    else:
        body["excluded_homes"] = ids
    before = AuditEntry.objects.count()

    response = api(alice).post("/api/v1/batches/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert AuditEntry.objects.count() == before  # nothing looked up, nothing written


def test_it_writes_one_refusal_for_a_request_naming_many_hidden_children(
    alice, charlie, children, api, other_agency
):
    theirs = [SurvivorFactory(agency=other_agency, created_by=charlie) for _ in range(3)]
    hidden = [t.pk for t in theirs] + list(range(10**8, 10**8 + 400))
    body = {
        "survivors": [children[0].pk],
        "keep_apart": [[children[0].pk, other] for other in hidden],
    }

    response = api(alice).post("/api/v1/batches/", body, format="json")

    assert response.status_code == 404
    refused = AuditEntry.objects.filter(action="batch.create", outcome=Outcome.DENIED)
    assert refused.count() == 1
    entry = refused.get()
    assert entry.after["hidden"] == 403
    assert sorted(entry.after["existing"]) == sorted(t.pk for t in theirs)


def test_the_service_bounds_the_lists_too(alice, children):
    """A page's form or a command calls the service without the serializer."""
    with pytest.raises(ValidationError) as refused:
        batch_create(
            actor=alice,
            survivor_ids=[children[0].pk],
            keep_together=[[10**8 + i, 10**8 + i + 1] for i in range(0, 2000, 2)],
        )
    assert "keep_together" in refused.value.message_dict


def test_it_fails_a_batch_whose_worker_died_within_two_minutes_saying_so(
    alice, children, homes, api
):
    from core.heartbeat import heartbeat_record

    ids = [
        api(alice).post("/api/v1/batches/", {"survivors": [c.pk]}, format="json").json()["id"]
        for c in children[:2]
    ]
    started = timezone.now() - timedelta(seconds=50)
    Batch.objects.filter(pk__in=ids).update(started_at=started)
    # The first one's worker was killed 50 s ago; the second's still writes its heartbeat.
    heartbeat_record(name=f"batch:{ids[0]}", now=started)
    heartbeat_record(name=f"batch:{ids[1]}")

    assert sweep_batches() == 1

    dead, alive = Batch.objects.get(pk=ids[0]), Batch.objects.get(pk=ids[1])
    assert dead.status == "failed"
    assert "stopped or restarted" in dead.error and "Start a new batch" in dead.error
    assert alive.status == "running"
    # The job sent twice: the second copy leaves the working one alone.
    assert batch_run(batch_id=ids[1]).status == "running"


def test_it_sends_a_batch_again_when_no_worker_started_it_after_two_minutes(
    alice, children, homes, api, django_capture_on_commit_callbacks
):
    from core.models import OutboxMessage

    batch_id = (
        api(alice)
        .post("/api/v1/batches/", {"survivors": [children[0].pk]}, format="json")
        .json()["id"]
    )
    # Sent three minutes ago to a worker that died before starting it.
    long_ago = timezone.now() - timedelta(minutes=3)
    OutboxMessage.objects.update(sent_at=long_ago, created_at=long_ago)
    Batch.objects.filter(pk=batch_id).update(created_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_batches() == 0

    assert OutboxMessage.objects.count() == 2
    assert Batch.objects.get(pk=batch_id).status == "done"
