"""A child's search is kept and audited in one round trip (matching.services.search_record
through audit.services.audit_record_insert): the same search row and the same audit entry
as before, sealed into the chain and verified like any other; and never one without the
other."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from matching.models import MatchSearch
from matching.selectors import match_needs, needs_from_fields, survivor_matching_fields
from matching.services import search_record
from tests.audit.test_chain import seal_everything, verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHECKED = ("actor_id", "actor_username", "action", "object_type", "object_id", "survivor_id",
           "outcome", "before", "ip")  # fmt: skip


def _search(survivor):
    today = timezone.localdate()
    needs = needs_from_fields(survivor_matching_fields(survivor, today=today), today=today)
    return needs, match_needs(needs, limit=20)


def test_the_search_and_its_audit_entry_are_one_statement_and_read_as_before(
    alice, survivor, home, other_home
):
    needs, result = _search(survivor)
    with CaptureQueriesContext(connection) as captured:
        search = search_record(
            actor=alice, survivor=survivor, needs=needs, result=result, ip="203.0.113.7"
        )
    assert len(captured) == 1  # one round trip, atomic as one statement

    stored = MatchSearch.objects.get()
    assert stored.pk == search.pk
    assert (stored.survivor_id, stored.searched_by_id, stored.agency_id) == (
        survivor.pk, alice.pk, survivor.agency_id,
    )  # fmt: skip
    assert stored.feasible_count == result.feasible_count == 1
    assert stored.top_home_ids == [home.pk]
    assert stored.at is not None

    entry = AuditEntry.objects.get(action="survivor.match")
    # The entry audit_record writes for the same read, field for field.
    reference = audit_record(
        actor=alice, action="survivor.match", obj=survivor, survivor_id=survivor.pk,
        after={"search": search.pk, "feasible_count": result.feasible_count}, ip="203.0.113.7",
    )  # fmt: skip
    reference.refresh_from_db()
    for name in CHECKED:
        assert getattr(entry, name) == getattr(reference, name), name
    assert entry.after == reference.after == {"search": search.pk, "feasible_count": 1}
    assert entry.txid is not None and entry.txid != reference.txid  # its own transaction

    seal_everything()
    assert "intact" in verify()


def test_a_search_that_cannot_be_kept_leaves_no_audit_entry_and_no_search(alice, survivor, home):
    needs, result = _search(survivor)
    survivor.agency_id = 999_999  # no such agency: the search row's INSERT fails
    with pytest.raises(IntegrityError):
        search_record(actor=alice, survivor=survivor, needs=needs, result=result)
    assert not MatchSearch.objects.exists()
    assert not AuditEntry.objects.filter(action="survivor.match").exists()
