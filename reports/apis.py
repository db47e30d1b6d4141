"""`GET /api/v1/reports/` (the list) and `GET /api/v1/reports/{name}/` (one report as JSON,
or as CSV with `?format=csv` or `Accept: text/csv`)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import request_ip
from reports.exports import report_csv, report_filename
from reports.policy import reports_refuse_unless_allowed
from reports.selectors import REPORTS, report_get, report_list
from reports.serializers import ReportFilterSerializer, ReportListItemSerializer, ReportSerializer
from reports.services import report_read_record

FORMATS = ("json", "csv")


class _FormatIsAParameter(DefaultContentNegotiation):
    """`format` picks the report's form (json|csv) and is validated by the view; errors
    go out as JSON whatever it says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _ReportApi(APIView):
    permission_classes = [IsAuthenticated]
    content_negotiation_class = _FormatIsAParameter

    def refuse_unless_allowed(self, request, name: str) -> None:
        reports_refuse_unless_allowed(user=request.user, name=name, ip=request_ip(request))


@extend_schema(tags=["reports"])
class ReportListApi(_ReportApi):
    """The reports a supervisor (their agency) or a Harbor administrator (all) may read."""

    @extend_schema(operation_id="reports_list", responses=ReportListItemSerializer(many=True))
    def get(self, request):
        self.refuse_unless_allowed(request, "")
        reports = report_list(user=request.user)
        items = [
            {
                "name": name,
                "title": info.title,
                "description": info.description,
                "url": request.build_absolute_uri(f"/api/v1/reports/{name}/"),
            }
            for name, info in reports
        ]
        return Response(ReportListItemSerializer(items, many=True).data)


class _FormatSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=FORMATS, required=False)


@extend_schema(tags=["reports"])
class ReportDetailApi(_ReportApi):
    """One report over whole months (`from` rounded down to the 1st, `to` up to the month's
    end; the last 12 months by default) and an optional custody state. Every count is a
    sum of pieces protected by the cell-key method (README, "Reports: the cell-key
    method"), so no combination of periods, states or reports gives a count exactly;
    null is a median not shown."""

    @extend_schema(
        operation_id="reports_retrieve",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(REPORTS)),
            OpenApiParameter("from", OpenApiTypes.DATE, description="Rounded down to the 1st."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Rounded up to the month's end."),
            OpenApiParameter("state", str, description="A USPS code: the child's custody state."),
            OpenApiParameter("format", str, enum=list(FORMATS), default="json"),
        ],
        responses={
            (200, "application/json"): ReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request, name: str):
        if name not in REPORTS:
            raise NotFound(gettext("No such report."))
        self.refuse_unless_allowed(request, name)
        # As on the page, a filter given empty ("from=") is a filter not given.
        query = {key: request.query_params.get(key) for key in ("from", "to", "state")}
        serializer = ReportFilterSerializer(data={k: v for k, v in query.items() if v})
        serializer.is_valid(raise_exception=True)
        form = _FormatSerializer(
            data={k: v for k, v in request.query_params.items() if k == "format"}
        )
        form.is_valid(raise_exception=True)
        wants_csv = form.validated_data.get("format") == "csv" or (
            "format" not in request.query_params and "text/csv" in request.headers.get("Accept", "")
        )
        filters = serializer.validated_data["filters"]
        report = report_get(user=request.user, name=name, filters=filters)
        report_read_record(actor=request.user, name=name, filters=filters, ip=request_ip(request))
        if wants_csv:
            response = StreamingHttpResponse(
                report_csv(report), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
            return response
        # The cells as counted (ints stay ints); ReportSerializer documents the shape.
        return Response(report.as_dict())
