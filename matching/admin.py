from __future__ import annotations

from django.contrib import admin

from matching.models import MatchSearch


@admin.register(MatchSearch)
class MatchSearchAdmin(admin.ModelAdmin):
    list_display = ["at", "survivor", "searched_by", "homes_considered", "feasible_count"]
    list_select_related = ["survivor", "searched_by"]
    date_hierarchy = "at"
    search_fields = ["survivor__case_number"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
