from __future__ import annotations

from django.contrib import admin

from audit.services import audit_record, request_ip
from survivors.models import StatusChange, Survivor
from survivors.services import INTAKE_FIELDS, survivor_update


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

    # The workflow (placement/admin.py) swaps in its service, which re-checks open
    # referrals after a change; this app cannot import the workflow.
    update_service = staticmethod(survivor_update)

    def save_model(self, request, obj, form, change) -> None:
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in INTAKE_FIELDS
        }
        if data:
            self.update_service(
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
