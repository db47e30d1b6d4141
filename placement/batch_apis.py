"""Batches over REST (DESIGN.md: `batches/`, `batches/{id}/`): ask for a plan that
places several children at once, follow its progress, read it, cancel it.

Thin, as the rest of the workflow's API: parse, call one service, serialize. A batch
the user may not see, or one naming a child they may not see, is the same 404 as none;
each refusal is on the trail (the services write it).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from audit.services import audit_reads, audit_record, request_ip
from core.exceptions import ERROR_RESPONSES
from core.types import AuthedRequest
from placement.batch_serializers import BatchCreateSerializer, BatchSerializer
from placement.models import Batch
from placement.services.batches import (
    assignments_of,
    batch_cancel,
    batch_create,
    batch_or_refuse,
)

CONFLICT = {409: ERROR_RESPONSES["409"]}


def batch_response(request: AuthedRequest, batch: Batch, *, status_code: int = 200) -> Response:
    """The batch, its read on the trail: once the plan is done, a read on each child's
    trail (it says where each child may go); before that, one on the batch's."""
    ip = request_ip(request)
    rows = list(assignments_of(batch)) if batch.status == Batch.Status.DONE else []
    if rows:
        audit_reads(actor=request.user, objects=rows, action="batch.read", ip=ip)
    else:
        audit_record(actor=request.user, action="batch.read", obj=batch, ip=ip)
    data = BatchSerializer(batch, context={"assignments": rows}).data
    return Response(data, status=status_code)


class BatchApi(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    serializer_class = BatchSerializer


@extend_schema(tags=["batches"])
class BatchListApi(BatchApi):
    @extend_schema(
        operation_id="batches_create",
        description="Ask for one plan placing these children together (case workers: "
        "their children; supervisors: their agency's). The plan is worked out by a "
        "background job: poll `batches/{id}/` for its progress and, once done, the "
        "assignments. 404 if any child named is one you may not see; 400 naming the field "
        "for an empty batch, more than 500 children, a child in two keep-together groups, "
        "a pair both kept together and apart, a pin to an inactive home or a child already "
        "placed.",
        request=BatchCreateSerializer,
        responses={201: BatchSerializer, 404: ERROR_RESPONSES["404"]},
    )
    def post(self, request: AuthedRequest):
        body = BatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        batch = batch_create(
            actor=request.user,
            survivor_ids=data["survivors"],
            keep_together=data["keep_together"],
            keep_apart=data["keep_apart"],
            pins=data["pins"],
            excluded_homes=data["excluded_homes"],
            time_limit_seconds=data["time_limit_seconds"],
            ip=request_ip(request),
        )
        batch.refresh_from_db()  # the job may have run already (inline, in the demo)
        return batch_response(request, batch, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["batches"])
class BatchDetailApi(BatchApi):
    @extend_schema(
        operation_id="batches_retrieve",
        description="A batch: `status` (running, done, failed, cancelled), `progress` "
        "(0-100) and its note; once done, one assignment per child (a home or null with "
        "the reason, the score, its breakdown and the alternatives), `total_score`, "
        "`placed_count`, `optimal` and, when the time limit stopped the solver, `gap`.",
        responses={200: BatchSerializer},
    )
    def get(self, request: AuthedRequest, id: int | None):
        batch = batch_or_refuse(
            actor=request.user, batch_id=id, action="batch.read", ip=request_ip(request)
        )
        return batch_response(request, batch)


@extend_schema(tags=["batches"])
class BatchCancelApi(BatchApi):
    @extend_schema(
        operation_id="batches_cancel",
        description="Stop a running plan (whoever started it, or a supervisor of the "
        "agency): the batch is cancelled at once and nothing is stored. 409 once the "
        "batch is done, failed or cancelled.",
        request=None,
        responses={200: BatchSerializer, **CONFLICT},
    )
    def post(self, request: AuthedRequest, id: int | None):
        ip = request_ip(request)
        batch = batch_or_refuse(actor=request.user, batch_id=id, action="batch.cancel", ip=ip)
        batch = batch_cancel(actor=request.user, batch=batch, ip=ip)
        return batch_response(request, batch)
