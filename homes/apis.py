"""The home directory over REST: `homes/`, its export, and a home's bed history. One
home's profile and beds (`homes/{id}/`, `homes/{id}/availability/`) are served by the
workflow's views (placement.home_apis), since a change there re-checks the waitlist;
they use `home_or_404` from here.

Reading the directory is for case workers, supervisors, MDT members and Harbor admins;
a home admin reads only their own homes (a safe home's location is secret from other
homes), and gets 404 for any other. Creating a home is for Harbor admins; editing its
profile and its beds and staffing are for that home's admins and Harbor admins (a home
admin may not change what the license says: homes.policy). To a user who reads the
whole directory a home's existence is no secret, so one who may not change it gets
403, not 404.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsHarborAdmin, IsHomeAdmin, ReadOnly
from audit.services import request_ip
from homes.exports import EXPORT_FORMATS, directory_csv, directory_hsds, home_export_record
from homes.filters import HomeFilter
from homes.models import AvailabilityChange, Home
from homes.policy import ChangeAuthor, availability_author, home_refuse
from homes.selectors import home_availability_history, home_get, home_list
from homes.serializers import AvailabilityChangeSerializer, HomeSerializer
from homes.services import home_create


def home_or_404(request, home_id: int | None, action: str) -> Home:
    """The home if the user may know it exists, else the API's 404 (a home admin's
    attempt on another home is audited)."""
    home = home_get(user=request.user, home_id=home_id) if home_id is not None else None
    if home is None:
        home_refuse(user=request.user, home_id=home_id, action=action, ip=request_ip(request))
    return home


@extend_schema_serializer(component_name="AvailabilityChange")
class AvailabilityHistorySerializer(AvailabilityChangeSerializer):
    """A change as the reader may see it. A case worker or supervisor is named only to
    their own agency (and Harbor admins); a reader from another agency sees which agency
    (`by_agency`), not who. To a home's admins, `by` names only Harbor's side of the home
    (its admins, Harbor admins): which agency's worker held or filled a bed there is the
    case side's to know."""

    by = serializers.CharField(
        source="by.username",
        read_only=True,
        allow_null=True,
        help_text="Username of whoever made the change; null for the system, for a case "
        "worker or supervisor of another agency than the reader's, and, shown to a home's "
        "admins, for any case worker or supervisor.",
    )
    by_agency = serializers.SerializerMethodField(
        help_text="The agency of a case worker or supervisor who made the change, for a "
        "reader on the case side; null otherwise."
    )

    class Meta(AvailabilityChangeSerializer.Meta):
        fields = [*AvailabilityChangeSerializer.Meta.fields, "by_agency"]

    def get_by_agency(self, instance: AvailabilityChange) -> str | None:
        return self._author(instance).agency

    def to_representation(self, instance: AvailabilityChange) -> dict:
        data = super().to_representation(instance)
        data["by"] = self._author(instance).username
        return data

    def _author(self, instance: AvailabilityChange) -> ChangeAuthor:
        return availability_author(self.context.get("reader"), instance)


@extend_schema(tags=["homes"])
class HomeListCreateApi(generics.GenericAPIView):
    permission_classes = [IsAuthenticated & (ReadOnly | IsHarborAdmin)]
    serializer_class = HomeSerializer
    filterset_class = HomeFilter

    def get_queryset(self):
        return home_list(user=getattr(self.request, "user", None))

    @extend_schema(operation_id="homes_list", responses=HomeSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(HomeSerializer(page, many=True).data)

    @extend_schema(operation_id="homes_create", responses={201: HomeSerializer})
    def post(self, request):
        serializer = HomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        home = home_create(actor=request.user, data=serializer.validated_data)
        return Response(
            HomeSerializer(home_get(user=request.user, home_id=home.pk)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["homes"])
class HomeAvailabilityHistoryApi(generics.GenericAPIView):
    """A home's bed and staffing changes, newest first: before, after, who, when.

    Readable by whoever may see the home, like the directory it belongs to: a case
    worker judging whether a bed count is trustworthy needs its history. A home admin
    reads only their own homes' (404 for another), without the names of the case
    workers who held or filled its beds.
    """

    permission_classes = [IsAuthenticated]
    serializer_class = AvailabilityHistorySerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="homes_availability_history",
        responses=AvailabilityHistorySerializer(many=True),
    )
    def get(self, request, id: int | None):
        home = home_or_404(request, id, "home.availability_history")
        page = self.paginate_queryset(home_availability_history(home_id=home.pk))
        # Only the case side (and Harbor admins) read which agency's worker was there.
        context = {"reader": request.user}
        return self.get_paginated_response(
            AvailabilityHistorySerializer(page, many=True, context=context).data
        )


class _FormatIsAParameter(DefaultContentNegotiation):
    """`format` is the export's own parameter (csv|hsds), not DRF's renderer override:
    errors go out as JSON whatever it says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class HomeExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=EXPORT_FORMATS)


@extend_schema(tags=["homes"])
class HomeExportApi(generics.GenericAPIView):
    """The whole directory as a download, for Harbor admins: `format=csv` (the import's
    columns, UTF-8 with a byte-order mark, formula cells escaped) or `format=hsds`
    (HSDS 3.0 JSON: one page of fully nested services; a confidential home's location
    is its state only). Each home carries its AFCARS placement-setting code. A home
    admin downloads their own homes as CSV (with the external ids a re-import matches
    on); HSDS is the whole directory's, for Harbor admins. Streamed; every export is
    audited (who, when, format, how many homes)."""

    permission_classes = [IsAuthenticated & (IsHarborAdmin | IsHomeAdmin)]
    content_negotiation_class = _FormatIsAParameter
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        operation_id="homes_export",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(EXPORT_FORMATS),
                default="csv",
                description="csv: the import's columns; hsds: HSDS 3.0 JSON.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    def get(self, request):
        # Absent means csv; given empty ("format=") is refused like any unknown format.
        query = HomeExportQuerySerializer(
            data={"format": request.query_params.get("format", "csv")}
        )
        query.is_valid(raise_exception=True)
        export_format = query.validated_data["format"]
        homes = Home.objects.editable_by(request.user)
        if not request.user.is_harbor_admin and export_format != "csv":
            raise PermissionDenied(gettext("A home administrator downloads their homes as CSV."))
        total = homes.count()
        home_export_record(
            actor=request.user, format=export_format, homes=total, ip=request_ip(request)
        )
        day = timezone.localdate().isoformat()
        if export_format == "hsds":
            response = StreamingHttpResponse(
                directory_hsds(total), content_type="application/json; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="harbor-homes-{day}.hsds.json"'
        else:
            response = StreamingHttpResponse(
                directory_csv(homes), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="harbor-homes-{day}.csv"'
        return response
