"""A survivor's status history. The Survivor admin itself is on the top floor
(desk.admin): its edits go through the workflow's `case_update`."""

from __future__ import annotations

from django.contrib import admin

from survivors.models import HandOff, StatusChange


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    readonly_fields = ["at", "by", "before", "after", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "survivor", "before", "after", "by"]
    list_filter = ["after"]
    search_fields = ["survivor__case_number"]
    list_select_related = ["survivor", "by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HandOff)
class HandOffAdmin(admin.ModelAdmin):
    """Who handed which case to whom, when: read only, and without the note, which is
    about the child and is read on the case page, where the read is audited."""

    list_display = ["created_at", "survivor", "to_worker", "by"]
    fields = ["created_at", "survivor", "handed_from", "to_worker", "by"]
    readonly_fields = ["created_at", "survivor", "handed_from", "to_worker", "by"]
    search_fields = ["survivor__case_number"]
    list_select_related = ["survivor", "to_worker", "by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
