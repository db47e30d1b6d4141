from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from homes.models import AvailabilityChange, Home
from tests.api.payloads import home_full
from tests.factories import HomeFactory

pytestmark = pytest.mark.postgres


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


def test_it_filters_the_directory(alice, client_for):
    ks_full = HomeFactory(state="KS", available_beds=0, home_type="safe_home")
    ks_free = HomeFactory(state="KS", available_beds=2, home_type="foster", intake_24_7=True)
    mo_free = HomeFactory(state="MO", zip_code="64108", available_beds=1, accepts_out_of_state=True)
    client = client_for(alice)

    assert ids(client.get("/api/v1/homes/?state=KS")) == {ks_full.pk, ks_free.pk}
    assert ids(client.get("/api/v1/homes/?has_beds=true")) == {ks_free.pk, mo_free.pk}
    assert ids(client.get("/api/v1/homes/?has_beds=false")) == {ks_full.pk}
    assert ids(client.get("/api/v1/homes/?home_type=foster")) == {ks_free.pk}
    assert ids(client.get("/api/v1/homes/?accepts_out_of_state=true")) == {mo_free.pk}
    assert ids(client.get("/api/v1/homes/?state=KS&has_beds=true&intake_24_7=true")) == {ks_free.pk}


def test_it_refuses_an_unknown_filter_value_with_a_message_per_field(alice, client_for):
    response = client_for(alice).get("/api/v1/homes/?state=XX&home_type=castle")

    assert response.status_code == 400
    assert set(response.json()) == {"state", "home_type"}


def test_it_paginates_the_directory_with_a_count(alice, client_for):
    HomeFactory.create_batch(7)

    page = client_for(alice).get("/api/v1/homes/?limit=3&offset=3").json()

    assert page["count"] == 7
    assert len(page["results"]) == 3
    assert page["next"] and page["previous"]


def test_it_creates_a_home_with_its_id(world, admin_user, client_for):
    response = client_for(admin_user).post(
        "/api/v1/homes/", home_full(world, "admin"), format="json"
    )

    assert response.status_code == 201
    home = Home.objects.get(pk=response.json()["id"])
    assert home.name == "Harbor Light"
    assert AuditEntry.objects.filter(action="home.create", object_id=str(home.pk)).count() == 1


def test_it_refuses_a_home_whose_zip_lies_in_another_state(world, admin_user, client_for):
    payload = {**home_full(world, "admin"), "state": "MO"}

    response = client_for(admin_user).post("/api/v1/homes/", payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"zip_code": ["ZIP code 66101 is in KS, not MO."]}


def test_it_updates_availability_stamps_it_and_keeps_history(home, home_admin, client_for):
    started = timezone.now()

    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/",
        {"available_beds": 5, "staff_on_duty": 3},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["available_beds"], body["staff_on_duty"]) == (5, 3)
    assert body["availability_updated_by"] == "hank"
    home.refresh_from_db()
    assert home.availability_updated_at >= started
    assert home.availability_updated_by == home_admin
    change = AvailabilityChange.objects.get(home=home)
    assert (change.available_beds_before, change.available_beds_after) == (2, 5)
    assert (change.staff_on_duty_before, change.staff_on_duty_after) == (2, 3)
    assert change.by == home_admin


@pytest.mark.parametrize("beds", [-1, 7, "many"])
def test_it_refuses_beds_outside_zero_and_licensed(home, home_admin, client_for, beds):
    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/", {"available_beds": beds}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["available_beds"]
    home.refresh_from_db()
    assert home.available_beds == 2
    assert not AvailabilityChange.objects.filter(home=home).exists()


def test_it_changes_nothing_when_one_of_two_values_is_refused(home, home_admin, client_for):
    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/",
        {"available_beds": 9, "staff_on_duty": 5},
        format="json",
    )

    assert response.status_code == 400
    home.refresh_from_db()
    assert (home.available_beds, home.staff_on_duty) == (2, 2)
    assert not AvailabilityChange.objects.filter(home=home).exists()
    assert not AuditEntry.objects.filter(action="home.availability").exists()


