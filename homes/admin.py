from __future__ import annotations

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from core.admin_base import ReadOnlyAdmin
from homes.models import AvailabilityChange, Home, HomeChange, HomeImport, LicenseReminder
from homes.services import PROFILE_FIELDS, home_create, home_update


@admin.register(Home)
class HomeAdmin(GuardedModelAdmin):
    list_display = [
        "name", "home_type", "state", "zip_code", "available_beds", "licensed_beds",
        "staff_on_duty", "availability_updated_at", "license_expires", "active",
    ]  # fmt: skip
    list_filter = [
        "active", "home_type", "state", "substance_use_accepted", "accepts_parenting",
        "intake_24_7", "accepts_out_of_state", "staff_secure",
    ]  # fmt: skip
    search_fields = ["name", "zip_code", "state", "license_number", "contact_name"]
    readonly_fields = [
        "availability_updated_at", "availability_updated_by", "profile_confirmed_at",
        "modified_at",
    ]  # fmt: skip

    def save_model(self, request, obj, form, change) -> None:
        # Through the services, so the admin's edits are audited like everyone's.
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in PROFILE_FIELDS
        }
        if change:
            saved = home_update(actor=request.user, home_id=obj.pk, data=data)
        else:
            saved = home_create(
                actor=request.user,
                data={n: form.cleaned_data[n] for n in form.cleaned_data if n in PROFILE_FIELDS},
            )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate (active = False) instead


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
