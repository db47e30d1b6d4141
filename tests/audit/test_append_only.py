"""The audit tables refuse UPDATE and DELETE in the database itself (issue 12, finding 5:
"append-only only inside the Django admin")."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from audit.chain import GENESIS
from audit.models import AuditEntry, AuditSeal
from audit.services import audit_record

pytestmark = pytest.mark.postgres


def refused(sql: str, params: list) -> str:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(caught.value)


def test_it_refuses_a_raw_update_or_delete_of_an_entry(db):
    entry = audit_record(actor=None, action="home.availability", after={"available_beds": 2})

    assert "append-only" in refused(
        "UPDATE audit_auditentry SET after = '{\"available_beds\": 9}' WHERE id = %s", [entry.pk]
    )
    assert "append-only" in refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])

    entry.refresh_from_db()
    assert entry.after == {"available_beds": 2}


def test_it_refuses_the_orms_update_and_delete(db):
    entry = audit_record(actor=None, action="home.availability", after={"available_beds": 2})

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="nothing.happened")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.after = {"available_beds": 9}
        entry.save()

    assert AuditEntry.objects.filter(
        pk=entry.pk, action="home.availability", after={"available_beds": 2}
    ).exists()


def test_it_refuses_changing_or_removing_a_seal(db):
    entry = audit_record(actor=None, action="home.availability")
    seal = AuditSeal.objects.create(seq=1, entry=entry, prev_hash=GENESIS, hash="a" * 64)

    assert "append-only" in refused(
        "UPDATE audit_auditseal SET hash = %s WHERE id = %s", ["b" * 64, seal.pk]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditSeal.objects.filter(pk=seal.pk).delete()

    assert AuditSeal.objects.get(pk=seal.pk).hash == "a" * 64


def test_it_stamps_each_entry_with_its_transaction_whatever_the_insert_says(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        (ours,) = cursor.fetchone()
    forged = AuditEntry.objects.create(action="home.availability", txid=1)

    assert AuditEntry.objects.get(pk=forged.pk).txid == ours


@pytest.mark.django_db(transaction=True)
def test_it_still_lets_the_test_framework_flush_the_tables():
    """TRUNCATE is not a row operation: the flush between transactional tests works."""
    entry = AuditEntry.objects.create(action="home.availability")
    AuditSeal.objects.create(seq=1, entry=entry, prev_hash=GENESIS, hash="a" * 64)

    call_command("flush", interactive=False, verbosity=0)

    assert (AuditEntry.objects.count(), AuditSeal.objects.count()) == (0, 0)
