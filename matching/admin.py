from __future__ import annotations

from django.contrib import admin

from audit.services import request_ip
from core.admin_base import ReadOnlyAdmin
from matching.models import MatchSearch, TribePreference
from matching.services import tribe_preference_save


@admin.register(MatchSearch)
class MatchSearchAdmin(ReadOnlyAdmin):
    list_display = ["at", "survivor", "searched_by", "homes_considered", "feasible_count"]
    list_select_related = ["survivor", "searched_by"]
    date_hierarchy = "at"
    search_fields = ["survivor__case_number"]


@admin.register(TribePreference)
class TribePreferenceAdmin(admin.ModelAdmin):
    """A tribe's own order of ICWA's placement preferences: `order` lists extended_family,
    tribe_approved, indian_foster_home and tribal_institution in the tribe's order."""

    list_display = ["name", "order", "source", "updated_at", "updated_by"]
    search_fields = ["name"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change) -> None:
        tribe_preference_save(actor=request.user, preference=obj, ip=request_ip(request))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # nothing is hard-deleted: change the order instead
