"""The workflow's referral and placement routes over REST: the home's answer, the
case worker's withdrawal, the arrival and the discharge. The same door as every
workflow route (placement.apis): visible or a 404, one service, one serializer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema

from placement import services
from placement.apis import (
    CONFLICT,
    WorkflowApi,
    audit_read,
    placement_response,
    referral_response,
    run_service,
    visible_or_404,
)
from placement.models import Placement, Referral
from placement.selectors import referral_list
from placement.serializers import (
    DeclineSerializer,
    DischargeSerializer,
    PlacementSerializer,
    RecordAnswerSerializer,
    ReferralQuerySerializer,
    ReferralSerializer,
    WithdrawSerializer,
)
from survivors.models import Survivor


@extend_schema(tags=["workflow"])
class ReferralListApi(WorkflowApi):
    serializer_class = ReferralSerializer

    @extend_schema(
        operation_id="referrals_list",
        description="Referrals you may see, newest first: home admins those to their "
        "homes (de-identified until accepted), case workers and supervisors their cases'.",
        parameters=[OpenApiParameter("status", str, enum=Referral.Status.values)],
        responses=ReferralSerializer(many=True),
    )
    def get(self, request):
        query = ReferralQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = {"status": query.validated_data["status"]} if query.validated_data else None
        page = self.paginate_queryset(referral_list(user=request.user, filters=filters))
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        audit_read(request, page, "referral.read")
        visible = set(
            Survivor.objects.visible_to(request.user)
            .filter(pk__in={r.survivor_id for r in page})
            .values_list("pk", flat=True)
        )
        data = [
            ReferralSerializer(r, context={"case_side": r.survivor_id in visible}).data
            for r in page
        ]
        return self.get_paginated_response(data)


@extend_schema(tags=["workflow"])
class ReferralDetailApi(WorkflowApi):
    serializer_class = ReferralSerializer

    @extend_schema(
        operation_id="referrals_retrieve",
        description="A referral. The receiving home sees the child de-identified (age, "
        "gender, needs, the case worker's contact) until it accepts.",
    )
    def get(self, request, id: int | None):
        visible_or_404(request, Referral, id, "referral.read")
        return referral_response(request, id)


@extend_schema(tags=["workflow"])
class ReferralAcceptApi(WorkflowApi):
    serializer_class = ReferralSerializer

    @extend_schema(
        operation_id="referrals_accept",
        description="The home accepts: 1 + dependents beds are held until the hold "
        "expires (24 h by default). 409 when no bed is left or the referral is no longer "
        "pending. The child's other pending referrals are withdrawn.",
        request=None,
        responses={200: ReferralSerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Referral, id, "referral.accept")
        run_service(
            request, Referral, id, "referral.accept", services.referral_accept, referral_id=id
        )
        return referral_response(request, id)


@extend_schema(tags=["workflow"])
class ReferralDeclineApi(WorkflowApi):
    serializer_class = ReferralSerializer

    @extend_schema(
        operation_id="referrals_decline",
        description="The home declines with a reason code (a comment is required for "
        "other). Declining an accepted referral gives the held beds back.",
        request=DeclineSerializer,
        responses={200: ReferralSerializer},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Referral, id, "referral.decline")
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(
            request,
            Referral,
            id,
            "referral.decline",
            services.referral_decline,
            referral_id=id,
            **body.validated_data,
        )
        return referral_response(request, id)


@extend_schema(tags=["workflow"])
class ReferralRecordAnswerApi(WorkflowApi):
    serializer_class = ReferralSerializer

    @extend_schema(
        operation_id="referrals_record_answer",
        description="The case worker records the answer a home gave by phone: accept or "
        "decline (with a reason code), who answered and their number. The same effects and "
        "re-checks as the home's own answer (409 when no bed is left, a rule fails or the "
        "referral no longer waits), marked as recorded by phone.",
        request=RecordAnswerSerializer,
        responses={200: ReferralSerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Referral, id, "referral.record_answer")
        body = RecordAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(
            request,
            Referral,
            id,
            "referral.record_answer",
            services.referral_record_answer,
            referral_id=id,
            **body.validated_data,
        )
        return referral_response(request, id)


@extend_schema(tags=["workflow"])
class ReferralWithdrawApi(WorkflowApi):
    serializer_class = ReferralSerializer

    @extend_schema(
        operation_id="referrals_withdraw",
        description="The case worker withdraws a pending or accepted referral; held beds "
        "come back.",
        request=WithdrawSerializer,
        responses={200: ReferralSerializer},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Referral, id, "referral.withdraw")
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(
            request,
            Referral,
            id,
            "referral.withdraw",
            services.referral_withdraw,
            referral_id=id,
            **body.validated_data,
        )
        return referral_response(request, id)


@extend_schema(tags=["workflow"])
class ReferralPlaceApi(WorkflowApi):
    serializer_class = PlacementSerializer

    @extend_schema(
        operation_id="referrals_place",
        description="The case worker confirms the child arrived: the hold becomes the "
        "placement and the survivor is placed. 409 unless the referral is accepted and its "
        "hold has not expired.",
        request=None,
        responses={201: PlacementSerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Referral, id, "placement.create")
        placement = run_service(
            request, Referral, id, "placement.create", services.referral_place, referral_id=id
        )
        return placement_response(request, placement.pk, status_code=201)


@extend_schema(tags=["workflow"])
class PlacementDetailApi(WorkflowApi):
    serializer_class = PlacementSerializer

    @extend_schema(operation_id="placements_retrieve")
    def get(self, request, id: int | None):
        visible_or_404(request, Placement, id, "placement.read")
        return placement_response(request, id)


@extend_schema(tags=["workflow"])
class PlacementDischargeApi(WorkflowApi):
    serializer_class = PlacementSerializer

    @extend_schema(
        operation_id="placements_discharge",
        description="The child left the home: the beds return and the survivor is "
        "discharged (a comment is required when the reason is other).",
        request=DischargeSerializer,
        responses={200: PlacementSerializer},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Placement, id, "placement.discharge")
        body = DischargeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run_service(
            request,
            Placement,
            id,
            "placement.discharge",
            services.placement_discharge,
            placement_id=id,
            **body.validated_data,
        )
        return placement_response(request, id)
