"""The shapes of placement outcomes over REST (`placements/{id}/outcomes/`): the same
choices as the model, the page's form and the service."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from placement.models import FollowUp


class FollowUpRecordSerializer(serializers.Serializer):
    day = serializers.ChoiceField(
        choices=FollowUp.Day.choices, help_text="Which follow-up: 30 or 90 days after arrival."
    )
    outcome = serializers.ChoiceField(
        choices=FollowUp.RECORDABLE, help_text="How the placement stood on that day."
    )


class FollowUpSerializer(serializers.ModelSerializer):
    outcome = serializers.ChoiceField(
        choices=FollowUp.Outcome.choices,
        allow_null=True,
        read_only=True,
        help_text="Null while the follow-up is open.",
    )
    from_discharge = serializers.BooleanField(
        read_only=True,
        help_text="Filled from the discharge reason: the placement ended before its day.",
    )

    class Meta:
        model = FollowUp
        fields = ["id", "day", "due_at", "outcome", "recorded_at", "from_discharge"]
        read_only_fields = fields

    def to_representation(self, instance: FollowUp) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["outcome"] = instance.outcome or None
        return data


class HomeStabilitySerializer(serializers.Serializer):
    """A home's placement stability at 90 days, beside a recommendation. It informs the
    MDT and never changes the ranking; every number is null when few placements were
    counted (fewer than 11), since small counts could point at a child."""

    placements = serializers.IntegerField(allow_null=True, help_text="Outcomes counted.")
    stable_share = serializers.FloatField(
        allow_null=True, help_text="Share still placed or moved as planned (0 to 1)."
    )
    runaways = serializers.IntegerField(allow_null=True)
    disruptions = serializers.IntegerField(allow_null=True)
    few = serializers.BooleanField(help_text="Fewer than 11 placements: not enough to judge.")