def test_it_answers_404_for_the_availability_of_a_missing_home(admin_user, client_for):
    response = client_for(admin_user).patch(
        "/api/v1/homes/987654/availability/", {"available_beds": 1}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_it_shows_the_availability_history_newest_first(home, home_admin, client_for):
    client = client_for(home_admin)
    for beds in (1, 0, 4):
        client.patch(
            f"/api/v1/homes/{home.pk}/availability/", {"available_beds": beds}, format="json"
        )

    history = client.get(f"/api/v1/homes/{home.pk}/availability/history/").json()

    assert history["count"] == 3
    assert [
        (h["available_beds_before"], h["available_beds_after"]) for h in history["results"]
    ] == [
        (0, 4),
        (1, 0),
        (2, 1),
    ]
    assert {h["by"] for h in history["results"]} == {"hank"}
    assert {h["source"] for h in history["results"]} == {"home_admin"}


@pytest.mark.django_db(transaction=True)
def test_it_serialises_concurrent_availability_updates(home_admin, admin_user, client_for):
    """Two updates at once: one waits for the other's row lock; both land in the history."""
    home = Home.objects.get(name="Lighthouse House")
    clients = [client_for(home_admin), client_for(admin_user)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def update(client, beds):
        try:
            barrier.wait(timeout=5)
            response = client.patch(
                f"/api/v1/homes/{home.pk}/availability/", {"available_beds": beds}, format="json"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=update, args=(clients[0], 1)),
        threading.Thread(target=update, args=(clients[1], 6)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert statuses == [200, 200]
    first, second = AvailabilityChange.objects.filter(home=home).order_by("id")
    # The second writer's "before" is the first one's "after": nothing interleaved.
    assert second.available_beds_before == first.available_beds_after
    home.refresh_from_db()
    assert home.available_beds == second.available_beds_after
    assert home.availability_updated_at > timezone.now() - datetime.timedelta(minutes=1)


# --- A home admin keeps the profile, not what the license says (homes.policy) -------------


def test_it_lets_a_home_admin_edit_contacts_and_shows_them(home, home_admin, client_for):
    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/",
        {"intake_phone": "+1 (913) 555-0142 ext. 4", "contact_name": "Maria Lopez"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["intake_phone"], body["contact_name"]) == (
        "+1 (913) 555-0142 ext. 4",
        "Maria Lopez",
    )
    assert (body["license_number"], body["license_expires"]) == ("", None)
    assert body["profile_confirmed_at"] is None
    assert body["profile_confirmation_due"] is True
    assert body["license_expired"] is False
    entry = AuditEntry.objects.get(action="home.update", object_id=str(home.pk))
    assert entry.before == {"intake_phone": "", "contact_name": ""}
    assert entry.after == {
        "intake_phone": "+1 (913) 555-0142 ext. 4",
        "contact_name": "Maria Lopez",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"licensed_beds": 60},
        {"license_expires": "2099-01-01"},
        {"license_number": "FORGED-1"},
        {"residents_per_staff": 10},
        {"active": False},
        {"home_type": "emergency_shelter"},
        {"available_beds": 4},
    ],
)
def test_it_refuses_a_home_admin_changing_the_license_or_beds(home, home_admin, client_for, change):
    before = Home.objects.filter(pk=home.pk).values().get()

    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/", {**change, "contact_name": "Maria Lopez"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == list(change)
    assert Home.objects.filter(pk=home.pk).values().get() == before
    assert not AuditEntry.objects.filter(action="home.update").exists()


def test_it_takes_back_a_profile_a_home_admin_read_and_changed(home, home_admin, client_for):
    """A PUT of the profile as read (licensed facts unchanged) with a new contact passes."""
    client = client_for(home_admin)
    profile = client.get(f"/api/v1/homes/{home.pk}/").json()

    response = client.put(
        f"/api/v1/homes/{home.pk}/", {**profile, "contact_name": "Maria Lopez"}, format="json"
    )

    assert response.status_code == 200, response.json()
    home.refresh_from_db()
    assert home.contact_name == "Maria Lopez"


def test_it_refuses_a_phone_nobody_can_dial(home, home_admin, client_for):
    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/", {"intake_phone": "call Maria"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["intake_phone"]


def test_it_refuses_another_homes_admin(home, home_admin_other, client_for):
    response = client_for(home_admin_other).patch(
        f"/api/v1/homes/{home.pk}/", {"contact_name": "Hilda"}, format="json"
    )

    # A home admin may not know another home exists (issue 12): as for no home at all.
    assert response.status_code == 404
    home.refresh_from_db()
    assert home.contact_name == ""


def test_it_lets_a_harbor_admin_record_the_license(home, admin_user, client_for):
    response = client_for(admin_user).patch(
        f"/api/v1/homes/{home.pk}/",
        {"license_number": "KS-RCC-0042", "license_expires": "2020-01-31"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["license_expired"] is True
    entry = AuditEntry.objects.get(action="home.update", object_id=str(home.pk))
    assert entry.after == {"license_number": "KS-RCC-0042", "license_expires": "2020-01-31"}


def test_it_says_when_a_profile_was_confirmed(home, home_admin, client_for):
    confirmed = timezone.now() - datetime.timedelta(days=400)
    Home.objects.filter(pk=home.pk).update(profile_confirmed_at=confirmed)
    client = client_for(home_admin)

    body = client.get(f"/api/v1/homes/{home.pk}/").json()
    assert body["profile_confirmation_due"] is True
    assert body["profile_confirmed_at"] is not None

    Home.objects.filter(pk=home.pk).update(profile_confirmed_at=timezone.now())
    assert client.get(f"/api/v1/homes/{home.pk}/").json()["profile_confirmation_due"] is False


def test_it_creates_a_home_with_its_contacts_and_license(world, admin_user, client_for):
    payload = {
        **home_full(world, "admin"),
        "intake_phone": "(913) 555-0142",
        "contact_name": "Maria Lopez",
        "license_number": "KS-CS-00042",
        "license_expires": "2027-03-31",
    }

    response = client_for(admin_user).post("/api/v1/homes/", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["license_number"], body["license_expires"]) == ("KS-CS-00042", "2027-03-31")
    assert body["profile_confirmation_due"] is True
    entry = AuditEntry.objects.get(action="home.create", object_id=str(body["id"]))
    assert entry.after["license_expires"] == "2027-03-31"
    assert entry.after["intake_phone"] == "(913) 555-0142"


def test_it_names_a_case_worker_in_the_history_only_to_their_own_agency(
    home, alice, bob, charlie, admin_user, home_admin, client_for
):
    """Issue 29 finding 9: the history showed another agency's user names to a case
    worker. A hold by alice (Kansas DCF) reads "alice" to her agency and to Harbor's
    admins, "Kansas DCF" to another agency's worker, and nothing to the home's admin."""
    AvailabilityChange.objects.create(
        home=home,
        by=alice,
        source=AvailabilityChange.Source.HOLD,
        available_beds_before=2,
        available_beds_after=1,
        staff_on_duty_before=2,
        staff_on_duty_after=2,
    )
    path = f"/api/v1/homes/{home.pk}/availability/history/"

    def seen_by(user) -> tuple:
        entry = client_for(user).get(path).json()["results"][0]
        return entry["by"], entry["by_agency"]

    assert seen_by(bob) == ("alice", "Kansas DCF")
    assert seen_by(admin_user) == ("alice", "Kansas DCF")
    assert seen_by(charlie) == (None, "Kansas DCF")
    assert seen_by(home_admin) == (None, None)


def test_the_homes_page_names_a_case_worker_to_the_homes_admin_no_more_than_the_api(
    home, alice, admin_user, home_admin
):
    """The home's own page showed its admin every author's username: alice's hold read
    "alice" there while the API said nothing. Both ask homes.policy now."""
    for by, source in ((alice, "hold"), (home_admin, "home_admin"), (None, "hold_released")):
        AvailabilityChange.objects.create(
            home=home, by=by, source=source, available_beds_before=2, available_beds_after=1,
            staff_on_duty_before=2, staff_on_duty_after=2,
        )  # fmt: skip

    def history_seen_by(user) -> str:
        client = Client()
        client.force_login(user)
        page = client.get(f"/homes/{home.pk}/manage/")
        assert page.status_code == 200
        html = page.content.decode()
        return html[html.index('<thead><tr><th scope="col">When') :]

    seen = history_seen_by(home_admin)
    assert "alice" not in seen and "Kansas DCF" not in seen
    assert "Case worker" in seen  # who, by role only
    assert home_admin.username in seen  # Harbor's side of the home is named
    assert "alice" in history_seen_by(admin_user)
