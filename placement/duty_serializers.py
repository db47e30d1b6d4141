"""The legal duties and missing episodes over REST: what the API answers and takes."""

from __future__ import annotations

from rest_framework import serializers

from core.vocab import NAME_MAX
from placement.models import TEXT_MAX, Duty, MissingEpisode
from survivors.models import need_to_know

DUTY_STATUSES = [("due", "due"), ("overdue", "overdue"), ("done", "done")]


class DutySerializer(serializers.ModelSerializer):
    """One legal duty with its clock. `reference` is the case side's (not MDT members')."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status = serializers.SerializerMethodField(help_text="`due`, `overdue` or `done`.")
    crisis = serializers.BooleanField(
        read_only=True, help_text="A reporting clock of hours (listed first)."
    )
    on_time = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Done by the deadline; null while open."
    )
    completed_by = serializers.CharField(
        source="completed_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Duty
        fields = [
            "id", "survivor", "kind", "kind_label", "status", "crisis", "episode",
            "opened_at", "due_at", "completed_at", "completed_by", "on_time", "reference",
        ]  # fmt: skip
        read_only_fields = fields

    def get_status(self, duty: Duty) -> str:
        return duty.status

    def to_representation(self, instance: Duty) -> dict:
        data = super().to_representation(instance)
        user = self.context.get("user")
        if user is not None and need_to_know(user):
            data.pop("reference", None)
        return data


class DutyQuerySerializer(serializers.Serializer):
    survivor = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    status = serializers.ChoiceField(choices=DUTY_STATUSES, required=False, allow_blank=True)


class DutyCompleteSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=NAME_MAX,
        required=False,
        allow_blank=True,
        help_text="The number the report was given (police case, NCMEC case, HHS request).",
    )
    completed_at = serializers.DateTimeField(
        required=False, help_text="When it was done; now when left out."
    )


class MissingStartSerializer(serializers.Serializer):
    missing_since = serializers.DateTimeField(
        required=False,
        help_text="When she was found gone (the reports' clocks run from it); now when left out.",
    )


class ReturnedSerializer(serializers.Serializer):
    found_at = serializers.CharField(
        max_length=TEXT_MAX, help_text="Where the child was found (encrypted)."
    )
    returned_at = serializers.DateTimeField(required=False, help_text="Now when left out.")


class MissingEpisodeSerializer(serializers.ModelSerializer):
    duties = DutySerializer(many=True, read_only=True)
    placement_fits = serializers.SerializerMethodField(
        help_text="After the return: the placement passed every rule again (null while missing)."
    )

    class Meta:
        model = MissingEpisode
        fields = [
            "id", "placement", "survivor", "started_at", "source", "returned_at",
            "found_at", "placement_fits", "recheck_failed", "duties",
        ]  # fmt: skip
        read_only_fields = fields

    def get_placement_fits(self, episode: MissingEpisode) -> bool | None:
        if episode.returned_at is None:
            return None
        return not episode.recheck_failed
