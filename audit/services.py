from __future__ import annotations

import datetime
import ipaddress
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, Field, OuterRef
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from audit import chain
from audit.models import AuditEntry, AuditSeal, Outcome
from core.committed import committed, mark_committed
from core.types import Actor, RequestUser

logger = logging.getLogger(__name__)


def audit_record(
    *,
    actor: RequestUser | None,
    action: str,
    obj: models.Model | None = None,
    survivor_id: int | None = None,
    outcome: str = Outcome.OK,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one audit entry, synchronously, in the caller's transaction.

    It is never queued: an audit row must not be lost because a broker is down. The
    `seal_audit_trail` task seals it into the hash chain within a minute of its commit,
    off the request (`audit_seal`).
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = _signed_in(actor)
    entry = AuditEntry.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        survivor_id=survivor_id,
        outcome=outcome,
        before=before,
        after=after,
        ip=ip,
    )
    _mark_request_on_commit()
    return entry


def audit_record_insert(
    row: models.Model,
    *,
    key: str,
    actor: RequestUser | None,
    action: str,
    obj: models.Model,
    survivor_id: int | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Insert the new `row` and the audit entry of `actor` doing `action` on `obj` in one
    round trip: on PostgreSQL one statement (a CTE inserting both), atomic by itself; the
    entry's `after` names the new row's id as `key`. The entry is the one `audit_record`
    writes, field for field (tests/audit/test_trail.py); elsewhere it is that, after the
    row's INSERT, in one transaction."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            row.save(force_insert=True)
            return audit_record(
                actor=actor, action=action, obj=obj, survivor_id=survivor_id,
                after={key: row.pk, **(after or {})}, ip=ip,
            )  # fmt: skip
    user = _signed_in(actor)
    entry = AuditEntry(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        survivor_id=survivor_id,
        outcome=Outcome.OK,
        after=after or {},
        ip=ip,
    )
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup a use
    row_params = _insert_values(row, db)
    entry_params = _insert_values(entry, db)
    sql, at = _insert_with_entry_sql(type(row))
    entry_params[at : at + 1] = [entry_params[at], key]
    with db.cursor() as cursor:
        cursor.execute(sql, [*row_params, *entry_params])
        entry.pk, stored_after, entry.txid = cursor.fetchone()
    # As the ORM reads it back (the connection may hand jsonb over as text).
    entry.after = json.loads(stored_after) if isinstance(stored_after, str) else stored_after
    row.pk = entry.after[key]
    row._state.adding, row._state.db = False, connection.alias
    entry._state.adding, entry._state.db = False, connection.alias
    _mark_request_on_commit()
    return entry


def _insert_values(obj: models.Model, db: BaseDatabaseWrapper) -> list[Any]:
    """The values an INSERT of the new `obj` writes (its _insert_fields), as Django's own
    insert prepares them (defaults, auto_now_add, JSON adapted)."""
    return [f.get_db_prep_save(f.pre_save(obj, True), db) for f in _insert_fields(type(obj))]


@cache
def _insert_fields(model: type[models.Model]) -> tuple[Field, ...]:
    meta = model._meta
    return tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)


@cache
def _insert_with_entry_sql(model: type[models.Model]) -> tuple[str, int]:
    """audit_record_insert's statement for a new `model` row (PostgreSQL), written once,
    and where the entry's `after` sits among the entry's values."""
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    row_columns = [qn(str(f.column)) for f in _insert_fields(model)]
    entry_columns = [qn(str(f.column)) for f in _insert_fields(AuditEntry)]
    placeholders = [
        # The new row's id joins `after` in the statement: it is not known before.
        "(%s::jsonb || jsonb_build_object(%s, new_row.id))" if column == qn("after") else "%s"
        for column in entry_columns
    ]
    meta = model._meta
    sql = (
        f"WITH new_row AS (INSERT INTO {qn(meta.db_table)} ({', '.join(row_columns)}) "
        f"VALUES ({', '.join(['%s'] * len(row_columns))}) "
        f"RETURNING {qn(str(meta.pk.column))} AS id) "
        f"INSERT INTO {qn(AuditEntry._meta.db_table)} ({', '.join(entry_columns)}) "
        f"SELECT {', '.join(placeholders)} FROM new_row "
        f'RETURNING "id", "after", "txid"'
    )
    return sql, entry_columns.index(qn("after"))


