"""The directory import over REST: `homes/import/` and its job `homes/import/{id}/`.

A POST checks the file at the door (a bad file is a 400 naming `file`) and answers 201
with the job; the rows are read by a Celery job whose progress and result
`homes/import/{id}/` shows. Always a job, even for a small file, so a client has one
shape to read; where tasks run inline (the demo, the tests) the 201 already holds the
result.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.errors import NotFound
from core.parsers import HarborJSONParser
from homes.import_files import ImportFileError, max_bytes, too_large_message
from homes.imports import home_import_start, may_import
from homes.models import HomeImport


class CanImportHomes(BasePermission):
    """Harbor admins (any home) and home admins (their own homes)."""

    message = "Only Harbor administrators and home administrators import homes."

    def has_permission(self, request, view) -> bool:
        return may_import(request.user)


class HomeImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A CSV (UTF-8) or XLSX file with the template's header row "
        "(homes/export/?format=csv writes one)."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every row and show the plan; store nothing."
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row as a spreadsheet numbers it (header: 1).")
    column = serializers.CharField(help_text="The column's header (the field's name).")
    message = serializers.CharField()


class ImportPlanSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["create", "update"])
    external_id = serializers.CharField()
    name = serializers.CharField()
    changed = serializers.ListField(child=serializers.CharField())
    values = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2),
        required=False,
        help_text="For an update, each changed field's [value now, value in the file].",
    )


class HomeImportSerializer(serializers.ModelSerializer):
    # A declared field, not Serializer.errors: DRF's metaclass moves it to _declared_fields.
    errors = ImportErrorSerializer(many=True, read_only=True)  # type: ignore[assignment]
    preview = ImportPlanSerializer(
        many=True, read_only=True, help_text="The homes created or changed (first 1,000)."
    )
    progress = serializers.IntegerField(read_only=True, help_text="Percent done.")
    stored = serializers.SerializerMethodField(help_text="True once the homes are stored.")

    class Meta:
        model = HomeImport
        fields = [
            "id", "status", "progress", "file_name", "dry_run", "stored", "rows_total",
            "created", "updated", "unchanged", "error_count", "errors", "preview", "message",
            "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_stored(self, job: HomeImport) -> bool:
        return job.status == HomeImport.Status.IMPORTED


@extend_schema(tags=["homes"])
class HomeImportApi(generics.GenericAPIView):
    """Import homes from a CSV or XLSX file (multipart: `file`, `dry_run`).

    Answers 201 with the job (`status`: `queued`, `running`, then `invalid` — rows have
    errors, each naming its row and column; `checked` — a dry run found every row
    valid; `imported`; or `failed`). Nothing is stored unless every row is valid. Rows
    are matched to homes by `external_id`: a re-import updates instead of duplicating.
    A home admin may only update their own homes, not what the license says.
    """

    permission_classes = [IsAuthenticated & CanImportHomes]
    # JSON too, so that a client posting JSON hears that `file` is missing, not a 415.
    parser_classes = [MultiPartParser, HarborJSONParser]
    serializer_class = HomeImportRequestSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="homes_import",
        request={"multipart/form-data": HomeImportRequestSerializer},
        responses={201: HomeImportSerializer},
    )
    def post(self, request):
        # Refused before the body is read: a 50 MB upload is not parsed at all.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not (length.isascii() and length.isdigit()) or int(length) > max_bytes() + 64 * 1024:
            raise ImportFileError(too_large_message())
        serializer = HomeImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > max_bytes():
            raise ImportFileError(too_large_message())
        job = home_import_start(
            actor=request.user,
            name=upload.name or "",
            content=upload.read(),
            dry_run=serializer.validated_data["dry_run"],
        )
        job.refresh_from_db()  # where tasks run inline, the job is done already
        return Response(HomeImportSerializer(job).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["homes"])
class HomeImportDetailApi(generics.GenericAPIView):
    """An import job: its progress, and once finished its counts, errors and plan.
    Only whoever uploaded it sees it (a Harbor admin sees every one)."""

    permission_classes = [IsAuthenticated & CanImportHomes]
    serializer_class = HomeImportSerializer
    filter_backends: list = []

    @extend_schema(operation_id="homes_import_retrieve")
    def get(self, request, id: int | None):
        jobs = HomeImport.objects.defer("content")
        if not request.user.is_harbor_admin:
            jobs = jobs.filter(created_by=request.user)
        job = jobs.filter(pk=id).first() if id is not None else None
        if job is None:
            raise NotFound()
        return Response(HomeImportSerializer(job).data)
