from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from notifications.models import Notification


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first; nobody reads anyone else's."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    queryset = Notification.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset


def notification_unread_count(*, user: Any) -> int:
    return notification_list(user=user, unread_only=True).count()
