"""Survivor records over REST: `survivors/`. One record, `survivors/{id}/`, is the
workflow's route (placement.apis): a change to it re-checks the child's open referrals.

Every read starts from `Survivor.objects.visible_to(user)` (through the
selectors). A record the user may not see answers the same 404 as one that does
not exist, and the attempt is audited as denied. Every response that carries a
record writes one `survivor.read` audit entry per record; writes also get the
services' own entries. Audit entries are written synchronously, in the request.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import ReadOnly
from audit.services import request_ip
from core.errors import Forbidden, NotFound
from core.exceptions import ERROR_RESPONSES
from core.pagination import HarborPagination
from survivors.models import Survivor
from survivors.permissions import CanRecordIntake
from survivors.policy import survivor_or_refuse, survivor_record_denied
from survivors.selectors import survivor_find
from survivors.serializers import (
    HandOffInputSerializer,
    HandOffSerializer,
    SurvivorQuerySerializer,
    SurvivorSerializer,
    survivor_serializer_class,
)
from survivors.services import (
    survivor_assign,
    survivor_create,
    survivor_record_reads,
    survivor_search_record,
)

_ACTIONS = {
    "GET": "survivor.read",
    "HEAD": "survivor.read",
    "POST": "survivor.create",
    "PUT": "survivor.update",
    "PATCH": "survivor.update",
}
# The hand-off's refusals name what was attempted (the path says it, not the method).
ASSIGN_ACTION = "survivor.assign"


def _action(request) -> str:
    """The audit action a refused request attempted."""
    return _ACTIONS.get(request.method, f"survivor.{request.method.lower()}")


class AuditedRefusals(generics.GenericAPIView):
    """A refused attempt by a signed-in user is audited before it is answered.

    Anonymous requests get their 401 unrecorded: they name nobody, and recording
    them would let anyone on the internet grow the trail.
    """

    def permission_denied(self, request, message=None, code=None):
        if request.user and request.user.is_authenticated:
            survivor_record_denied(
                actor=request.user,
                survivor_id=self.kwargs.get("id"),
                action=_action(request),
                ip=request_ip(request),
            )
        super().permission_denied(request, message=message, code=code)

    def visible_survivor(self, request, survivor_id: int | None) -> Survivor:
        return survivor_or_refuse(
            actor=request.user,
            survivor_id=survivor_id,
            action=_action(request),
            ip=request_ip(request),
        )

    def respond_with(self, request, survivor: Survivor, *, status_code: int = 200) -> Response:
        survivor_record_reads(actor=request.user, survivors=[survivor], ip=request_ip(request))
        serializer = survivor_serializer_class(request.user)(survivor)
        return Response(serializer.data, status=status_code)


@extend_schema(tags=["survivors"])
class SurvivorListCreateApi(AuditedRefusals, generics.GenericAPIView):
    """Survivors the user may see, newest first; case workers record intakes here."""

    permission_classes = [IsAuthenticated & (ReadOnly | CanRecordIntake)]
    serializer_class = SurvivorSerializer
    filter_backends: list = []
    # What records the intake: the workflow serves this route with its `case_create`,
    # which also opens the legal duties the intake calls for (the survivors app cannot
    # import the workflow).
    create_service = staticmethod(survivor_create)

    @extend_schema(
        operation_id="survivors_list",
        description="Survivors you may see, newest first: assigned case workers their "
        "cases, supervisors their agency's, MDT members their team's (without `notes` and "
        "`exclusion_zones`), home admins none. Each survivor returned is audited as read. "
        "`search` finds a case by part of its case number, alias or name (MDT members: case "
        "number only); `status` filters; a search is audited with its number of results.",
        parameters=[SurvivorQuerySerializer],
        responses=SurvivorSerializer(many=True),
    )
    def get(self, request):
        query = SurvivorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        search = query.validated_data.get("search", "")
        status_filter = query.validated_data.get("status", "")
        survivors = survivor_find(user=request.user, search=search, status=status_filter)
        page = self.paginate_queryset(survivors)
        # Every list is paged (DEFAULT_PAGINATION_CLASS), so there is a page and its count.
        assert page is not None and isinstance(self.paginator, HarborPagination)
        if search.strip() or status_filter:
            survivor_search_record(
                actor=request.user,
                results=self.paginator.count or 0,
                status=status_filter,
                by_text=bool(search.strip()),
                ip=request_ip(request),
            )
        survivor_record_reads(actor=request.user, survivors=page, ip=request_ip(request))
        data = survivor_serializer_class(request.user)(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="survivors_create",
        description="Record an intake (case workers only): it belongs to your agency and "
        "your MDT team, you are assigned to it, and its status is `intake`.",
        responses={201: SurvivorSerializer},
    )
    def post(self, request):
        serializer = SurvivorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        survivor = self.create_service(
            actor=request.user, data=serializer.validated_data, ip=request_ip(request)
        )
        survivor = self.visible_survivor(request, survivor.pk)
        return self.respond_with(request, survivor, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["survivors"])
class SurvivorAssignApi(AuditedRefusals, generics.GenericAPIView):
    """Hand a case to another case worker of the agency (its supervisors)."""

    permission_classes = [IsAuthenticated]
    serializer_class = HandOffInputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="survivor_assign",
        description="A supervisor of the child's agency hands the case to another of its "
        "case workers (`case_worker`: a username, as in `assigned_workers`), with a "
        "hand-off `note` (encrypted at rest, shown to the new worker on the case page). "
        "The case becomes theirs alone: the previous workers lose access. 404 for a case "
        "you may not see; 403 for a role that may not reassign; 400 for a username that is "
        "not an active case worker of the agency; 409 `already_assigned`.",
        request=HandOffInputSerializer,
        responses={201: HandOffSerializer, 409: ERROR_RESPONSES["409"]},
    )
    def post(self, request, id: int | None):
        ip = request_ip(request)
        survivor_or_refuse(actor=request.user, survivor_id=id, action=ASSIGN_ACTION, ip=ip)
        serializer = HandOffInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            hand_off = survivor_assign(
                actor=request.user,
                survivor_id=id,
                case_worker=serializer.validated_data["case_worker"],
                note=serializer.validated_data["note"],
                ip=ip,
            )
        except (NotFound, Forbidden):
            survivor_record_denied(actor=request.user, survivor_id=id, action=ASSIGN_ACTION, ip=ip)
            raise
        return Response(HandOffSerializer(hand_off).data, status=status.HTTP_201_CREATED)
