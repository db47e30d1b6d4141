from __future__ import annotations

from django.db.models import QuerySet

from core.types import RequestUser
from notifications.models import Notification


def notification_list(*, user: RequestUser, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first; nobody reads anyone else's."""
    if not user.is_authenticated:
        return Notification.objects.none()
    queryset = Notification.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset


def notification_unread_count(*, user: RequestUser) -> int:
    return notification_list(user=user, unread_only=True).count()
