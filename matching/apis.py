from __future__ import annotations

import json

import orjson
from django.http import HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from audit.services import request_ip
from core.types import actor_of
from matching.directory import directory_cache
from matching.exports import excluded_csv
from matching.permissions import SeesWholeDirectory
from matching.selectors import (
    SEARCH_FIELDS,
    HomeSearch,
    misses_without_zones,
    needs_from_fields,
    needs_of_survivor,
    search_homes,
)
from matching.serializers import (
    MatchQuerySerializer,
    MatchResponseSchema,
    WhatIfSerializer,
    match_response,
)
from matching.services import excluded_download_record, search_record
from survivors.policy import need_to_know, survivor_or_refuse

MATCH_PARAMETERS = [
    OpenApiParameter("limit", int, description="How many ranked homes (1–500, default 20)."),
    OpenApiParameter(
        "include_excluded", bool, description="Also list the infeasible homes and why."
    ),
    OpenApiParameter(
        "excluded_limit", int, description="Excluded homes per page (1–1000, default 200)."
    ),
    OpenApiParameter("excluded_offset", int, description="Excluded homes to skip (default 0)."),
]


class SearchJSONRenderer(JSONRenderer):
    """DRF's JSON, written by orjson: the same bytes (dates in DRF's form, "Z" for UTC;
    errors and lazy texts through DRF's own encoder) in a fraction of the time."""

    _default = staticmethod(JSONEncoder().default)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        text = orjson.dumps(data, default=self._default, option=orjson.OPT_UTC_Z)
        # As DRF does: U+2028 and U+2029 escaped, so the JSON is also valid JavaScript.
        return text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


def _search(needs, query: MatchQuerySerializer, *, zone_details: bool = True) -> HomeSearch:
    data = query.validated_data
    return search_homes(
        needs,
        zone_details=zone_details,
        limit=data["limit"],
        include_excluded=data["include_excluded"],
        excluded_limit=data["excluded_limit"],
        excluded_offset=data["excluded_offset"],
    )


@extend_schema(
    operation_id="survivor_matches",
    parameters=MATCH_PARAMETERS,
    responses={200: MatchResponseSchema},
    tags=["matching"],
)
@api_view(["GET"])
@renderer_classes([SearchJSONRenderer])
def survivor_matches(request: Request, id: int | None) -> Response:
    """Ranked homes for a survivor, why not for the others, and what would open more.

    Whoever may see the survivor may search for them; the search is recorded. An MDT
    member reads "Inside an exclusion zone" where a case worker reads which zone and
    how near (need to know).
    """
    query = MatchQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    # `id` is None for a path segment that cannot be an id (config.api.RecordIdConverter).
    survivor = survivor_or_refuse(
        actor=request.user,
        survivor_id=id,
        action="survivor.match",
        ip=request_ip(request),
        fields=SEARCH_FIELDS,
    )
    needs = needs_of_survivor(survivor, today=timezone.localdate())
    search = _search(needs, query, zone_details=not need_to_know(request.user))
    search_record(
        actor=actor_of(request),
        survivor=survivor,
        needs=needs,
        result=search.result,
        ip=request_ip(request),
    )
    return Response(match_response(search))


@extend_schema(
    operation_id="match_what_if",
    request=WhatIfSerializer,
    parameters=MATCH_PARAMETERS,
    responses={200: MatchResponseSchema},
    tags=["matching"],
)
@api_view(["POST"])
@renderer_classes([SearchJSONRenderer])
@permission_classes([IsAuthenticated & SeesWholeDirectory])
def what_if_match(request: Request) -> Response:
    """A what-if search from matching fields alone: no identity, nothing stored.

    For everyone who reads the whole directory; a home admin, who sees only their own
    homes, gets 403."""
    query = MatchQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    body = WhatIfSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    needs = needs_from_fields(body.validated_data, today=timezone.localdate())
    return Response(match_response(_search(needs, query)))


class CSVRenderer(BaseRenderer):
    """Lets a client ask for text/csv; errors still go out as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


@extend_schema(
    operation_id="survivor_matches_excluded",
    responses={(200, "text/csv"): OpenApiTypes.STR},
    tags=["matching"],
)
@api_view(["GET"])
@renderer_classes([JSONRenderer, CSVRenderer])
def survivor_matches_excluded(request: Request, id: int | None) -> HttpResponseBase:
    """Every home the survivor is not eligible for, with every reason, as a CSV download
    (the search's excluded list, whole). Streamed: the directory's size does not matter.
    An MDT member's reasons say only "Inside an exclusion zone", as in the search."""
    survivor = survivor_or_refuse(
        actor=request.user,
        survivor_id=id,
        action="survivor.match_excluded",
        ip=request_ip(request),
    )
    needs = needs_of_survivor(survivor, today=timezone.localdate())
    excluded_download_record(actor=actor_of(request), survivor=survivor, ip=request_ip(request))
    misses = directory_cache.excluded(needs)
    if need_to_know(request.user):
        misses = misses_without_zones(misses)
    response = StreamingHttpResponse(excluded_csv(misses), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="excluded-homes-{survivor.pk}.csv"'
    return response
