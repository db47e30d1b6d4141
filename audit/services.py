from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models

from audit.models import AuditEntry, Outcome


def audit_record(
    *,
    actor: Any | None,
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

    It is never queued: an audit row must not be lost because a broker is down.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_username=actor.get_username() if is_user else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        survivor_id=survivor_id,
        outcome=outcome,
        before=before,
        after=after,
        ip=ip,
    )


def audit_record_many(
    *,
    actor: Any,
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
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entries = [
        AuditEntry(
            actor=actor if is_user else None,
            actor_username=actor.get_username() if is_user else "",
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            survivor_id=survivor_of(obj) if survivor_of else None,
            outcome=outcome,
            ip=ip,
        )
        for obj in objects
    ]
    return AuditEntry.objects.bulk_create(entries) if entries else []


def _own_pk(obj: Any) -> int:
    return obj.pk


def _its_survivor(obj: Any) -> int | None:
    return obj.survivor_id


def audit_refusal(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: int | str | None,
    survivor_id: int | None,
    ip: str | None = None,
) -> AuditEntry:
    """The one way a refused attempt (a 404 or a 403) is written to the trail.

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
    )


def audit_reads(
    *, actor: Any, objects: Iterable[models.Model], action: str, ip: str | None = None
) -> list[AuditEntry]:
    """One read entry per record shown (one INSERT), each on its survivor's trail: the
    objects carry `survivor_id` (a recommendation, a referral, a placement)."""
    return audit_record_many(
        actor=actor, action=action, objects=objects, ip=ip, survivor_of=_its_survivor
    )


def request_ip(request: Any) -> str | None:
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
