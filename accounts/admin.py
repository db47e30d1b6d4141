from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import AgencyAdminForm
from accounts.models import Agency, Team, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "state", "zone", "active"]
    list_filter = ["state", "active"]
    search_fields = ["code", "name"]
    form = AgencyAdminForm

    @admin.display(description="time zone")
    def zone(self, agency: Agency) -> str:
        """The zone the agency's pages use: its own, or its state's when left blank."""
        return agency.zone_name if agency.time_zone else f"{agency.zone_name} (state default)"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "quorum", "active"]
    list_filter = ["active", "agency"]
    search_fields = ["name", "agency__code"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "agency", "team", "is_active"]
    list_filter = ["role", "is_active", "agency", "team"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Harbor", {"fields": ["role", "agency", "team", "phone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("Harbor", {"fields": ["role", "agency", "team", "phone"]}),
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: audit entries point at users
