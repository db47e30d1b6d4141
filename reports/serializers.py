from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import serializers

from reports.filters import report_filters


class ReportFilterSerializer(serializers.Serializer):
    """`?from=&to=&state=`, validated by the same function as the page's form."""

    to = serializers.DateField(required=False, allow_null=True, input_formats=["%Y-%m-%d"])
    state = serializers.CharField(required=False, allow_blank=True, max_length=10)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, allow_null=True, input_formats=["%Y-%m-%d"]
        )
        return fields

    def validate(self, attrs):
        try:
            attrs["filters"] = report_filters(
                date_from=attrs.get("from"), date_to=attrs.get("to"), state=attrs.get("state")
            )
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class ReportListItemSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField()


class ReportTableSerializer(serializers.Serializer):
    name = serializers.CharField()
    caption = serializers.CharField()
    row_header = serializers.CharField()
    rows = serializers.ListField(child=serializers.CharField())
    columns = serializers.ListField(child=serializers.CharField())
    cells = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="Row by row; counts protected (the cell-key method); null: a median not shown.",
    )
    row_totals = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), allow_null=True
    )
    column_totals = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), allow_null=True
    )
    grand_total = serializers.IntegerField(allow_null=True)


class ReportFiltersOutSerializer(serializers.Serializer):
    to = serializers.DateField()
    state = serializers.CharField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields


class ReportSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    filters = ReportFiltersOutSerializer()
    tables = ReportTableSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())
