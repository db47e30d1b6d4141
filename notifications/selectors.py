from __future__ import annotations

from django.db import connection
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
    """`notification_list(user=user, unread_only=True).count()`, the same SQL written once
    rather than compiled by the ORM on every page: the header's badge asks on every page,
    and compiling the COUNT cost three times running it (issue 30)."""
    if not user.is_authenticated:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_UNREAD_SQL, [user.pk])
        return cursor.fetchone()[0]


# The partial index notification_unread (recipient WHERE read_at IS NULL) answers it.
_UNREAD_SQL = (
    'SELECT COUNT(*) FROM "notifications_notification"'
    ' WHERE "recipient_id" = %s AND "read_at" IS NULL'
)
