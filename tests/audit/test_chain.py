"""The hash chain over the trail and `manage.py audit_verify` (issue 12, finding 5).

The sealer runs off the request (the beat, every minute); `seal_everything` seals until
nothing committed is left.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import CHAINED_FIELDS, GENESIS, canonical, key_id
from audit.models import AuditEntry, AuditSeal
from audit.services import SEAL_LOCK, audit_record, audit_record_many, audit_seal
from audit.tasks import seal_audit_trail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIGGERS = [
    ("audit_auditentry", "audit_auditentry_append_only"),
    ("audit_auditseal", "audit_auditseal_append_only"),
]


def seal_everything(seal=audit_seal, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        seal()
        if not AuditEntry.objects.filter(seal__isnull=True).exists():
            return
        assert time.monotonic() < deadline, "committed entries left unsealed"
        time.sleep(0.1)


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def verify_fails() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify", stdout=StringIO())
    return str(caught.value)


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def trail() -> list[AuditEntry]:
    """Four committed, sealed entries, each in its own transaction."""
    entries = [
        audit_record(
            actor=None, action="home.availability", object_type="homes.home",
            object_id=str(n), after={"available_beds": n, "note": "Zoë's bed", "ratio": 0.1},
            ip="192.0.2.1",
        )
        for n in range(4)
    ]  # fmt: skip
    seal_everything()
    return entries


@pytest.fixture
def superuser() -> Iterator[None]:
    """Someone who can switch the append-only triggers off (a database superuser)."""
    for table, trigger in TRIGGERS:
        execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        for table, trigger in TRIGGERS:
            execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def test_it_chains_every_committed_entry_and_says_the_chain_is_intact(trail):
    seals = list(AuditSeal.objects.order_by("seq"))

    assert [(s.seq, s.entry_id) for s in seals] == [(n + 1, e.pk) for n, e in enumerate(trail)]
    assert [s.prev_hash for s in seals] == [GENESIS] + [s.hash for s in seals[:-1]]
    out = verify()
    assert "4 entries, chain intact (0 not yet sealed)." in out
    assert f"Head: seq 4, hash {seals[-1].hash}." in out


@contextmanager
def sealer_busy() -> Iterator[None]:
    """Another sealer (the beat's) holds the sealing lock meanwhile."""
    holding, release = threading.Event(), threading.Event()

    def other_sealer() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sealer)
    thread.start()
    try:
        assert holding.wait(30)
        yield
    finally:
        release.set()
        thread.join()


def test_it_counts_entries_not_yet_sealed_and_passes_while_they_are_recent(trail):
    with sealer_busy():
        audit_record(actor=None, action="home.availability")
        out = verify()

    assert "4 entries, chain intact (1 not yet sealed)." in out


def test_it_fails_when_an_entry_stays_unsealed_longer_than_the_delay(trail, settings):
    """A stopped sealer (beat down) shows: verification fails, naming the sealer, instead
    of "chain intact (32 not yet sealed)" (issue 27, a restore that stopped sealing)."""
    old = timezone.now() - timedelta(seconds=settings.AUDIT_SEAL_DELAY_SECONDS + 60)
    with sealer_busy():
        late = AuditEntry.objects.create(action="home.availability", at=old)
        message = verify_fails()

    assert f"1 entries written more than {settings.AUDIT_SEAL_DELAY_SECONDS} s ago" in message
    assert f"entry {late.pk}" in message
    assert "seal-audit-trail" in message


def test_it_seals_an_entry_committed_late_after_those_sealed_before_its_commit():
    """An entry whose transaction is still open when a later one commits is not passed
    over: the later one is sealed at once, and the late one next, once it commits."""
    started, release, slow = threading.Event(), threading.Event(), {}

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                slow["entry"] = audit_record(actor=None, action="referral.accept")
                started.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert started.wait(30)
        quick = audit_record(actor=None, action="home.availability")  # commits at once
        audit_seal()
        assert list(AuditSeal.objects.values_list("entry_id", flat=True)) == [quick.pk]
    finally:
        release.set()
        thread.join()

    seal_everything()
    order = list(AuditSeal.objects.order_by("seq").values_list("entry_id", flat=True))
    assert order == [quick.pk, slow["entry"].pk]
    assert "2 entries, chain intact" in verify()


def test_it_reports_an_entry_changed_behind_the_triggers_back(trail, superuser):
    execute(
        "UPDATE audit_auditentry SET after = '{\"available_beds\": 9}' WHERE id = %s",
        [trail[2].pk],
    )

    message = verify_fails()

    assert f"seq 3 (entry {trail[2].pk}): the entry is not what was sealed" in message
    assert "2 entries before it verified" in message


