from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import token_admin  # noqa: F401  (registers the API tokens' admin)
from accounts.forms import AgencyAdminForm, HarborUserChangeForm
from accounts.mfa import mfa_reset
from accounts.models import Agency, Authenticator, RecoveryCode, Team, User
from audit.services import audit_record, request_ip
from core.admin_base import ReadOnlyAdmin
from engine.rules import plural


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "state", "zone", "language", "active"]
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
    # Django's add form already refuses a username that differs from another only in case;
    # this change form does too (the database constraint would otherwise answer a 500).
    form = HarborUserChangeForm
    list_display = ["username", "email", "role", "agency", "team", "is_active"]
    list_filter = ["role", "is_active", "agency", "team"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        ("Harbor", {"fields": ["role", "agency", "team", "phone"]}),
    ]
    add_fieldsets = [
        *(BaseUserAdmin.add_fieldsets or ()),
        ("Harbor", {"fields": ["role", "agency", "team", "phone"]}),
    ]
    actions = ["reset_second_factor"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: audit entries point at users

    @admin.action(
        description="Reset second factor (authenticator, recovery codes, API tokens; "
        "the user sets up the app again at next sign-in)",
        permissions=["change"],
    )
    def reset_second_factor(self, request, queryset) -> None:
        count = 0
        for user in queryset.order_by("pk"):
            mfa_reset(actor=request.user, user=user, ip=request_ip(request))
            count += 1
        self.message_user(
            request,
            f"Second factor reset for {plural(count, 'user')}: their "
            "authenticator, recovery codes, API tokens and sessions have ended.",
            messages.SUCCESS,
        )

    def user_change_password(self, request, id, form_url=""):
        """Django's set-password page, on the trail when it sets one."""
        user = self.get_object(request, unquote(id))
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST":
            after = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
            if after != before:
                audit_record(
                    actor=request.user,
                    action="auth.password_changed",
                    obj=user,
                    after={"by": "administrator"},
                    ip=request_ip(request),
                )
        return response


# django-otp's own admin shows each authenticator's secret key and a QR code of it: any
# administrator could copy a user's second factor. Its devices no longer hold one (accounts
# 0007 moved them into Authenticator, encrypted), so it is not listed at all; the
# authenticators' admin below never shows the key.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at", "failures"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = readonly_fields = (
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
        "failures",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @admin.display(description="wrong codes in a row")
    def failures(self, device: Authenticator) -> int:
        return device.throttling_failure_count


@admin.register(RecoveryCode)
class RecoveryCodeAdmin(ReadOnlyAdmin):
    """Which codes a user has left; never the code (nor its hash or its first group)."""

    list_display = ["id", "user", "created_at", "used_at", "revoked_at"]
    list_filter = ["used_at", "revoked_at"]
    search_fields = ["user__username"]
    fields = readonly_fields = ("user", "created_at", "used_at", "revoked_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")
