from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from audit.models import AuditEntry, AuditSeal


def audit_entries_for_survivor(*, survivor_id: int) -> QuerySet[AuditEntry]:
    """Everything done or tried with one survivor's record, newest first.

    The caller decides who may read it (the survivor's supervisors and admins).
    """
    return AuditEntry.objects.filter(survivor_id=survivor_id).order_by("-at", "-id")


def audit_unsealed() -> tuple[int, datetime.datetime | None]:
    """How many entries wait for the sealer, and the oldest one's time (for /metrics).

    Read where the sealer reads (from AUDIT_SEAL_DELAY_SECONDS before the last sealed
    entry), so a scrape stays cheap on a long trail; an older unsealed entry, which the
    sealer never takes, is `audit_verify`'s to report."""
    waiting = AuditEntry.objects.filter(~Exists(AuditSeal.objects.filter(entry_id=OuterRef("pk"))))
    last = AuditSeal.objects.order_by("-seq").values_list("entry_id", flat=True).first()
    last_at = None
    if last is not None:
        last_at = AuditEntry.objects.filter(pk=last).values_list("at", flat=True).first()
    if last_at is not None:
        delay = datetime.timedelta(seconds=settings.AUDIT_SEAL_DELAY_SECONDS)
        waiting = waiting.filter(at__gte=last_at - delay)
    oldest = waiting.order_by("at").values_list("at", flat=True).first()
    return (waiting.count() if oldest is not None else 0), oldest
