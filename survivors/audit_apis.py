"""`GET audit/?survivor=ID`: one survivor's audit trail, for supervisors and admins.

Policy: a role that never reads audit trails (case worker, MDT member, home
admin) gets 403 whatever the id; a supervisor asking about a survivor outside
their agency gets the same 404 as for an id that does not exist. Both refusals
are audited, and so is every successful read of a trail (`audit.read`), after the
page is taken, so a trail never lists the read that fetched it.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from accounts.permissions import IsHarborAdmin, IsSupervisor
from audit.models import AuditEntry
from audit.selectors import audit_entries_for_survivor
from audit.services import audit_record, request_ip
from core.exceptions import ERROR_RESPONSES
from survivors.policy import survivor_or_refuse, survivor_record_denied

MAX_ID = 2**63 - 1


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor_username",
        read_only=True,
        allow_null=True,
        help_text="Username of whoever acted; null for the system or an anonymous attempt.",
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "outcome",
            "object_type",
            "object_id",
            "survivor_id",
            "before",
            "after",
            "ip",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["actor"] = data["actor"] or None
        return data


class AuditFilterSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(min_value=1, max_value=MAX_ID)


def _requested_survivor_id(request) -> int | None:
    raw = request.query_params.get("survivor", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@extend_schema(tags=["audit"])
class AuditListApi(generics.GenericAPIView):
    permission_classes = [IsAuthenticated & (IsSupervisor | IsHarborAdmin)]
    serializer_class = AuditEntrySerializer
    filter_backends: list = []

    def permission_denied(self, request, message=None, code=None):
        if request.user and request.user.is_authenticated:
            survivor_record_denied(
                actor=request.user,
                survivor_id=_requested_survivor_id(request),
                action="audit.read",
                ip=request_ip(request),
            )
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        operation_id="audit_list",
        description="One survivor's audit trail, newest first: every read, write and "
        "refused attempt, with actor (username), action, outcome, IP and time. For the "
        "supervisors of the survivor's agency and admins; other roles get 403, and a "
        "survivor you may not see is 404.",
        parameters=[
            OpenApiParameter("survivor", int, required=True, description="The survivor's id."),
        ],
        responses={200: AuditEntrySerializer(many=True), 404: ERROR_RESPONSES["404"]},
    )
    def get(self, request):
        params = AuditFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        survivor_id = params.validated_data["survivor"]
        survivor = survivor_or_refuse(
            actor=request.user, survivor_id=survivor_id, action="audit.read", ip=request_ip(request)
        )
        page = self.paginate_queryset(audit_entries_for_survivor(survivor_id=survivor.pk))
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        data = AuditEntrySerializer(page, many=True).data
        audit_record(
            actor=request.user,
            action="audit.read",
            obj=survivor,
            survivor_id=survivor.pk,
            ip=request_ip(request),
        )
        return self.get_paginated_response(data)
