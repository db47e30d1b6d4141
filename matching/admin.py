from __future__ import annotations

from django.contrib import admin

from core.admin_base import ReadOnlyAdmin
from matching.models import MatchSearch


@admin.register(MatchSearch)
class MatchSearchAdmin(ReadOnlyAdmin):
    list_display = ["at", "survivor", "searched_by", "homes_considered", "feasible_count"]
    list_select_related = ["survivor", "searched_by"]
    date_hierarchy = "at"
    search_fields = ["survivor__case_number"]