def _mark_request_on_commit() -> None:
    """Once this change commits, the request serving it is marked as having committed a
    change (core.committed): its answer is then a success even if reading back fails."""
    from audit import context  # it reads this module for the client address

    request = context.current_request()
    if request is not None and not committed(request):
        transaction.on_commit(partial(mark_committed, request))


def audit_record_many(
    *,
    actor: RequestUser,
    action: str,
    objects: Iterable[models.Model],
    outcome: str = Outcome.OK,
    ip: str | None = None,
    survivor_ids: bool = False,
    survivor_of: Callable[[Any], int | None] | None = None,
) -> list[AuditEntry]:
    """One entry per object in a single INSERT (a list page of survivors, say).

    Each entry joins a survivor's trail: with `survivor_ids` the object's own pk (it is
    a survivor), or `survivor_of(obj)`.
    """
    if survivor_ids:
        survivor_of = _own_pk
    user = _signed_in(actor)
    entries = [
        AuditEntry(
            actor=user,
            actor_username=user.get_username() if user is not None else "",
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            survivor_id=survivor_of(obj) if survivor_of else None,
            outcome=outcome,
            ip=ip,
        )
        for obj in objects
    ]
    if not entries:
        return []
    return AuditEntry.objects.bulk_create(entries)


def _signed_in(actor: RequestUser | None) -> Actor | None:
    """The user an entry names: none for the system (None) or an anonymous visitor."""
    return actor if actor is not None and actor.is_authenticated else None


def _own_pk(obj: Any) -> int:
    return obj.pk


def _its_survivor(obj: Any) -> int | None:
    return obj.survivor_id


def audit_refusal(
    *,
    actor: RequestUser,
    action: str,
    object_type: str,
    object_id: int | str | None,
    survivor_id: int | None,
    ip: str | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """The one way a refused attempt (a 404 or a 403) is written to the trail (`after`:
    what else the request named, for a request that names many records at once).

    `survivor_id` links it to a child's trail only when the caller knows the record
    exists, so a probe for an id assigned later never shows in that child's history.
    """
    return audit_record(
        actor=actor,
        action=action,
        outcome=Outcome.DENIED,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        survivor_id=survivor_id,
        ip=ip,
        after=after,
    )


def audit_reads(
    *, actor: RequestUser, objects: Iterable[models.Model], action: str, ip: str | None = None
) -> list[AuditEntry]:
    """One read entry per record shown (one INSERT), each on its survivor's trail: the
    objects carry `survivor_id` (a recommendation, a referral, a placement)."""
    return audit_record_many(
        actor=actor, action=action, objects=objects, ip=ip, survivor_of=_its_survivor
    )


def request_ip(request: HttpRequest | Request | None) -> str | None:
    """The client address for the trail: REMOTE_ADDR, or None when it is not an IP."""
    value = request.META.get("REMOTE_ADDR") if request is not None else None
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# --- The hash chain ------------------------------------------------------------------------

# pg_try_advisory_xact_lock key: one sealer at a time ("audit" in ASCII).
SEAL_LOCK = 0x6175646974
SEAL_BATCH = 1_000


def seal_delay() -> datetime.timedelta:
    """How long after it is written an entry is sealed at the latest (AUDIT_SEAL_DELAY_SECONDS):
    its transaction's length, the sealer's minute and the clocks' skew between hosts."""
    return datetime.timedelta(seconds=settings.AUDIT_SEAL_DELAY_SECONDS)


def audit_seal(*, batches: int | None = None) -> int:
    """Seal every committed entry not yet sealed, and return how many.

    Run by the beat every minute (`seal_audit_trail`), never on a request: nothing a user
    waits for writes the chain, and no write waits for it either (sealing in the writer's
    transaction would serialise every write, behind the bed row locks).

    The order is the entries' own (`at`, then id), never the server's transaction ids,
    which start again from scratch on a server restored from a dump. What the sealer sees
    has committed (READ COMMITTED), so an entry whose transaction commits after a later
    one was sealed is simply sealed next, behind it. Only entries written at most
    `seal_delay()` before the last sealed one are taken (which keeps the query on the
    recent end of the `at` index): an older unsealed entry cannot be a late commit, it is
    an insert backdated behind the sealer's back, and `audit_chain_verify` reports it.

    In batches of SEAL_BATCH, each in its own short transaction (at most `batches`). One
    sealer at a time (PostgreSQL): when another holds the lock this returns at once,
    since that one (or the next run) seals these too.
    """
    sealed = 0
    done = 0
    while batches is None or done < batches:
        count = _seal_batch()
        if count is None:
            break
        sealed += count
        done += 1
        if count < SEAL_BATCH:
            break
    return sealed


def _seal_batch() -> int | None:
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK])
                if not cursor.fetchone()[0]:
                    return None
        last = AuditSeal.objects.order_by("-seq").values("seq", "hash", "entry_id").first()
        unsealed = AuditEntry.objects.filter(
            ~Exists(AuditSeal.objects.filter(entry_id=OuterRef("pk")))
        )
        if last is not None:
            last_at = (
                AuditEntry.objects.filter(pk=last["entry_id"]).values_list("at", flat=True).first()
            )
            if last_at is not None:
                unsealed = unsealed.filter(at__gte=last_at - seal_delay())
        entries = list(unsealed.order_by("at", "id")[:SEAL_BATCH])
        if not entries:
            return 0
        key = chain.chain_keys()[0]
        kid = chain.key_id(key)
        seq, prev = (last["seq"], last["hash"]) if last else (0, chain.GENESIS)
        seals = []
        for entry in entries:
            seq += 1
            digest = chain.link_hash(key=key, seq=seq, prev_hash=prev, entry=entry)
            seals.append(
                AuditSeal(seq=seq, entry_id=entry.pk, prev_hash=prev, hash=digest, key_id=kid)
            )
            prev = digest
        AuditSeal.objects.bulk_create(seals)
        return len(seals)


