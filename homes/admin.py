"""The homes' records: availability history, change log, reminders, imports. The
Home admin itself is on the top floor (desk.admin): an edit of its beds re-checks the
waitlist."""

from __future__ import annotations

from django.contrib import admin

from core.admin_base import ReadOnlyAdmin
from homes.models import AvailabilityChange, HomeChange, HomeImport, LicenseReminder


@admin.register(AvailabilityChange)
class AvailabilityChangeAdmin(admin.ModelAdmin):
    list_display = [
        "at", "home", "by", "source", "available_beds_before", "available_beds_after",
        "staff_on_duty_before", "staff_on_duty_after",
    ]  # fmt: skip
    list_filter = ["source"]
    search_fields = ["home__name"]
    list_select_related = ["home", "by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HomeChange)
class HomeChangeAdmin(ReadOnlyAdmin):
    """The change log the matching directory reads; written only by a database trigger."""

    list_display = ["id", "home_id", "txid", "pruned_below", "created_at"]


@admin.register(LicenseReminder)
class LicenseReminderAdmin(ReadOnlyAdmin):
    """The license-expiry reminders sent to homes' admins (homes.jobs)."""

    list_display = ["sent_at", "home", "license_expires", "days_before", "recipients"]
    list_select_related = ["home"]
    search_fields = ["home__name"]


@admin.register(HomeImport)
class HomeImportAdmin(ReadOnlyAdmin):
    """Directory imports and their results (homes.imports); the uploaded bytes stay out
    of the page."""

    list_display = [
        "created_at", "file_name", "created_by", "dry_run", "status",
        "rows_total", "created", "updated", "unchanged", "error_count",
    ]  # fmt: skip
    list_filter = ["status", "dry_run"]
    list_select_related = ["created_by"]
    search_fields = ["file_name"]
    exclude = ["content"]
