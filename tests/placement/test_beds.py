"""Bed accounting: what everyone sees is the home's free beds minus the beds held."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditEntry
from homes.models import AvailabilityChange, Home
from homes.services import home_update, home_update_availability
from matching.selectors import match_needs, needs_of_survivor
from placement.services import placement_discharge, referral_place
from tests.factories import HomeFactory
from tests.placement.helpers import accepted, placed

pytestmark = pytest.mark.postgres


def state(home: Home) -> tuple[int, int]:
    home.refresh_from_db()
    return home.available_beds, home.beds_held


def test_it_moves_beds_at_each_step_with_a_history_row_and_a_fresh_stamp(
    alice, mdt, home_admin, survivor, home
):
    stamps = [Home.objects.get(pk=home.pk).modified_at]

    referral = accepted(alice, mdt, home_admin, survivor, home)
    assert state(home) == (1, 1)
    stamps.append(home.modified_at)
    placement = referral_place(actor=alice, referral_id=referral.pk)
    assert state(home) == (1, 0)
    stamps.append(home.modified_at)
    placement_discharge(actor=alice, placement_id=placement.pk, end_reason="planned")
    assert state(home) == (2, 0)
    stamps.append(home.modified_at)

    # The matching directory cache syncs by modified_at: every write must move it.
    assert stamps == sorted(stamps) and len(set(stamps)) == 4
    rows = list(
        AvailabilityChange.objects.filter(home=home)
        .order_by("id")
        .values_list(
            "source",
            "available_beds_before",
            "available_beds_after",
            "beds_held_before",
            "beds_held_after",
            "by__username",
        )
    )
    assert rows == [
        ("hold", 2, 1, 0, 1, "hank"),
        ("placement", 1, 1, 1, 0, "alice"),
        ("discharge", 1, 2, 0, 0, "alice"),
    ]
    audits = AuditEntry.objects.filter(
        object_type="homes.home", object_id=str(home.pk), action__startswith="home.beds."
    )
    assert set(audits.values_list("action", flat=True)) == {
        "home.beds.hold",
        "home.beds.placement",
        "home.beds.discharge",
    }


def test_it_shows_searches_the_bed_taken_by_a_hold_at_once(alice, mdt, home_admin, survivor, home):
    needs = needs_of_survivor(survivor, today=timezone.localdate())
    assert match_needs(needs).results[0].home.available_beds == 2  # the cache is warm now

    accepted(alice, mdt, home_admin, survivor, home)

    assert match_needs(needs).results[0].home.available_beds == 1


def test_it_reads_a_home_admins_count_as_free_beds_held_ones_included(
    alice, mdt, home_admin, survivor, home, api
):
    accepted(alice, mdt, home_admin, survivor, home)  # 1 free, 1 held
    url = f"/api/v1/homes/{home.pk}/availability/"

    response = api(home_admin).patch(url, {"available_beds": 4}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["available_beds"] == 3
    assert state(home) == (3, 1)

    too_few = api(home_admin).patch(url, {"available_beds": 0}, format="json")
    assert too_few.status_code == 400
    assert "1 of this home's beds are held" in too_few.json()["available_beds"][0]
    too_many = api(home_admin).patch(url, {"available_beds": 7}, format="json")
    assert too_many.status_code == 400
    assert "6 licensed beds" in too_many.json()["available_beds"][0]
    assert api(home_admin).patch(url, {"available_beds": 6}, format="json").status_code == 200
    assert state(home) == (5, 1)
    entry = AuditEntry.objects.filter(action="home.availability").latest("id")
    assert entry.after == {"available_beds": 5, "staff_on_duty": 2, "beds_held": 1}


def test_it_keeps_a_profile_edit_within_the_licensed_beds_counting_the_held(
    alice, mdt, home_admin, admin_user, survivor, home
):
    from django.core.exceptions import ValidationError

    accepted(alice, mdt, home_admin, survivor, home)  # 1 free, 1 held of 6

    with pytest.raises(ValidationError) as caught:
        home_update(actor=admin_user, home_id=home.pk, data={"licensed_beds": 1})
    assert "held" in caught.value.message_dict["available_beds"][0]
    home_update(actor=admin_user, home_id=home.pk, data={"available_beds": 5})
    assert state(home) == (5, 1)


def test_it_never_frees_more_than_the_licensed_beds_on_discharge(
    alice, mdt, home_admin, survivor, home
):
    placement = placed(alice, mdt, home_admin, survivor, home)
    # The home already counts the child's bed as free again (all 6 of 6).
    home_update_availability(actor=home_admin, home_id=home.pk, available_beds=6)

    placement_discharge(actor=alice, placement_id=placement.pk, end_reason="runaway")

    assert state(home) == (6, 0)


@pytest.mark.django_db
def test_it_keeps_free_plus_held_within_licensed_in_the_database_itself():
    home = HomeFactory(licensed_beds=4, available_beds=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE homes_home SET available_beds = 2, beds_held = 3 WHERE id = %s", [home.pk]
            )
    assert state(home) == (1, 0)


def test_it_keeps_a_bed_update_when_the_broker_is_down(
    home_admin, home, api, monkeypatch, django_capture_on_commit_callbacks
):
    from celery.app.task import Task

    from config.celery import app

    def refuse(self, *args, **kwargs):
        raise ConnectionError("the broker is down")

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(Task, "apply_async", refuse)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api(home_admin).patch(
            f"/api/v1/homes/{home.pk}/availability/", {"available_beds": 5}, format="json"
        )

    assert response.status_code == 200
    # The waitlist re-check was attempted after the commit, and waits in the outbox.
    assert sum("_kick" in repr(callback) for callback in callbacks) == 1
    assert state(home) == (5, 0)


def test_it_answers_success_when_the_change_committed_but_reading_it_back_failed(
    home_admin, home, api, monkeypatch, transactional_db
):
    from django.db import OperationalError

    def connection_dropped(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("placement.home_apis.home_get", connection_dropped)

    response = api(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/", {"available_beds": 1}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["code"] == "saved"
    assert "do not send the change again" in response.json()["detail"]
    home.refresh_from_db()
    assert home.available_beds == 1  # it was saved


def test_it_answers_503_when_the_database_dropped_before_anything_was_committed(
    home_admin, home, api, monkeypatch
):
    from django.db import OperationalError

    def connection_dropped(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("placement.home_apis.home_availability_report", connection_dropped)
    client = api(home_admin)
    client.raise_request_exception = False

    response = client.patch(
        f"/api/v1/homes/{home.pk}/availability/", {"available_beds": 1}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response["Retry-After"] == "30"
