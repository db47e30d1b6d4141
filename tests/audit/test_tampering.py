"""Issue 29, finding 3: three tamperings audit_verify called "chain intact" (exit 0):
the last 5 entries deleted with their seals, TRUNCATE, and a forged INSERT backdated 30
days (which the sealer then sealed as genuine). Each now fails verification, by the
heads the beat exports out of the database and by entry times against the seal order."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from audit import chain
from audit.models import AuditEntry, AuditSeal
from audit.services import HEAD_LOGGER, audit_record
from audit.tasks import seal_audit_trail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIGGERS = [
    ("audit_auditentry", "audit_auditentry_append_only"),
    ("audit_auditseal", "audit_auditseal_append_only"),
]


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify", *args, stdout=StringIO())
    return str(caught.value)


@pytest.fixture
def heads_file(settings, tmp_path) -> Path:
    path = tmp_path / "audit-heads.jsonl"
    settings.AUDIT_HEAD_EXPORT = ["log", f"file:{path}"]
    return path


@pytest.fixture
def trail(heads_file) -> list[AuditEntry]:
    """Eight entries, sealed by the beat's task, which exports the head."""
    entries = [
        audit_record(actor=None, action="home.availability", object_id=str(n)) for n in range(8)
    ]
    assert seal_audit_trail.apply().get() == 8
    return entries


@pytest.fixture
def superuser() -> Iterator[None]:
    for table, trigger in TRIGGERS:
        execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        for table, trigger in TRIGGERS:
            execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def test_it_exports_the_head_and_passes_an_untouched_trail(trail, heads_file, caplog):
    head = AuditSeal.objects.order_by("-seq").first()
    with caplog.at_level(logging.INFO, logger=HEAD_LOGGER):
        seal_audit_trail.apply().get()

    exported = [json.loads(line)["audit_head"] for line in heads_file.read_text().splitlines()]
    assert [(h["seq"], h["hash"]) for h in exported] == [(8, head.hash)] * 2
    assert f'"seq":8,"hash":"{head.hash}"' in caplog.text
    out = verify()
    assert "8 entries, chain intact (0 not yet sealed)." in out
    assert "2 exported heads reached." in out


def test_it_fails_when_the_last_five_entries_are_deleted_with_their_seals(trail, superuser):
    cut = [entry.pk for entry in trail[-5:]]
    execute("DELETE FROM audit_auditseal WHERE entry_id = ANY(%s)", [cut])
    execute("DELETE FROM audit_auditentry WHERE id = ANY(%s)", [cut])

    message = verify_fails()

    assert "Entries removed from the end of the trail" in message
    assert "is seq 8, and the chain now ends at seq 3" in message


def test_it_fails_after_truncate(trail):
    execute("TRUNCATE audit_auditentry, audit_auditseal")

    message = verify_fails()

    assert "the chain now ends at seq 0" in message
    assert "or the tables truncated" in message


def test_it_fails_on_heads_collected_from_the_logs(trail, settings, tmp_path, caplog, superuser):
    settings.AUDIT_HEAD_EXPORT = ["log"]
    with caplog.at_level(logging.INFO, logger=HEAD_LOGGER):
        seal_audit_trail.apply().get()
    logs = tmp_path / "harbor.log"
    (line,) = [r.getMessage() for r in caplog.records if r.name == HEAD_LOGGER]
    logs.write_text(f"2026-12-07T14:00:00Z INFO audit.head {line}\nother lines\n")
    cut = [entry.pk for entry in trail[-5:]]
    execute("DELETE FROM audit_auditseal WHERE entry_id = ANY(%s)", [cut])
    execute("DELETE FROM audit_auditentry WHERE id = ANY(%s)", [cut])

    assert "the chain now ends at seq 3" in verify_fails("--heads", str(logs))


def test_it_refuses_to_seal_a_forged_insert_backdated_30_days_and_fails(trail):
    """An INSERT needs no superuser. The sealer no longer seals it as genuine: an entry
    dated long before the last sealed one cannot be a late commit."""
    execute(
        "INSERT INTO audit_auditentry (at, actor_username, action, object_type, object_id, "
        "outcome) VALUES (now() - interval '30 days', 'bob', 'survivor.read', "
        "'survivors.survivor', '7', 'ok')"
    )
    forged = AuditEntry.objects.get(actor_username="bob")

    seal_audit_trail.apply().get()
    message = verify_fails()

    assert not AuditSeal.objects.filter(entry_id=forged.pk).exists()
    assert f"are not sealed (the oldest: entry {forged.pk}" in message
    assert f"entry {forged.pk}" in message


def test_it_fails_on_a_backdated_entry_sealed_as_genuine(trail):
    """A trail whose sealer took one in (today's main did): its time against the seal
    order gives it away."""
    forged = AuditEntry.objects.create(action="survivor.read", at=timezone.now() - timedelta(30))
    forged.refresh_from_db()
    head = AuditSeal.objects.order_by("-seq").first()
    key = chain.chain_keys()[0]
    digest = chain.link_hash(key=key, seq=9, prev_hash=head.hash, entry=forged)
    AuditSeal.objects.create(
        seq=9, entry=forged, prev_hash=head.hash, hash=digest, key_id=chain.key_id(key)
    )

    message = verify_fails()

    assert f"seq 9 (entry {forged.pk}): the entry is dated" in message
    assert "an insert backdated behind the sealer's back" in message
