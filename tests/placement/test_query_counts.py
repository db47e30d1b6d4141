"""Workflow lists run the same number of queries for 3 rows as for 30 (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import recommend, referred

pytestmark = pytest.mark.postgres


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def test_it_lists_referrals_in_constant_queries(alice, mdt, home_admin, team, home, api):
    def add(n):
        for _ in range(n):
            survivor = SurvivorFactory(agency=alice.agency, team=team)
            survivor.assigned_workers.add(alice)
            referred(alice, mdt, survivor, home)

    client = api(home_admin)
    client.get("/api/v1/referrals/")  # warm up: content types are cached after the first
    add(3)
    few = queries(client, "/api/v1/referrals/")
    add(27)
    many = queries(client, "/api/v1/referrals/")
    assert client.get("/api/v1/referrals/").json()["count"] == 30
    assert few == many


def test_it_lists_recommendations_in_constant_queries(alice, mdt, survivor, api):
    from placement.services import review_create

    def add(n):
        for _ in range(n):
            recommendation = recommend(alice, survivor, HomeFactory())
            review_create(actor=mdt, recommendation_id=recommendation.pk, decision="approve")

    client = api(alice)
    path = f"/api/v1/survivors/{survivor.pk}/recommendations/"
    add(3)
    few = queries(client, path)
    add(27)
    many = queries(client, path)
    assert few == many
