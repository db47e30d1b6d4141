"""Who may search the directory: combine with `&` and `|` (see accounts.permissions)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from homes.policy import sees_whole_directory


class SeesWholeDirectory(BasePermission):
    """A what-if search ranks every home in the directory, with its ZIP and phone: not
    for a home admin, who may know only their own homes (homes.policy)."""

    message = (
        "A home administrator sees only their own homes; the what-if search covers the "
        "whole directory."
    )

    def has_permission(self, request, view) -> bool:
        return sees_whole_directory(request.user)