# --- The chain's head, kept elsewhere --------------------------------------------------

HEAD_LOGGER = "audit.head"


@dataclass(frozen=True)
class ChainHead:
    """The last link of the chain (its seq and hash) as it was at `exported_at`."""

    seq: int
    hash: str
    exported_at: datetime.datetime

    def line(self) -> str:
        return json.dumps(
            {
                "audit_head": {
                    "seq": self.seq,
                    "hash": self.hash,
                    "exported_at": self.exported_at.isoformat(timespec="seconds"),
                }
            },
            separators=(",", ":"),
        )


def audit_head_export() -> ChainHead:
    """Write the chain's head where the database cannot reach it (`AUDIT_HEAD_EXPORT`):
    `log` (a log line on the `audit.head` logger, for the log store) and/or `file:PATH`
    (a JSON line appended). The beat does it every minute, after sealing; `audit_verify`
    compares the chain with these heads, so entries cut off the end with their seals, or
    the tables truncated, no longer pass as "intact". An empty chain exports seq 0."""
    last = AuditSeal.objects.order_by("-seq").values("seq", "hash").first()
    head = ChainHead(
        seq=last["seq"] if last else 0,
        hash=last["hash"] if last else chain.GENESIS,
        exported_at=timezone.now(),
    )
    for target in settings.AUDIT_HEAD_EXPORT:
        if target == "log":
            logging.getLogger(HEAD_LOGGER).info(head.line())
        elif target.startswith("file:"):
            with open(target.removeprefix("file:"), "a", encoding="utf-8") as out:
                out.write(head.line() + "\n")
    return head


