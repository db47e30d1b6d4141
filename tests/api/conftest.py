"""API fixtures: clients signed in as the personas, and a small world for the matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from audit.services import audit_record
from homes.models import AvailabilityChange, Home
from homes.services import home_update_availability
from tests.factories import SurvivorFactory
from tests.placement.world import add_workflow_records

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 costs ~0.4 s a hash here, and the matrix creates ten users per test.

    test_auth.py::test_it_hashes_passwords_with_argon2_... puts the production list back.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def unhashed_static_files(settings):
    """The docs page links its (sidecar) assets; the manifest exists only after collectstatic,
    which the Docker build runs and the test suite does not."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def client_for():
    """`client_for(user)`: an APIClient sending that user's token (None: anonymous)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            key, _ = token_issue(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(
    alice,
    bob,
    charlie,
    other_supervisor,
    mdt,
    mdt_other,
    home_admin,
    home_admin_other,
    admin_user,
    survivor,
    home,
    other_home,
    agency,
    other_agency,
    other_team,
) -> World:
    """Every persona, and records that tell their views apart.

    - `survivor`: alice's, on her agency and her MDT team (mona's).
    - `agency_survivor`: alice's agency, assigned to nobody, no team: only bob and admins.
    - `other_survivor`: charlie's, at the other agency, on otto's team.
    - `home` (hank's) with one availability change; `other_home` (hilda's).
    - two audit entries on `survivor`'s trail, one on `other_survivor`'s.
    - the workflow's records, each in the state its transition needs (tests/placement/world.py).
    """
    # SurvivorFactory leaves created_by empty, which full_clean (so survivor_update) refuses.
    # Every commitment re-checks the rules: the KS wards may go to other_home in MO.
    survivor.created_by = alice
    survivor.icpc_approved_states = ["MO"]
    survivor.save(update_fields=["created_by", "icpc_approved_states"])
    Home.objects.filter(pk=other_home.pk).update(accepts_out_of_state=True)
    other_home.refresh_from_db()
    other_survivor = SurvivorFactory(
        agency=other_agency,
        team=other_team,
        first_name="Ann",
        created_by=charlie,
        icpc_approved_states=["MO"],
    )
    other_survivor.assigned_workers.add(charlie)
    agency_survivor = SurvivorFactory(agency=agency, team=None, first_name="Mia", created_by=bob)
    home_update_availability(actor=home_admin, home_id=home.pk, available_beds=1)
    change = AvailabilityChange.objects.get(home=home)
    home.refresh_from_db()
    audit_1 = audit_record(
        actor=alice, action="survivor.read", obj=survivor, survivor_id=survivor.pk
    )
    audit_2 = audit_record(actor=bob, action="survivor.read", obj=survivor, survivor_id=survivor.pk)
    audit_record(
        actor=charlie, action="survivor.read", obj=other_survivor, survivor_id=other_survivor.pk
    )
    world = World(
        users={
            "anonymous": None,
            "case_worker_own": alice,
            "case_worker_other": charlie,
            "supervisor_own": bob,
            "supervisor_other": other_supervisor,
            "mdt_own": mdt,
            "mdt_other": mdt_other,
            "home_admin_own": home_admin,
            "home_admin_other": home_admin_other,
            "admin": admin_user,
        },
        objects={
            "survivor": survivor,
            "agency_survivor": agency_survivor,
            "other_survivor": other_survivor,
            "home": home,
            "other_home": other_home,
            "change": change,
            "audit_1": audit_1,
            "audit_2": audit_2,
        },
    )
    add_workflow_records(world.objects, world.users)
    return world
