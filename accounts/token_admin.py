"""The Django admin's list of API tokens: who holds one, on which device, until when.

Read-only: nobody can add a token here (a token is issued only to its user, against
their password and second factor) and nobody can read one. The key is never stored;
its digest is not shown either (it only identifies, and nothing here needs it). An
administrator can revoke a token (a lost phone, a leaver), which is audited.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import ApiToken
from accounts.tokens import token_revoke
from audit.services import request_ip
from core.types import AuthedHttpRequest
from engine.rules import plural

TOKEN_FIELDS = (
    "prefix",
    "user",
    "name",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "revoked_reason",
)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = TOKEN_FIELDS
    list_filter = ["revoked_reason", "created_at", "expires_at"]
    search_fields = ["user__username", "prefix", "name"]
    list_select_related = ["user"]
    fields = TOKEN_FIELDS
    readonly_fields = TOKEN_FIELDS
    actions = ["revoke"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # revoke instead: the trail names the token a request used

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: AuthedHttpRequest, queryset: QuerySet[ApiToken]) -> None:
        ended = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            ended += token_revoke(
                token=token,
                reason=ApiToken.RevokeReason.ADMIN,
                actor=request.user,
                ip=request_ip(request),
            )
        self.message_user(
            request,
            f"Revoked {plural(ended, 'token')}: their devices must sign in again.",
            messages.SUCCESS,
        )
