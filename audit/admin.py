from __future__ import annotations

from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_username", "action", "object_type", "object_id", "outcome", "ip"]
    list_filter = ["outcome", "action", "object_type"]
    search_fields = ["actor_username", "object_id", "action"]
    date_hierarchy = "at"

    # The trail is append-only, in the admin too.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
