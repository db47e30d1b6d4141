"""A survivor's search through the API (`survivors/{id}/matches/`): the matching app's
search, with the homes the workflow rules out for her — where a child she must be kept
apart from is placed, held or referred (`placement.selectors.case_needs`). Served from
the workflow because only it knows where the other children are."""

from __future__ import annotations

import json

from django.http import HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import request_ip
from core.types import actor_of
from matching.apis import MATCH_PARAMETERS, SearchJSONRenderer, search_of_query
from matching.directory import directory_cache
from matching.exports import excluded_csv
from matching.selectors import SEARCH_FIELDS, misses_without_zones
from matching.serializers import MatchQuerySerializer, MatchResponseSchema, match_response
from matching.services import excluded_download_record, search_record
from placement.selectors import case_needs
from survivors.policy import need_to_know, survivor_or_refuse


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
    needs = case_needs(survivor, today=timezone.localdate())
    search = search_of_query(needs, query, zone_details=not need_to_know(request.user))
    search_record(
        actor=actor_of(request),
        survivor=survivor,
        needs=needs,
        result=search.result,
        ip=request_ip(request),
    )
    return Response(match_response(search))


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
    needs = case_needs(survivor, today=timezone.localdate())
    excluded_download_record(actor=actor_of(request), survivor=survivor, ip=request_ip(request))
    misses = directory_cache.excluded(needs)
    if need_to_know(request.user):
        misses = misses_without_zones(misses)
    response = StreamingHttpResponse(excluded_csv(misses), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="excluded-homes-{survivor.pk}.csv"'
    return response
