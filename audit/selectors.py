from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEntry


def audit_entries_for_survivor(*, survivor_id: int) -> QuerySet[AuditEntry]:
    """Everything done or tried with one survivor's record, newest first.

    The caller decides who may read it (the survivor's supervisors and admins).
    """
    return AuditEntry.objects.filter(survivor_id=survivor_id).order_by("-at", "-id")