def test_it_reports_a_deleted_entry(trail, superuser):
    execute("DELETE FROM audit_auditentry WHERE id = %s", [trail[1].pk])

    message = verify_fails()

    assert f"seq 2 (entry {trail[1].pk}): the sealed entry is missing" in message


def test_it_reports_an_entry_deleted_with_its_seal(trail, superuser):
    execute("DELETE FROM audit_auditseal WHERE entry_id = %s", [trail[1].pk])
    execute("DELETE FROM audit_auditentry WHERE id = %s", [trail[1].pk])

    message = verify_fails()

    assert "seq 2: the seal is missing" in message


def test_it_reports_a_forged_seal_on_a_forged_entry(trail):
    """Inserting needs no superuser: a forged entry with a seal computed as a forger
    would (SHA-256, without the chain's key) is caught at its link."""
    head = AuditSeal.objects.order_by("-seq").first()
    with transaction.atomic():
        forged = AuditEntry.objects.create(action="audit.read", actor_username="bob")
        forged.refresh_from_db()
        digest = hashlib.sha256(canonical(forged, 5, head.hash)).hexdigest()
        AuditSeal.objects.create(seq=5, entry=forged, prev_hash=head.hash, hash=digest)

    message = verify_fails()

    assert f"seq 5 (entry {forged.pk}): the entry is not what was sealed" in message
    assert "4 entries before it verified" in message


def test_it_reports_a_seal_slipped_in_out_of_order(trail, superuser):
    execute("UPDATE audit_auditseal SET prev_hash = %s WHERE seq = 3", [GENESIS])

    message = verify_fails()

    assert f"seq 3 (entry {trail[2].pk}): the seal does not follow the one before it" in message


def test_it_verifies_with_the_sealing_key_or_an_older_one_kept(settings):
    """The chain is keyed: a forger without the key cannot recompute it, and a key
    rotation keeps the old key (second in AUDIT_CHAIN_KEY) for the old links."""
    settings.AUDIT_CHAIN_KEYS = ["the-first-key"]
    first = audit_record(actor=None, action="home.availability")
    seal_everything()
    settings.AUDIT_CHAIN_KEYS = ["a-rotated-key", "the-first-key"]
    audit_record(actor=None, action="home.availability")
    seal_everything()

    assert "2 entries, chain intact" in verify()

    settings.AUDIT_CHAIN_KEYS = ["a-rotated-key"]
    message = verify_fails()
    assert "broken" not in message
    assert (
        f"1 seal(s) (seq 1) were made with chain key {key_id(b'the-first-key')}, which "
        "AUDIT_CHAIN_KEY does not list" in message
    )
    assert f"the keys listed have ids {key_id(b'a-rotated-key')}" in message
    assert first.pk


def test_it_still_reports_a_changed_entry_sealed_under_a_named_key(trail, superuser, settings):
    execute("UPDATE audit_auditentry SET action = 'nothing.happened' WHERE id = %s", [trail[0].pk])

    assert f"seq 1 (entry {trail[0].pk}): the entry is not what was sealed" in verify_fails()


def test_it_lets_one_sealer_work_at_a_time():
    AuditEntry.objects.bulk_create([AuditEntry(action="home.import.update")])
    with sealer_busy():
        assert audit_seal() == 0
        assert not AuditSeal.objects.exists()
    seal_everything()
    assert AuditSeal.objects.count() == 1


def test_it_has_the_beat_task_seal_entries_no_request_sealed():
    """A bulk insert (the directory import's) seals nothing itself: the minute task does."""
    imported = AuditEntry.objects.bulk_create(
        [AuditEntry(action="home.import.update", object_id=str(n)) for n in range(3)]
    )
    assert not AuditSeal.objects.exists()

    seal_everything(seal=lambda: seal_audit_trail.apply().get())

    assert sorted(AuditSeal.objects.values_list("entry_id", flat=True)) == [e.pk for e in imported]
    beat = settings.CELERY_BEAT_SCHEDULE["seal-audit-trail"]
    assert (beat["task"], beat["schedule"].total_seconds()) == ("audit.tasks.seal_audit_trail", 60)


def test_it_leaves_sealing_off_the_request(client, alice, django_capture_on_commit_callbacks):
    """Issue 30: sealing took 8 of a search's 32 ms; the beat seals instead, so a
    request that writes entries queues no sealing and leaves them for the minute task."""
    client.force_login(alice)
    with django_capture_on_commit_callbacks() as callbacks:
        audit_record(actor=alice, action="home.availability")
        audit_record_many(actor=alice, action="survivor.read", objects=[alice])
    assert callbacks == []
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.exists() and not AuditSeal.objects.exists()


def test_it_chains_every_field_of_an_entry():
    assert set(CHAINED_FIELDS) == {f.attname for f in AuditEntry._meta.concrete_fields}
