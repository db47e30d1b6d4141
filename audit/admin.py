from __future__ import annotations

from django.contrib import admin

from audit.models import AuditEntry, AuditSeal
from core.admin_base import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The trail is append-only, in the admin too (and in the database: a trigger)."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "outcome", "ip"]
    list_filter = ["outcome", "action", "object_type"]
    search_fields = ["actor_username", "object_id", "action"]
    date_hierarchy = "at"


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    """The hash chain over the trail; `manage.py audit_verify` checks it."""

    list_display = ["seq", "entry_id", "sealed_at", "hash"]
    date_hierarchy = "sealed_at"
