"""A child's search reads her record with SQL written once (survivors.selectors
.survivor_get with `fields`), not the ORM's visible_to query: whoever may or may not see
her, it finds exactly the records visible_to finds, with the same values."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matching.selectors import SEARCH_FIELDS
from survivors.models import Survivor
from survivors.selectors import survivor_get
from tests.factories import SurvivorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def children(survivor, charlie, agency, other_agency, other_team):
    """Alice's child (her agency and team); Charlie's in the other agency and team; one
    of Alice's agency nobody is assigned to and on no team."""
    charlies = SurvivorFactory(agency=other_agency, team=other_team, residence_zip="63101")
    charlies.assigned_workers.add(charlie)
    unassigned = SurvivorFactory(agency=agency, team=None, date_of_birth=None, estimated_age=14)
    return [survivor, charlies, unassigned]


def _users(request, agency, team) -> list:
    named = [
        request.getfixturevalue(name)
        for name in (
            "alice", "bob", "charlie", "other_supervisor", "mdt", "mdt_other",
            "admin_user", "home_admin",
        )
    ]  # fmt: skip
    return [
        *named,
        UserFactory(username="gone", role="case_worker", agency=agency, is_active=False),
        UserFactory(username="nobody_sup", role="supervisor", agency=None),
        UserFactory(username="teamless", role="mdt_member", team=None),
        UserFactory(username="plain_admin", role="admin", agency=agency),
        AnonymousUser(),
    ]


def test_it_finds_what_visible_to_finds_for_every_role(request, children, agency, team):
    assert connection.vendor == "postgresql"
    seers = set()
    for user in _users(request, agency, team):
        for child in children:
            expected = Survivor.objects.visible_to(user).filter(pk=child.pk).exists()
            found = survivor_get(user=user, survivor_id=child.pk, fields=SEARCH_FIELDS)
            assert (found is not None) == expected, (getattr(user, "username", "anon"), child)
            if found is not None:
                seers.add(user.username)
    # Each way of seeing a child was tried: assigned, the agency's supervisor, the team's
    # MDT member, an administrator.
    assert {"alice", "bob", "charlie", "olga", "mona", "otto", "root"} <= seers
    assert not {"hank", "gone", "nobody_sup", "teamless"} & seers
    alice = request.getfixturevalue("alice")
    assert survivor_get(user=alice, survivor_id=10**9, fields=SEARCH_FIELDS) is None


def test_it_reads_the_same_values_and_defers_the_rest(alice, survivor):
    survivor.exclusion_zones = [{"zip_code": "66102", "radius_miles": 5}]
    survivor.services_needed = ["counseling"]
    survivor.save()
    orm = Survivor.objects.visible_to(alice).filter(pk=survivor.pk).only(*SEARCH_FIELDS).first()

    with CaptureQueriesContext(connection) as queries:
        read = survivor_get(user=alice, survivor_id=survivor.pk, fields=SEARCH_FIELDS)
        values = {name: getattr(read, name) for name in [*SEARCH_FIELDS[:-1], "agency_id", "pk"]}

    assert len(queries) == 1  # nothing read lazily afterwards
    assert values == {name: getattr(orm, name) for name in values}
    assert read.get_deferred_fields() == orm.get_deferred_fields()
    assert "first_name" in read.get_deferred_fields()
    assert read.residence_zip == "66101"
    assert read.exclusion_zones == [{"zip_code": "66102", "radius_miles": 5}]
    assert isinstance(read.date_of_birth, datetime.date)
    assert read._state.adding is False and read._state.db == "default"
