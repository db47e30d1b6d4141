from __future__ import annotations

from django.contrib import admin

from survivors.models import StatusChange, Survivor


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    readonly_fields = ["at", "by", "before", "after", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Survivor)
class SurvivorAdmin(admin.ModelAdmin):
    # Names are encrypted and cannot be searched in SQL: search by case number.
    list_display = ["case_number", "agency", "status", "urgency", "custody_state", "created_at"]
    list_filter = ["status", "urgency", "guardianship", "agency", "custody_state"]
    search_fields = ["case_number"]
    filter_horizontal = ["assigned_workers"]
    inlines = [StatusChangeInline]
    readonly_fields = ["created_at", "updated_at", "created_by"]

    def get_queryset(self, request):
        return Survivor.objects.visible_to(request.user).select_related("agency")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # archive (archived_at) instead

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from audit.services import audit_record

        audit_record(
            actor=request.user,
            action="survivor.read",
            object_type="survivors.survivor",
            object_id=str(object_id),
            survivor_id=int(object_id) if str(object_id).isdigit() else None,
            ip=request.META.get("REMOTE_ADDR"),
        )
        return super().change_view(request, object_id, form_url, extra_context)
