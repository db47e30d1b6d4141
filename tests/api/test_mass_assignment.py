"""Posting every field a client may not write changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from homes.models import AvailabilityChange, Home
from survivors.models import Survivor
from tests.api.payloads import INTAKE

pytestmark = pytest.mark.postgres

LONG_AGO = "2001-01-01T00:00:00Z"


def survivor_forbidden_fields(other_agency, other_team, charlie) -> dict:
    return {
        "id": 424242,
        "status": "placed",
        "agency": other_agency.code,
        "agency_id": other_agency.pk,
        "team": other_team.name,
        "team_id": other_team.pk,
        "assigned_workers": [charlie.username],
        "created_by": charlie.pk,
        "created_by_id": charlie.pk,
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
        "archived_at": LONG_AGO,
    }


def test_it_ignores_non_writable_fields_when_creating_a_survivor(
    alice, charlie, other_agency, other_team, client_for
):
    payload = {**INTAKE, **survivor_forbidden_fields(other_agency, other_team, charlie)}

    response = client_for(alice).post("/api/v1/survivors/", payload, format="json")

    assert response.status_code == 201, response.json()
    survivor = Survivor.objects.get(pk=response.json()["id"])
    assert survivor.pk != 424242
    assert survivor.status == "intake"
    assert survivor.agency == alice.agency
    assert survivor.team == alice.team
    assert list(survivor.assigned_workers.all()) == [alice]
    assert survivor.created_by == alice
    assert survivor.archived_at is None
    assert survivor.created_at > timezone.now() - datetime.timedelta(minutes=1)


def test_it_changes_nothing_when_only_non_writable_fields_are_patched(
    world, alice, charlie, other_agency, other_team, client_for
):
    survivor = world.objects["survivor"]
    before = Survivor.objects.filter(pk=survivor.pk).values().get()
    workers = set(survivor.assigned_workers.all())

    response = client_for(alice).patch(
        f"/api/v1/survivors/{survivor.pk}/",
        survivor_forbidden_fields(other_agency, other_team, charlie),
        format="json",
    )

    assert response.status_code == 200
    after = Survivor.objects.filter(pk=survivor.pk).values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert set(survivor.assigned_workers.all()) == workers
    assert not Survivor.objects.filter(pk=424242).exists()


HOME_FORBIDDEN = {
    "id": 515151,
    "beds_held": 4,
    "profile_confirmed_at": LONG_AGO,
    "profile_confirmation_due": False,
    "license_expired": False,
    "availability_updated_at": LONG_AGO,
    "availability_updated_by": "charlie",
    "availability_updated_by_id": 1,
    "stale_nudged_at": LONG_AGO,
    "created_at": LONG_AGO,
    "modified_at": LONG_AGO,
}


def test_it_ignores_non_writable_fields_of_a_home(world, admin_user, client_for):
    from tests.api.payloads import home_full

    client = client_for(admin_user)
    created = client.post(
        "/api/v1/homes/", {**home_full(world, "admin"), **HOME_FORBIDDEN}, format="json"
    )

    assert created.status_code == 201, created.json()
    home = Home.objects.get(pk=created.json()["id"])
    assert home.pk != 515151
    assert home.availability_updated_by == admin_user
    assert home.availability_updated_at > timezone.now() - datetime.timedelta(minutes=1)
    assert home.stale_nudged_at is None

    before = Home.objects.filter(pk=home.pk).values().get()
    patched = client.patch(f"/api/v1/homes/{home.pk}/", HOME_FORBIDDEN, format="json")
    assert patched.status_code == 200
    after = Home.objects.filter(pk=home.pk).values().get()
    assert {k: v for k, v in after.items() if k != "modified_at"} == {
        k: v for k, v in before.items() if k != "modified_at"
    }


def test_it_lets_a_home_admin_change_only_beds_and_staff_through_availability(
    world, home_admin, client_for
):
    home = world.objects["home"]
    before = Home.objects.filter(pk=home.pk).values().get()

    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/",
        {"licensed_beds": 99, "name": "Renamed", "active": False, "accepts_pregnant": True},
        format="json",
    )

    assert response.status_code == 400
    assert Home.objects.filter(pk=home.pk).values().get() == before
    assert AvailabilityChange.objects.filter(home=home).count() == 1


def test_it_ignores_non_writable_fields_a_home_admin_patches(world, home_admin, client_for):
    home = world.objects["home"]
    before = Home.objects.filter(pk=home.pk).values().get()

    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/", HOME_FORBIDDEN, format="json"
    )

    assert response.status_code == 200
    after = Home.objects.filter(pk=home.pk).values().get()
    assert {k: v for k, v in after.items() if k != "modified_at"} == {
        k: v for k, v in before.items() if k != "modified_at"
    }
