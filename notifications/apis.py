"""A user's own notifications: `notifications/`, `notifications/unread-count/`,
`notifications/{id}/read/`, `notifications/read-all/`.

Every signed-in user has an inbox and sees only their own: someone else's
notification is the same 404 as one that does not exist.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.selectors import notification_list, notification_unread_count
from notifications.serializers import (
    MarkedSerializer,
    NotificationQuerySerializer,
    NotificationSerializer,
    UnreadCountSerializer,
)
from notifications.services import notification_mark_all_read, notification_mark_read


@extend_schema(tags=["notifications"])
class NotificationListApi(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="notifications_list",
        description="Your notifications, newest first.",
        parameters=[OpenApiParameter("unread", bool, description="Only unread ones.")],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request):
        query = NotificationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = notification_list(user=request.user, unread_only=query.validated_data["unread"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


@extend_schema(tags=["notifications"])
class NotificationUnreadCountApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="notifications_unread_count", responses=UnreadCountSerializer)
    def get(self, request):
        return Response({"unread": notification_unread_count(user=request.user)})


@extend_schema(tags=["notifications"])
class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_mark_read",
        description="Mark one of your notifications read (again is harmless).",
        request=None,
        responses=NotificationSerializer,
    )
    def post(self, request, id: int | None):
        notification = notification_mark_read(actor=request.user, notification_id=id)
        return Response(NotificationSerializer(notification).data)


@extend_schema(tags=["notifications"])
class NotificationReadAllApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_mark_all_read", request=None, responses=MarkedSerializer
    )
    def post(self, request):
        return Response({"marked": notification_mark_all_read(actor=request.user)})
