"""The admin screens of the records that the workflow must hear about when they
change: a survivor (an edit re-checks the child's open referrals and holds:
`case_update`) and a home (an edit of its beds or staff re-checks the waitlist there:
`home_profile_update`). Each saves through the workflow's service, as the pages and
the API do; the other models' admins stay in their apps."""

from __future__ import annotations

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from audit.services import audit_record, request_ip
from homes.models import Home
from homes.services import PROFILE_FIELDS, home_create
from placement.services import case_update
from placement.services.homes import home_profile_update
from survivors.admin import StatusChangeInline
from survivors.models import Survivor
from survivors.services import INTAKE_FIELDS


@admin.register(Survivor)
class SurvivorAdmin(admin.ModelAdmin):
    # Names are encrypted and cannot be searched in SQL: search by case number.
    list_display = ["case_number", "agency", "status", "urgency", "custody_state", "created_at"]
    list_filter = ["status", "urgency", "guardianship", "agency", "custody_state"]
    search_fields = ["case_number"]
    inlines = [StatusChangeInline]
    # Status, agency and access move only through the services (history, audit, beds).
    readonly_fields = [
        "status", "agency", "team", "assigned_workers", "created_at", "updated_at", "created_by",
        "archived_at", "age_estimated_on",
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False  # intakes are recorded by case workers, who are assigned to them

    def save_model(self, request, obj, form, change) -> None:
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in INTAKE_FIELDS
        }
        if data:
            case_update(
                actor=request.user,
                survivor_id=obj.pk,
                data=data,
                ip=request_ip(request),
            )

    def get_queryset(self, request):
        return Survivor.objects.visible_to(request.user).select_related("agency")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # archive (archived_at) instead

    def change_view(self, request, object_id, form_url="", extra_context=None):
        audit_record(
            actor=request.user,
            action="survivor.read",
            object_type="survivors.survivor",
            object_id=str(object_id),
            survivor_id=int(object_id) if str(object_id).isdigit() else None,
            ip=request_ip(request),
        )
        return super().change_view(request, object_id, form_url, extra_context)


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
            saved = home_profile_update(actor=request.user, home_id=obj.pk, data=data)
        else:
            saved = home_create(
                actor=request.user,
                data={n: form.cleaned_data[n] for n in form.cleaned_data if n in PROFILE_FIELDS},
            )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate (active = False) instead
