"""Batches over REST (DESIGN.md: `batches/`, `batches/{id}/`): ask for a plan that
places several children at once, follow its progress, read it, cancel it; and a group
at night, as on the plan's page: refer every child now under a crisis override
(`batches/{id}/crisis-override/`), waitlist the unplaced (`batches/{id}/waitlist/`),
place apart siblings no home takes together (`batches/{id}/split/`).

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
from core.errors import Forbidden, NotFound
from core.exceptions import ERROR_RESPONSES
from core.types import AuthedRequest
from placement.batch_serializers import (
    BatchCreateSerializer,
    BatchCrisisOverrideSerializer,
    BatchSerializer,
    BatchSplitSerializer,
)
from placement.models import Batch
from placement.services.batch_night import (
    batch_crisis_override,
    batch_split_group,
    batch_waitlist_unplaced,
)
from placement.services.batches import (
    assignments_of,
    batch_cancel,
    batch_create,
    batch_or_refuse,
    batch_refused,
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


def _night(request: AuthedRequest, id: int | None, action: str, service, **kwargs) -> Batch:
    """A group-at-night action through its service, as the page's one door: a refusal
    (a plan or a child the user may not see, a role that does not place children) is
    on the trail once, whoever refused."""
    ip = request_ip(request)
    batch = batch_or_refuse(actor=request.user, batch_id=id, action=action, ip=ip)
    try:
        return service(actor=request.user, batch=batch, ip=ip, **kwargs)
    except (NotFound, Forbidden):
        batch_refused(actor=request.user, batch_id=batch.pk, action=action, ip=ip)
        raise


@extend_schema(tags=["batches"])
class BatchCrisisOverrideApi(BatchApi):
    @extend_schema(
        operation_id="batches_crisis_override",
        description="A group at night: every child the done plan places is referred now, "
        "under one recorded crisis override (each re-checked on the live rows; a refusal "
        "is written on the child's line as `outcome`). The plan goes to the MDT as one "
        "review after the fact. 400 naming `justification` when it is missing; 409 once "
        "the MDT decided, when the plan was already referred so, is not done, or when no "
        "child could be referred (each line says why).",
        request=BatchCrisisOverrideSerializer,
        responses={200: BatchSerializer, **CONFLICT},
    )
    def post(self, request: AuthedRequest, id: int | None):
        body = BatchCrisisOverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = _night(
            request,
            id,
            "batch.crisis_override",
            batch_crisis_override,
            justification=body.validated_data["justification"],
        )
        return batch_response(request, batch)


@extend_schema(tags=["batches"])
class BatchWaitlistApi(BatchApi):
    @extend_schema(
        operation_id="batches_waitlist",
        description="Waitlist, in one action, each child the done plan could not place "
        "(each line's `outcome` says `waitlisted`, or why not: a home fits her after "
        "all). 409 when no child is left to waitlist or the plan is not done.",
        request=None,
        responses={200: BatchSerializer, **CONFLICT},
    )
    def post(self, request: AuthedRequest, id: int | None):
        batch = _night(request, id, "batch.waitlist", batch_waitlist_unplaced)
        return batch_response(request, batch)


@extend_schema(tags=["batches"])
class BatchSplitApi(BatchApi):
    @extend_schema(
        operation_id="batches_split",
        description="Siblings no home takes together, placed apart by a recorded "
        "decision: a new plan of the same children without keep-together group `group` "
        "(1-based), with the reason on each sibling's trail. 201 with the new batch "
        "(`split_from` names this one); poll it as any batch. 400 naming `group` (no such "
        "group) or `reason`; 409 when the plan places the group together or is not done.",
        request=BatchSplitSerializer,
        responses={201: BatchSerializer, **CONFLICT},
    )
    def post(self, request: AuthedRequest, id: int | None):
        body = BatchSplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        split = _night(
            request, id, "batch.split_siblings", batch_split_group, **body.validated_data
        )
        split.refresh_from_db()  # the job may have run already (inline, in the demo)
        return batch_response(request, split, status_code=status.HTTP_201_CREATED)