def heads_read(lines: Iterable[str]) -> list[ChainHead]:
    """The heads in exported lines: a heads file, or log lines (anything before the JSON,
    such as a timestamp, is skipped; other lines are ignored)."""
    heads = []
    for line in lines:
        start = line.find('{"audit_head"')
        if start < 0:
            continue
        try:
            data = json.loads(line[start:])["audit_head"]
            heads.append(
                ChainHead(
                    seq=int(data["seq"]),
                    hash=str(data["hash"]),
                    exported_at=datetime.datetime.fromisoformat(data["exported_at"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return heads


def heads_exported() -> list[ChainHead]:
    """The heads in the files `AUDIT_HEAD_EXPORT` writes (none for a log-only export)."""
    heads: list[ChainHead] = []
    for target in settings.AUDIT_HEAD_EXPORT:
        if target.startswith("file:"):
            try:
                with open(target.removeprefix("file:"), encoding="utf-8") as lines:
                    heads += heads_read(lines)
            except FileNotFoundError:
                continue
    return heads


@dataclass(frozen=True)
class ChainBreak:
    """The first link that does not hold."""

    seq: int
    entry_id: int | None
    # "changed": the entry differs from what was sealed (or the seal was forged);
    # "missing": the sealed entry is gone; "seal_missing": a seal was removed;
    # "out_of_order": a seal does not follow the one before (inserted or replaced);
    # "backdated": the entry is dated well before an entry sealed ahead of it.
    problem: str
    detail: str = ""

    def __str__(self) -> str:
        where = f"seq {self.seq}" + (f" (entry {self.entry_id})" if self.entry_id else "")
        return {
            "changed": f"{where}: the entry is not what was sealed (changed, or the seal "
            "forged, or AUDIT_CHAIN_KEY is not the key it was sealed with)",
            "missing": f"{where}: the sealed entry is missing (deleted)",
            "seal_missing": f"{where}: the seal is missing (removed, with its entry)",
            "out_of_order": f"{where}: the seal does not follow the one before it "
            "(a seal was inserted, replaced or removed)",
            "backdated": f"{where}: the entry is dated {self.detail}, before entries sealed "
            "ahead of it (an insert backdated behind the sealer's back)",
        }[self.problem]


@dataclass(frozen=True)
class MissingKey:
    """Seals made with a key AUDIT_CHAIN_KEY no longer lists: not tampering, a key dropped
    too early (or a forged key id)."""

    key_id: str
    first_seq: int
    last_seq: int
    count: int

    def __str__(self) -> str:
        seqs = f"seq {self.first_seq}" + (
            f" to {self.last_seq}" if self.last_seq != self.first_seq else ""
        )
        return (
            f"{self.count} seal(s) ({seqs}) were made with chain key {self.key_id}, which "
            "AUDIT_CHAIN_KEY does not list: add that key back (after the newest) to verify them"
        )


@dataclass(frozen=True)
class ChainReport:
    sealed: int
    unsealed: int
    head_seq: int | None
    head_hash: str | None
    broken: ChainBreak | None
    # Entries written longer than seal_delay() ago and still not sealed: the sealer has
    # stopped, or they were inserted behind its back.
    overdue: int = 0
    oldest_overdue: tuple[int, datetime.datetime] | None = None
    missing_keys: tuple[MissingKey, ...] = ()
    key_ids: tuple[str, ...] = ()
    # Exported heads the chain no longer reaches, or reaches with another hash.
    heads_checked: int = 0
    heads_lost: tuple[str, ...] = ()

    @property
    def problems(self) -> list[str]:
        """Everything that makes `audit_verify` fail, in words an operator can act on."""
        found = []
        if self.broken is not None:
            found.append(
                f"Audit chain broken at {self.broken} ({self.sealed} entries before it verified)."
            )
        for missing in self.missing_keys:
            found.append(
                f"Chain key missing: {missing} (the keys listed have ids "
                f"{', '.join(self.key_ids)})."
            )
        found += self.heads_lost
        if self.oldest_overdue is not None:
            entry_id, at = self.oldest_overdue
            found.append(
                f"{self.overdue} entries written more than "
                f"{settings.AUDIT_SEAL_DELAY_SECONDS} s ago are not sealed (the oldest: entry "
                f"{entry_id}, dated {at.isoformat(timespec='seconds')}): the sealer (Celery "
                "beat's seal-audit-trail) is not running, or they were inserted behind its back."
            )
        return found


def audit_chain_verify(
    *, page: int = 2_000, heads: Iterable[ChainHead] | None = None
) -> ChainReport:
    """Walk the chain in `seq` order recomputing every link; stop at the first break.

    Seals first what can be sealed. Each link is checked with the key its seal names (a
    seal naming a key no longer configured is reported as a missing key, and the walk
    goes on), and each entry's time against the seal order: an entry dated more than
    `seal_delay()` before one sealed ahead of it was not written when it says. Entries
    removed together with their seals at the very end of the chain leave no gap to find:
    the heads exported elsewhere (`heads`, by default those of `heads_exported()`) do,
    each of which the chain must still reach with the same hash.
    """
    audit_seal()
    given = list(heads_exported() if heads is None else heads)
    exported = {head.seq: head for head in given}
    keys = chain.keyring()
    unlabelled = list(keys.values())
    tolerance = seal_delay()
    expected, prev, verified = 1, chain.GENESIS, 0
    latest: datetime.datetime | None = None
    broken = None
    missing: dict[str, list[int]] = {}
    lost: list[str] = []
    while broken is None:
        seals = list(AuditSeal.objects.filter(seq__gte=expected).order_by("seq")[:page])
        if not seals:
            break
        entries = AuditEntry.objects.in_bulk([seal.entry_id for seal in seals])
        for seal in seals:
            entry = entries.get(seal.entry_id)
            if seal.seq != expected:
                broken = ChainBreak(seq=expected, entry_id=None, problem="seal_missing")
            elif seal.prev_hash != prev:
                broken = ChainBreak(seq=seal.seq, entry_id=seal.entry_id, problem="out_of_order")
            elif entry is None:
                broken = ChainBreak(seq=seal.seq, entry_id=seal.entry_id, problem="missing")
            elif seal.key_id and seal.key_id not in keys:
                missing.setdefault(seal.key_id, []).append(seal.seq)
            elif not chain.link_holds(
                keys=[keys[seal.key_id]] if seal.key_id else unlabelled,
                seq=seal.seq,
                prev_hash=prev,
                entry=entry,
                digest=seal.hash,
            ):
                broken = ChainBreak(seq=seal.seq, entry_id=seal.entry_id, problem="changed")
            elif latest is not None and entry.at < latest - tolerance:
                broken = ChainBreak(
                    seq=seal.seq,
                    entry_id=seal.entry_id,
                    problem="backdated",
                    detail=entry.at.isoformat(timespec="seconds"),
                )
            if broken is not None:
                break
            if entry is not None and (latest is None or entry.at > latest):
                latest = entry.at
            checked = not (seal.key_id and seal.key_id not in keys)
            head = exported.get(seal.seq)
            if head is not None and head.hash != seal.hash:
                lost.append(
                    f"Seal seq {seal.seq} is not the one exported as the head at "
                    f"{head.exported_at.isoformat(timespec='seconds')}: the chain was "
                    "rewritten from there on."
                )
            expected, prev, verified = seal.seq + 1, seal.hash, verified + checked
    not_sealed = AuditEntry.objects.filter(
        ~Exists(AuditSeal.objects.filter(entry_id=OuterRef("pk")))
    )
    overdue = not_sealed.filter(at__lt=timezone.now() - tolerance).order_by("at", "id")
    oldest = overdue.values_list("pk", "at").first()
    reached = expected - 1
    if broken is None:
        beyond = [head for head in exported.values() if head.seq > reached]
        if beyond:
            furthest = max(beyond, key=lambda head: head.seq)
            lost.append(
                f"Entries removed from the end of the trail: the head exported at "
                f"{furthest.exported_at.isoformat(timespec='seconds')} is seq {furthest.seq}, "
                f"and the chain now ends at seq {reached} (entries deleted with their "
                "seals, or the tables truncated)."
            )
    return ChainReport(
        sealed=verified,
        unsealed=not_sealed.count(),
        head_seq=expected - 1 if verified else None,
        head_hash=prev if verified else None,
        broken=broken,
        overdue=overdue.count() if oldest else 0,
        oldest_overdue=oldest,
        missing_keys=tuple(
            MissingKey(key_id=k, first_seq=seqs[0], last_seq=seqs[-1], count=len(seqs))
            for k, seqs in missing.items()
        ),
        key_ids=tuple(keys),
        heads_checked=len(given),
        heads_lost=tuple(lost),
    )
