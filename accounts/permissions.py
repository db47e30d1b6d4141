"""Small DRF permission classes about who the user is; combine them with `&` and `|`.

Record-level scope is not decided here: it lives on the querysets
(`Survivor.objects.visible_to`, `Home.objects.editable_by`).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role


class ReadOnly(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS


class IsHarborAdmin(BasePermission):
    message = "Only a Harbor administrator may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_harbor_admin)


class IsCaseWorker(BasePermission):
    message = "Only a case worker may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.CASE_WORKER)


class IsSupervisor(BasePermission):
    message = "Only a supervisor may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.SUPERVISOR)


class IsHomeAdmin(BasePermission):
    message = "Only a home administrator may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.HOME_ADMIN)
