from __future__ import annotations

from rest_framework import serializers

from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()
    # In the request's language (Accept-Language); `kind` is the code, the same in all.
    message = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "message",
            "object_type",
            "object_id",
            "link",
            "created_at",
            "read",
            "read_at",
        ]
        read_only_fields = fields

    def get_message(self, obj: Notification) -> str:
        return obj.shown

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(default=False, help_text="Only unread notifications.")


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")
