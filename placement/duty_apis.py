"""The legal duties and missing-from-care episodes over REST (DESIGN.md, "Duties with
clocks"): `duties/?survivor=&status=`, `duties/{id}/complete/`, `placements/{id}/missing/`
and `placements/{id}/returned/`. The same door as every workflow route (placement.apis):
visible or a 404, one service."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from placement.apis import CONFLICT, WorkflowApi, audit_read, run_service, visible_or_404
from placement.duty_serializers import (
    DutyCompleteSerializer,
    DutyQuerySerializer,
    DutySerializer,
    MissingEpisodeSerializer,
    MissingStartSerializer,
    ReturnedSerializer,
)
from placement.models import Duty, Placement
from placement.selectors import duty_list
from placement.services.duties import duty_complete, missing_return, missing_start


@extend_schema(tags=["duties"])
class DutyListApi(WorkflowApi):
    serializer_class = DutySerializer

    @extend_schema(
        operation_id="duties_list",
        description="The legal duties of the children you may see: open ones first, crisis "
        "clocks (law enforcement, NCMEC) before the others, then the earliest deadline.",
        parameters=[DutyQuerySerializer],
        responses=DutySerializer(many=True),
    )
    def get(self, request):
        query = DutyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        duties = duty_list(
            user=request.user,
            survivor_id=query.validated_data.get("survivor"),
            status=query.validated_data.get("status", ""),
        )
        page = self.paginate_queryset(duties)
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        audit_read(request, page, "duty.read")
        return self.get_paginated_response(
            DutySerializer(page, many=True, context={"user": request.user}).data
        )


@extend_schema(tags=["duties"])
class DutyCompleteApi(WorkflowApi):
    serializer_class = DutySerializer

    @extend_schema(
        operation_id="duties_complete",
        description="The child's case worker (or supervisor) records that the duty was done: "
        "when (`completed_at`, now by default) and the reference number. 409 `duty_done` "
        "when it was recorded already.",
        request=DutyCompleteSerializer,
        responses={200: DutySerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Duty, id, "duty.complete")
        body = DutyCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        duty = run_service(
            request, Duty, id, "duty.complete", duty_complete, duty_id=id, **body.validated_data
        )
        return Response(DutySerializer(duty, context={"user": request.user}).data)


@extend_schema(tags=["duties"])
class PlacementMissingApi(WorkflowApi):
    serializer_class = MissingEpisodeSerializer

    @extend_schema(
        operation_id="placements_missing",
        description="The child is missing from this placement: an episode starts and the "
        "reports to law enforcement (NCIC) and NCMEC fall due within the agency's hours "
        "(24 by default) of `missing_since`. 409 `already_missing`, `placement_ended`.",
        request=MissingStartSerializer,
        responses={201: MissingEpisodeSerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Placement, id, "missing.start")
        body = MissingStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        episode = run_service(
            request,
            Placement,
            id,
            "missing.start",
            missing_start,
            placement_id=id,
            **body.validated_data,
        )
        return Response(MissingEpisodeSerializer(episode).data, status=201)


@extend_schema(tags=["duties"])
class PlacementReturnedApi(WorkflowApi):
    serializer_class = MissingEpisodeSerializer

    @extend_schema(
        operation_id="placements_returned",
        description="The missing child is back: where she was found (encrypted), a "
        "trafficking screening falls due, and the placement is re-checked on its live rows "
        "before she goes back (`placement_fits`, `recheck_failed`). 409 `not_missing`.",
        request=ReturnedSerializer,
        responses={200: MissingEpisodeSerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Placement, id, "missing.return")
        body = ReturnedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        episode = run_service(
            request,
            Placement,
            id,
            "missing.return",
            missing_return,
            placement_id=id,
            **body.validated_data,
        )
        return Response(MissingEpisodeSerializer(episode).data)
