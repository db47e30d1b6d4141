"""Who may change a home: the directory itself is readable by every signed-in user."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.models import Role
from homes.models import Home
from homes.policy import may_edit_home


class CanUpdateAvailability(BasePermission):
    """The home's own admins (guardian `homes.change_home` on it), or a Harbor admin."""

    message = "Only this home's administrators or a Harbor administrator may update its beds."

    def has_object_permission(self, request, view, obj: Home) -> bool:
        return Home.objects.editable_by(request.user).filter(pk=obj.pk).exists()


class CanEditHomeProfile(BasePermission):
    """A Harbor admin, or a home admin on their own home (homes.policy says which fields)."""

    message = "Only this home's administrators or a Harbor administrator may edit its profile."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.is_harbor_admin or user.role == Role.HOME_ADMIN)
        )

    def has_object_permission(self, request, view, obj: Home) -> bool:
        return may_edit_home(request.user, obj)
