"""The placement workflow over REST (DESIGN.md "Workflow"): recommendations, MDT
reviews, referrals, bed holds, placements, discharges and the waitlist; and a
survivor's record (`survivors/{id}/`), whose every change re-checks the child's open
referrals and holds.

Thin: each view checks the record is visible (the same 404 as for one that does not
exist, audited as denied), parses the body, calls one service and serializes. The
services decide who may do what (403, audited) and what the state allows (409 with the
reason). Every response that carries a workflow record writes a read entry on the
survivor's audit trail, like the survivor endpoints do.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import ReadOnly
from audit.services import audit_reads, request_ip
from core.errors import NotFound
from core.exceptions import ERROR_RESPONSES
from placement import policy, services
from placement.models import Recommendation
from placement.selectors import (
    KeepApartLine,
    home_stability,
    keep_apart_list,
    placement_get,
    recommendation_get,
    recommendation_list,
    referral_list,
)
from placement.serializers import (
    KeepApartCreateSerializer,
    KeepApartSerializer,
    PlacementSerializer,
    RecommendationCreateSerializer,
    RecommendationSerializer,
    ReferralSerializer,
    ReferSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    WaitlistEntrySerializer,
)
from survivors.apis import AuditedRefusals, SurvivorListCreateApi
from survivors.models import Survivor, need_to_know
from survivors.permissions import CanEditSurvivor
from survivors.serializers import SurvivorSerializer
from survivors.services import survivor_record_reads

CONFLICT = {409: ERROR_RESPONSES["409"]}


def visible_or_404(request: Request, model: type[models.Model], object_id: int | None, action: str):
    """The record, or the audited refusal (404): before the body is even read."""
    return policy.visible_or_refuse(
        actor=request.user, model=model, object_id=object_id, action=action, ip=request_ip(request)
    )


def run_service(
    request: Request, model, object_id: int | None, action: str, service: Callable, **kw
):
    """One workflow service through the one door (policy.attempt audits a refusal)."""
    return policy.attempt(
        service,
        actor=request.user,
        model=model,
        object_id=object_id,
        action=action,
        ip=request_ip(request),
        **kw,
    )


def audit_read(request: Request, objects: list, action: str) -> None:
    audit_reads(actor=request.user, objects=objects, action=action, ip=request_ip(request))


def recommendation_response(request, recommendation_id: int | None, *, status_code=200) -> Response:
    recommendation = recommendation_get(user=request.user, recommendation_id=recommendation_id)
    if recommendation is None:
        raise NotFound()
    audit_read(request, [recommendation], "recommendation.read")
    return Response(RecommendationSerializer(recommendation).data, status=status_code)


def referral_response(request, referral_id: int | None, *, status_code=200) -> Response:
    if referral_id is None:
        raise NotFound()
    referral = referral_list(user=request.user, archived=True).get(pk=referral_id)
    audit_read(request, [referral], "referral.read")
    context = {"case_side": policy.sees_survivor(request.user, referral.survivor_id)}
    return Response(ReferralSerializer(referral, context=context).data, status=status_code)


def placement_response(request, placement_id: int | None, *, status_code=200) -> Response:
    placement = placement_get(user=request.user, placement_id=placement_id)
    if placement is None:
        raise NotFound()
    audit_read(request, [placement], "placement.read")
    context = {"case_side": policy.sees_survivor(request.user, placement.survivor_id)}
    return Response(PlacementSerializer(placement, context=context).data, status=status_code)


class WorkflowApi(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    filter_backends: list = []


@extend_schema(tags=["workflow"])
class SurvivorRecommendationsApi(WorkflowApi):
    serializer_class = RecommendationSerializer

    @extend_schema(
        operation_id="survivor_recommendations_list",
        description="A survivor's recommendations, newest first, with their reviews.",
        responses=RecommendationSerializer(many=True),
    )
    def get(self, request, id: int | None):
        survivor = visible_or_404(request, Survivor, id, "recommendation.read")
        page = self.paginate_queryset(
            recommendation_list(user=request.user, survivor_id=survivor.pk)
        )
        assert page is not None  # every list is paged (DEFAULT_PAGINATION_CLASS)
        audit_read(request, page, "recommendation.read")
        context = {"home_stability": home_stability({r.home_id for r in page})}
        return self.get_paginated_response(
            RecommendationSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        operation_id="survivor_recommendations_create",
        description="Propose a home for the MDT to review (the child's case workers and "
        "supervisors). Freezes the child's needs, the home's profile and its rank, score "
        "and breakdown in a search run now; the home must be feasible now (409 with the "
        "failed rules otherwise). The survivor moves to pending_review.",
        request=RecommendationCreateSerializer,
        responses={201: RecommendationSerializer},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Survivor, id, "recommendation.create")
        body = RecommendationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        recommendation = run_service(
            request,
            Survivor,
            id,
            "recommendation.create",
            services.recommendation_create,
            survivor_id=id,
            home_id=body.validated_data["home"],
            rationale=body.validated_data["rationale"],
            good_cause=body.validated_data.get("good_cause", ""),
            good_cause_detail=body.validated_data.get("good_cause_detail", ""),
        )
        return recommendation_response(request, recommendation.pk, status_code=201)


@extend_schema(tags=["workflow"])
class RecommendationDetailApi(WorkflowApi):
    serializer_class = RecommendationSerializer

    @extend_schema(operation_id="recommendations_retrieve")
    def get(self, request, id: int | None):
        visible_or_404(request, Recommendation, id, "recommendation.read")
        return recommendation_response(request, id)


@extend_schema(tags=["workflow"])
class RecommendationReviewsApi(WorkflowApi):
    serializer_class = ReviewSerializer

    @extend_schema(
        operation_id="recommendation_reviews_create",
        description="An MDT member of the child's team approves or rejects (a comment is "
        "required to reject). One review per member; any rejection rejects; the team's "
        "quorum of approvals approves. The case worker is notified.",
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Recommendation, id, "review.create")
        body = ReviewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = run_service(
            request,
            Recommendation,
            id,
            "review.create",
            services.review_create,
            recommendation_id=id,
            **body.validated_data,
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["workflow"])
class RecommendationReferApi(WorkflowApi):
    serializer_class = ReferralSerializer

    @extend_schema(
        operation_id="recommendation_refer",
        description="Refer the child to the recommended home: once the MDT approved (409 "
        "with the reason before), or at once with crisis_override and a justification, "
        "which is recorded and sends the recommendation to the MDT after the fact. At most "
        "three homes at once.",
        request=ReferSerializer,
        responses={201: ReferralSerializer},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Recommendation, id, "referral.create")
        body = ReferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        referral = run_service(
            request,
            Recommendation,
            id,
            "referral.create",
            services.referral_create,
            recommendation_id=id,
            **body.validated_data,
        )
        return referral_response(request, referral.pk, status_code=201)


@extend_schema(tags=["workflow"])
class SurvivorWaitlistApi(WorkflowApi):
    serializer_class = WaitlistEntrySerializer

    @extend_schema(
        operation_id="survivor_waitlist",
        description="Waitlist a child no home fits now (409 while any home fits). Their "
        "case workers are then notified of each home that becomes feasible, once.",
        request=None,
        responses={200: WaitlistEntrySerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Survivor, id, "waitlist.add")
        entry = run_service(
            request, Survivor, id, "waitlist.add", services.survivor_waitlist, survivor_id=id
        )
        return Response(WaitlistEntrySerializer(entry).data)


class CaseListCreateApi(SurvivorListCreateApi):
    """`survivors/`: the list, and an intake recorded through the workflow's
    `case_create`, which opens the legal duties the intake calls for at once."""

    create_service = staticmethod(services.case_create)


@extend_schema(tags=["workflow"])
class SurvivorKeepApartApi(WorkflowApi):
    serializer_class = KeepApartSerializer
    pagination_class = None  # a child's few links, answered as a plain list

    @extend_schema(
        operation_id="survivor_keep_apart_list",
        description="The children this child must be kept apart from, among those you may "
        "see (a link to a child you may not see is kept, and applied, but not shown).",
        responses=KeepApartSerializer(many=True),
    )
    def get(self, request, id: int | None):
        survivor = visible_or_404(request, Survivor, id, "survivor.read")
        if need_to_know(request.user):  # the reason names a threat: not the MDT's to read
            policy.refuse(
                actor=request.user,
                model=Survivor,
                object_id=survivor.pk,
                action="survivor.read",
                ip=request_ip(request),
            )
            raise PermissionDenied()
        lines = keep_apart_list(user=request.user, survivor_id=survivor.pk)
        survivor_record_reads(
            actor=request.user, survivors=[survivor], ip=request_ip(request), action="survivor.read"
        )
        return Response(KeepApartSerializer(lines, many=True).data)

    @extend_schema(
        operation_id="survivor_keep_apart_create",
        description="Keep this child apart from another (`survivor`: her id; `reason`). "
        "From then on no search offers, and no referral, hold or arrival is allowed at, a "
        "home where either is placed, held or referred (rule `keep_apart`); where both "
        "are already referred to one home, the later referral is withdrawn. 404 for a "
        "child you may not see; 409 when the two are already kept apart.",
        request=KeepApartCreateSerializer,
        responses={201: KeepApartSerializer, **CONFLICT},
    )
    def post(self, request, id: int | None):
        visible_or_404(request, Survivor, id, "survivor.keep_apart")
        body = KeepApartCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = run_service(
            request,
            Survivor,
            id,
            "survivor.keep_apart",
            services.keep_apart_create,
            survivor_id=id,
            other_id=body.validated_data["survivor"],
            reason=body.validated_data["reason"],
        )
        other = Survivor.objects.get(pk=link.other_than(id))
        return Response(
            KeepApartSerializer(KeepApartLine(link=link, other=other)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["workflow"])
class SurvivorKeepApartDetailApi(WorkflowApi):
    serializer_class = KeepApartSerializer

    @extend_schema(
        operation_id="survivor_keep_apart_end",
        description="End the link between the two children (kept on both trails, never "
        "deleted). 404 for a child you may not see, or when no link joins them.",
        responses={200: KeepApartSerializer},
    )
    def delete(self, request, id: int | None, other_id: int | None):
        visible_or_404(request, Survivor, id, "survivor.keep_apart_end")
        link = run_service(
            request,
            Survivor,
            id,
            "survivor.keep_apart_end",
            services.keep_apart_end,
            survivor_id=id,
            other_id=other_id,
        )
        other = Survivor.objects.get(pk=link.other_than(id))
        return Response(KeepApartSerializer(KeepApartLine(link=link, other=other)).data)


@extend_schema(tags=["survivors"])
class SurvivorDetailApi(AuditedRefusals, generics.GenericAPIView):
    """One survivor record, if you may see it (404 otherwise, exactly as for no record)."""

    # Here, not in the survivors app: an update goes through the workflow's
    # `case_update`, so a change that makes an open referral or hold unfit withdraws it
    # at once; the survivors app cannot import the workflow.
    permission_classes = [IsAuthenticated & (ReadOnly | CanEditSurvivor)]
    serializer_class = SurvivorSerializer
    filter_backends: list = []

    @extend_schema(operation_id="survivors_retrieve")
    def get(self, request, id: int | None):
        survivor = self.visible_survivor(request, id)
        return self.respond_with(request, survivor)

    @extend_schema(
        operation_id="survivors_update",
        description="Replace the intake fields (assigned case workers, the agency's "
        "supervisors, admins; MDT members get 403).",
    )
    def put(self, request, id: int | None):
        return self._update(request, id, partial=False)

    @extend_schema(operation_id="survivors_partial_update")
    def patch(self, request, id: int | None):
        return self._update(request, id, partial=True)

    def _update(self, request, survivor_id: int | None, *, partial: bool) -> Response:
        survivor = self.visible_survivor(request, survivor_id)
        self.check_object_permissions(request, survivor)
        serializer = SurvivorSerializer(survivor, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.case_update(
            actor=request.user,
            survivor_id=survivor.pk,
            data=serializer.validated_data,
            ip=request_ip(request),
        )
        return self.respond_with(request, self.visible_survivor(request, survivor.pk))
