"""The notifications API under /api/v1/: each user's own inbox."""

from __future__ import annotations

from django.urls import path

from notifications import apis

urlpatterns = [
    path(
        "notifications/",
        apis.NotificationListApi.as_view(),
        name="notification-list",
    ),
    path(
        "notifications/unread-count/",
        apis.NotificationUnreadCountApi.as_view(),
        name="notification-unread-count",
    ),
    path(
        "notifications/read-all/",
        apis.NotificationReadAllApi.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<record_id:id>/read/",
        apis.NotificationReadApi.as_view(),
        name="notification-read",
    ),
]
