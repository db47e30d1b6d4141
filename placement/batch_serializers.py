"""Batches (mass recovery) over the API: the request for a plan, and the plan.

The request's shape is checked here (a string for `survivors`, a pair of three, a pin
that is not an id: 400 naming the field); what it means (children in two groups, a
pair also kept together, a child already placed) is checked by `batch_create`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.serializers import FactorSchema
from placement.models import BATCH_MAX_CHILDREN, Batch, BatchAssignment
from placement.models.workflow import TEXT_MAX
from placement.serializers import MAX_ID
from placement.services.batches import (
    EXCLUDED_HOMES_MAX,
    KEEP_APART_MAX,
    TIME_LIMIT_DEFAULT,
    TIME_LIMIT_MAX,
    assignments_of,
)


def _ids(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), **kwargs
    )


class PinsField(serializers.DictField):
    """{child id: home id}; JSON keys are strings, so "12": 7 is child 12 to home 7."""

    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data: Any) -> dict[int, int]:
        if isinstance(data, dict) and len(data) > BATCH_MAX_CHILDREN:
            raise serializers.ValidationError(
                gettext("Pin at most %(n)d children.") % {"n": BATCH_MAX_CHILDREN}
            )
        pins = super().to_internal_value(data)
        out: dict[int, int] = {}
        for key, home in pins.items():
            if not (key.isascii() and key.isdigit()) or not 1 <= int(key) <= MAX_ID:
                raise serializers.ValidationError(
                    gettext("%(key)r is not a child's id.") % {"key": key[:20]}
                )
            out[int(key)] = home
        return out


class GroupsField(serializers.ListField):
    """Groups of ids naming at most BATCH_MAX_CHILDREN children in all, counted before
    any id is read (500 groups of 500 would be 250,000 ids)."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and (
            sum(len(group) if isinstance(group, list) else 1 for group in data) > BATCH_MAX_CHILDREN
        ):
            raise serializers.ValidationError(
                gettext("The groups name at most %(n)d children in all.")
                % {"n": BATCH_MAX_CHILDREN}
            )
        return super().to_internal_value(data)


class BatchCreateSerializer(serializers.Serializer):
    survivors = _ids(
        max_length=BATCH_MAX_CHILDREN,
        help_text=f"The children to place together (1 to {BATCH_MAX_CHILDREN} survivor ids).",
    )
    keep_together = GroupsField(
        child=_ids(min_length=2, max_length=BATCH_MAX_CHILDREN),
        max_length=BATCH_MAX_CHILDREN // 2,
        required=False,
        default=list,
        help_text="Groups (siblings) who must share a home or stay unplaced together.",
    )
    keep_apart = serializers.ListField(
        child=_ids(min_length=2, max_length=2),
        max_length=KEEP_APART_MAX,
        required=False,
        default=list,
        help_text="Pairs (co-victims, a recruiter) who must never share a home.",
    )
    pins = PinsField(
        required=False,
        default=dict,
        help_text="{child id: home id}: the only home that child may get.",
    )
    excluded_homes = _ids(
        max_length=EXCLUDED_HOMES_MAX,
        required=False,
        default=list,
        help_text="Homes the plan must not use.",
    )
    time_limit_seconds = serializers.IntegerField(
        min_value=1,
        max_value=TIME_LIMIT_MAX,
        required=False,
        default=TIME_LIMIT_DEFAULT,
        help_text="How long the solver may search; the best plan found by then is kept, "
        "with its gap.",
    )

    def validate_survivors(self, value: list[int]) -> list[int]:
        if not value:
            raise serializers.ValidationError(gettext("Pick at least one child."))
        return value


class BatchCrisisOverrideSerializer(serializers.Serializer):
    """A group at night (the page's BatchCrisisForm): every child the plan places is
    referred now; the MDT reviews the plan after the fact."""

    justification = serializers.CharField(
        max_length=TEXT_MAX,
        help_text="Why the children cannot wait for the MDT's review (the MDT reads it).",
        error_messages={
            "required": gettext_lazy("A crisis override needs a justification."),
            "blank": gettext_lazy("A crisis override needs a justification."),
        },
    )


class BatchSplitSerializer(serializers.Serializer):
    """Siblings no home takes together, placed apart by a recorded decision (the page's
    BatchSplitForm)."""

    group = serializers.IntegerField(
        min_value=1,
        max_value=BATCH_MAX_CHILDREN,
        help_text="The keep-together group to place apart: 1 for the first in "
        "`keep_together`, as the plan's page numbers them.",
    )
    reason = serializers.CharField(
        max_length=TEXT_MAX,
        help_text="Why the siblings may be placed apart tonight (on each child's trail).",
        error_messages={
            "required": gettext_lazy("Say why the siblings may be placed apart."),
            "blank": gettext_lazy("Say why the siblings may be placed apart."),
        },
    )


class AlternativeSerializer(serializers.Serializer):
    home = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.FloatField()


class BatchAssignmentSerializer(serializers.ModelSerializer):
    home = serializers.IntegerField(source="home_id", allow_null=True)
    home_name = serializers.CharField(source="home.name", allow_null=True, default=None)
    reason = serializers.CharField(help_text="Why the child is unplaced ('' when placed).")
    breakdown = FactorSchema(many=True, help_text="The home's score, factor by factor.")
    alternatives = AlternativeSerializer(
        many=True, help_text="The next-best feasible homes, with their scores."
    )
    outcome = serializers.CharField(
        help_text="After the MDT approved: 'referred', or why the referral was refused."
    )

    class Meta:
        model = BatchAssignment
        fields = [
            "survivor",
            "home",
            "home_name",
            "score",
            "reason",
            "breakdown",
            "alternatives",
            "recommendation",
            "referral",
            "outcome",
        ]
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    """A batch: its request, where its job is, and once done the plan."""

    survivors = serializers.SerializerMethodField()
    keep_together = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField())
    )
    keep_apart = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField())
    )
    pins = serializers.DictField(
        child=serializers.IntegerField(), help_text="{child id: home id}, as asked."
    )
    excluded_homes = serializers.ListField(child=serializers.IntegerField())
    assignments = serializers.SerializerMethodField(
        help_text="One line per child, in intake order; empty until the plan is done."
    )

    class Meta:
        model = Batch
        fields = [
            "id",
            "status",
            "progress",
            "progress_note",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "time_limit_seconds",
            "survivors",
            "keep_together",
            "keep_apart",
            "pins",
            "excluded_homes",
            "total_score",
            "placed_count",
            "optimal",
            "gap",
            "solve_seconds",
            "review_status",
            "crisis_override",
            "split_from",
            "assignments",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_survivors(self, obj: Batch) -> list[int]:
        return sorted(obj.survivors.values_list("pk", flat=True))

    @extend_schema_field(BatchAssignmentSerializer(many=True))
    def get_assignments(self, obj: Batch) -> Any:
        if obj.status != Batch.Status.DONE:
            return []
        rows = self.context.get("assignments")
        if rows is None:
            rows = assignments_of(obj)
        return BatchAssignmentSerializer(rows, many=True).data
