from __future__ import annotations

import orjson
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from matching.permissions import SeesWholeDirectory
from matching.selectors import (
    HomeSearch,
    needs_from_fields,
    search_homes,
)
from matching.serializers import (
    MatchQuerySerializer,
    MatchResponseSchema,
    WhatIfSerializer,
    match_response,
)

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


def search_of_query(needs, query: MatchQuerySerializer, *, zone_details: bool = True) -> HomeSearch:
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
    return Response(match_response(search_of_query(needs, query)))
