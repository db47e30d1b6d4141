from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from rest_framework.request import Request

from audit import chain, context
from audit.models import AuditEntry, AuditSeal, Outcome
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

    It is never queued: an audit row must not be lost because a broker is down. Once
    the transaction commits, the entry is sealed into the hash chain (best effort: the
    `seal_audit_trail` task catches up every minute).
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
    _seal_after_commit()
    return entry


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
    created = AuditEntry.objects.bulk_create(entries)
    _seal_after_commit()
    return created


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
# Every transaction below the snapshot's xmin is over (committed or rolled back).
_FINISHED_BELOW = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
_REQUEST_FLAG = "_harbor_audit_seal_due"


def _seal_after_commit() -> None:
    """Seal once the caller's transaction commits: one callback per transaction, and
    inside a request once per request (`AuditMiddleware` seals after the view)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is _seal_committed for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_seal_committed)


def _seal_committed() -> None:
    request = context.current_request()
    if request is not None:
        setattr(request, _REQUEST_FLAG, True)
        return
    audit_seal_quietly()


def seal_due(request: HttpRequest) -> bool:
    """Whether this request committed audit entries (and clears the mark)."""
    return bool(request.__dict__.pop(_REQUEST_FLAG, False))


def audit_seal_quietly() -> None:
    """`audit_seal` after a commit: a failure is logged, never raised at the user,
    whose action is already committed (the beat task seals the rest)."""
    try:
        audit_seal(batches=1)
    except Exception:
        logger.exception("Sealing the audit trail failed; the beat task will retry.")


def audit_seal(*, batches: int | None = None) -> int:
    """Seal every entry whose transaction has finished, and return how many.

    PostgreSQL: only entries whose transaction id is below the snapshot's xmin, so an
    entry can never commit later below one already sealed; in (txid, id) order, in
    batches of SEAL_BATCH, each in its own short transaction (at most `batches`). One
    sealer at a time: when another holds the lock this returns at once, since that
    one (or the next run) seals these too. SQLite (one writer): every visible entry.

    Sealing happens after commit and never inside a writing transaction, so no write
    waits for the chain (which would serialise them all, behind the bed row locks).
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
        postgres = connection.vendor == "postgresql"
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK])
                if not cursor.fetchone()[0]:
                    return None
        last = AuditSeal.objects.order_by("-seq").values("seq", "hash", "entry_id").first()
        unsealed = AuditEntry.objects.filter(
            ~Exists(AuditSeal.objects.filter(entry_id=OuterRef("pk")))
        )
        if postgres:
            unsealed = unsealed.filter(txid__lt=RawSQL(_FINISHED_BELOW, [])).order_by("txid", "id")
            # Every entry below the last sealed one's transaction is sealed already.
            floor = None
            if last is not None:
                floor = (
                    AuditEntry.objects.filter(pk=last["entry_id"])
                    .values_list("txid", flat=True)
                    .first()
                )
            if floor is not None:
                unsealed = unsealed.filter(txid__gte=floor)
        else:
            unsealed = unsealed.order_by("id")
            if last is not None:
                unsealed = unsealed.filter(pk__gt=last["entry_id"])
        entries = list(unsealed[:SEAL_BATCH])
        if not entries:
            return 0
        key = chain.chain_keys()[0]
        seq, prev = (last["seq"], last["hash"]) if last else (0, chain.GENESIS)
        seals = []
        for entry in entries:
            seq += 1
            digest = chain.link_hash(key=key, seq=seq, prev_hash=prev, entry=entry)
            seals.append(AuditSeal(seq=seq, entry_id=entry.pk, prev_hash=prev, hash=digest))
            prev = digest
        AuditSeal.objects.bulk_create(seals)
        return len(seals)


@dataclass(frozen=True)
class ChainBreak:
    """The first link that does not hold."""

    seq: int
    entry_id: int | None
    # "changed": the entry differs from what was sealed (or the seal was forged);
    # "missing": the sealed entry is gone; "seal_missing": a seal was removed;
    # "out_of_order": a seal does not follow the one before (inserted or replaced).
    problem: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" + (f" (entry {self.entry_id})" if self.entry_id else "")
        return {
            "changed": f"{where}: the entry is not what was sealed (changed, or the seal "
            "forged, or AUDIT_CHAIN_KEY is not the key it was sealed with)",
            "missing": f"{where}: the sealed entry is missing (deleted)",
            "seal_missing": f"{where}: the seal is missing (removed, with its entry)",
            "out_of_order": f"{where}: the seal does not follow the one before it "
            "(a seal was inserted, replaced or removed)",
        }[self.problem]


@dataclass(frozen=True)
class ChainReport:
    sealed: int
    unsealed: int
    head_seq: int | None
    head_hash: str | None
    broken: ChainBreak | None


def audit_chain_verify(*, page: int = 2_000) -> ChainReport:
    """Walk the chain in `seq` order recomputing every link; stop at the first break.

    Seals first what can be sealed. Entries removed together with their seals at the
    very end of the chain leave no gap to find: compare `head_seq`/`head_hash` with a
    copy kept elsewhere (the command prints them).
    """
    audit_seal()
    keys = chain.chain_keys()
    expected, prev, verified = 1, chain.GENESIS, 0
    broken = None
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
            elif not chain.link_holds(
                keys=keys, seq=seal.seq, prev_hash=prev, entry=entry, digest=seal.hash
            ):
                broken = ChainBreak(seq=seal.seq, entry_id=seal.entry_id, problem="changed")
            if broken is not None:
                break
            expected, prev, verified = seal.seq + 1, seal.hash, verified + 1
    unsealed = AuditEntry.objects.filter(
        ~Exists(AuditSeal.objects.filter(entry_id=OuterRef("pk")))
    ).count()
    return ChainReport(
        sealed=verified,
        unsealed=unsealed,
        head_seq=expected - 1 if verified else None,
        head_hash=prev if verified else None,
        broken=broken,
    )
