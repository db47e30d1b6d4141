"""Who may change a home: the directory itself is readable by every signed-in user."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from homes.models import Home


class CanUpdateAvailability(BasePermission):
    """The home's own admins (guardian `homes.change_home` on it), or a Harbor admin."""

    message = "Only this home's administrators or a Harbor administrator may update its beds."

    def has_object_permission(self, request, view, obj: Home) -> bool:
        return Home.objects.editable_by(request.user).filter(pk=obj.pk).exists()
