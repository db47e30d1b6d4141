from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import request_ip
from matching.selectors import match_needs, needs_from_fields, needs_of_survivor
from matching.serializers import (
    MatchQuerySerializer,
    MatchResponseSchema,
    WhatIfSerializer,
    match_response,
)
from matching.services import search_record
from survivors.policy import survivor_or_refuse


@extend_schema(
    operation_id="survivor_matches",
    parameters=[
        OpenApiParameter("limit", int, description="How many ranked homes (1–500, default 20)."),
        OpenApiParameter(
            "include_excluded", bool, description="Also list every infeasible home and why."
        ),
    ],
    responses={200: MatchResponseSchema},
    tags=["matching"],
)
@api_view(["GET"])
def survivor_matches(request: Request, id: int | None) -> Response:
    """Ranked homes for a survivor, why not for the others, and what would open more.

    Whoever may see the survivor may search for them; the search is recorded.
    """
    query = MatchQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    # `id` is None for a path segment that cannot be an id (config.api.RecordIdConverter).
    survivor = survivor_or_refuse(
        actor=request.user, survivor_id=id, action="survivor.match", ip=request_ip(request)
    )
    needs = needs_of_survivor(survivor, today=timezone.localdate())
    result = match_needs(
        needs,
        limit=query.validated_data["limit"],
        include_excluded=query.validated_data["include_excluded"],
    )
    search_record(
        actor=request.user, survivor=survivor, needs=needs, result=result, ip=request_ip(request)
    )
    return Response(match_response(result))


@extend_schema(
    operation_id="match_what_if",
    request=WhatIfSerializer,
    parameters=[
        OpenApiParameter("limit", int, description="How many ranked homes (1–500, default 20)."),
        OpenApiParameter(
            "include_excluded", bool, description="Also list every infeasible home and why."
        ),
    ],
    responses={200: MatchResponseSchema},
    tags=["matching"],
)
@api_view(["POST"])
def what_if_match(request: Request) -> Response:
    """A what-if search from matching fields alone: no identity, nothing stored."""
    query = MatchQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    body = WhatIfSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    needs = needs_from_fields(body.validated_data, today=timezone.localdate())
    result = match_needs(
        needs,
        limit=query.validated_data["limit"],
        include_excluded=query.validated_data["include_excluded"],
    )
    return Response(match_response(result))
