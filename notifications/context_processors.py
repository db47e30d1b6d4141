from __future__ import annotations

from django.http import HttpRequest

from notifications.selectors import notification_unread_count


def unread(request: HttpRequest) -> dict[str, int]:
    """The unread count for the header badge (one indexed COUNT per page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": notification_unread_count(user=user)}
