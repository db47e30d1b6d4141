"""Placement outcomes over REST (DESIGN.md: `placements/{id}/outcomes/`): the list of a
placement's 30- and 90-day follow-ups and the case worker's recording of one. The same
door as every workflow route (placement.apis): visible or a 404, one service."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from audit.services import request_ip
from core.errors import Forbidden
from placement import policy
from placement.apis import CONFLICT, WorkflowApi, audit_read, run_service, visible_or_404
from placement.models import Placement
from placement.outcome_serializers import FollowUpRecordSerializer, FollowUpSerializer
from placement.selectors import follow_up_list
from placement.services.outcomes import follow_up_record


@extend_schema(tags=["workflow"])
class PlacementOutcomesApi(WorkflowApi):
    serializer_class = FollowUpSerializer
    pagination_class = None  # two follow-ups at most

    @extend_schema(
        operation_id="placement_outcomes_list",
        description="The placement's follow-ups made so far (day 30, then 90): open ones "
        "have a null outcome. For the child's case workers, supervisors and admins.",
        responses=FollowUpSerializer(many=True),
    )
    def get(self, request, id: int | None):
        placement = visible_or_404(request, Placement, id, "follow_up.read")
        if not policy.may_read_follow_ups(request.user, placement.survivor_id):
            policy.refuse(
                actor=request.user,
                model=Placement,
                object_id=id,
                action="follow_up.read",
                ip=request_ip(request),
            )
            raise Forbidden(gettext("Follow-ups are for the child's case workers and supervisors."))
        follow_ups = list(follow_up_list(user=request.user, placement_id=placement.pk))
        audit_read(request, [placement], "follow_up.read")
        return Response(FollowUpSerializer(follow_ups, many=True).data)

    @extend_schema(
        operation_id="placement_outcomes_record",
        description="The child's case worker (or supervisor) records how the placement "
        "stood 30 or 90 days after arrival: 201 the first time, 200 for a correction "
        "(the earlier outcome stays in the audit trail). 409 `follow_up_not_due` before "
        "that day.",
        request=FollowUpRecordSerializer,
        responses={201: FollowUpSerializer, 200: FollowUpSerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Placement, id, "follow_up.record")
        body = FollowUpRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        follow_up, first = run_service(
            request,
            Placement,
            id,
            "follow_up.record",
            follow_up_record,
            placement_id=id,
            **body.validated_data,
        )
        return Response(FollowUpSerializer(follow_up).data, status=201 if first else 200)
