"""List endpoints run the same number of queries for 3 rows as for 30 (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.services import audit_record
from homes.services import home_update_availability
from tests.factories import HomeFactory, SurvivorFactory, UserFactory

pytestmark = pytest.mark.postgres


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def grow(add, client, path: str) -> tuple[int, int]:
    add(3)
    few = count_queries(client, path)
    add(27)
    many = count_queries(client, path)
    assert client.get(path).json()["count"] == 30
    return few, many


def test_it_lists_homes_in_constant_queries(admin_user, client_for):
    editors = iter(UserFactory.create_batch(30, role="home_admin"))

    def add(n):
        for _ in range(n):
            home = HomeFactory()
            home_update_availability(actor=next(editors), home_id=home.pk, staff_on_duty=3)

    few, many = grow(add, client_for(admin_user), "/api/v1/homes/")
    assert few == many


def test_it_lists_survivors_in_constant_queries(bob, team, client_for):
    workers = UserFactory.create_batch(3, role="case_worker", agency=bob.agency)

    def add(n):
        for _ in range(n):
            survivor = SurvivorFactory(agency=bob.agency, team=team)
            survivor.assigned_workers.add(*workers)

    few, many = grow(add, client_for(bob), "/api/v1/survivors/")
    assert few == many


def test_it_lists_availability_history_in_constant_queries(home, admin_user, client_for):
    editors = iter(UserFactory.create_batch(30, role="home_admin"))

    def add(n):
        for _ in range(n):
            home_update_availability(actor=next(editors), home_id=home.pk, staff_on_duty=n)

    path = f"/api/v1/homes/{home.pk}/availability/history/"
    few, many = grow(add, client_for(admin_user), path)
    assert few == many


def test_it_lists_the_audit_trail_in_constant_queries(survivor, bob, client_for):
    readers = iter(UserFactory.create_batch(30, role="supervisor", agency=bob.agency))

    def add(n):
        for _ in range(n):
            audit_record(
                actor=next(readers), action="survivor.read", obj=survivor, survivor_id=survivor.pk
            )

    client = client_for(bob)
    path = f"/api/v1/audit/?survivor={survivor.pk}"
    add(3)
    few = count_queries(client, path)
    add(27)
    many = count_queries(client, path)
    assert few == many
