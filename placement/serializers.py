"""Representations of the placement workflow for the API.

A referral is shown two ways. The case side (whoever may see the survivor) gets the
survivor's id. The receiving home gets the child de-identified (age, gender, needs,
the case worker's contact; no name, case number or notes) until it accepts; then
`identity` carries who the child is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.inputs import NEEDS_INPUTS
from core.vocab import NAME_MAX, PHONE_MAX, GoodCause, validate_phone
from matching.serializers import FactorSchema
from placement.models import (
    ANSWER_DECISIONS,
    CLOSE_REASON_MAX,
    KEEP_APART_REASON_MAX,
    TEXT_MAX,
    Placement,
    Recommendation,
    Referral,
    Review,
)
from placement.outcome_serializers import HomeStabilitySerializer
from placement.selectors import home_stability
from survivors.models import Survivor

MAX_ID = 2**63 - 1


# --- input ---------------------------------------------------------------------------------


class RecommendationCreateSerializer(serializers.Serializer):
    home = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of the home proposed."
    )
    rationale = serializers.CharField(
        max_length=TEXT_MAX, help_text="Why this home, for the MDT (no names, please)."
    )
    good_cause = serializers.ChoiceField(
        choices=GoodCause.choices,
        required=False,
        allow_blank=True,
        help_text="ICWA (25 CFR 23.132(c)): the basis for choosing a home below a preferred "
        "home that could take the child; without it such a proposal answers 409 "
        "`good_cause_required`.",
    )
    good_cause_detail = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        help_text="The good cause in writing (required with `good_cause`).",
    )


class ReviewCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Review.Decision.choices)
    comment = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when rejecting.",
    )


class ReferSerializer(serializers.Serializer):
    crisis_override = serializers.BooleanField(
        default=False,
        help_text="Refer before the MDT approved; the MDT reviews after the fact.",
    )
    justification = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required with crisis_override: why the child cannot wait for the review.",
    )


class DeclineSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=Referral.ReasonCode.choices)
    comment = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the reason is other.",
    )


class RecordAnswerSerializer(serializers.Serializer):
    """The answer a home gave by phone, as the case worker records it (DESIGN
    "Off-platform answers"); the link's form takes the same fields."""

    decision = serializers.ChoiceField(choices=ANSWER_DECISIONS)
    answered_by = serializers.CharField(max_length=NAME_MAX, help_text="Who answered for the home.")
    answered_by_phone = serializers.CharField(
        max_length=PHONE_MAX,
        required=False,
        allow_blank=True,
        default="",
        validators=[validate_phone],
        help_text="Their number.",
    )
    reason_code = serializers.ChoiceField(
        choices=Referral.ReasonCode.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the home declined.",
    )
    comment = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the home declined for another reason.",
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=CLOSE_REASON_MAX, required=False, allow_blank=True, default=""
    )


class DischargeSerializer(serializers.Serializer):
    end_reason = serializers.ChoiceField(choices=Placement.DISCHARGE_REASONS)
    comment = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the reason is other.",
    )


class KeepApartCreateSerializer(serializers.Serializer):
    survivor = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of the child to keep her apart from."
    )
    reason = serializers.CharField(
        max_length=KEEP_APART_REASON_MAX,
        help_text="Why (a recruiter, a threat): encrypted, read by the case side only.",
    )


class KeepApartSerializer(serializers.Serializer):
    """A link seen from one child (`survivor` is the other one)."""

    id = serializers.IntegerField(source="link.pk")
    survivor = serializers.IntegerField(source="other.pk")
    case_number = serializers.CharField(source="other.case_number")
    reason = serializers.CharField(source="link.reason")
    created_by = serializers.CharField(source="link.created_by.username")
    created_at = serializers.DateTimeField(source="link.created_at")
    ended_at = serializers.DateTimeField(source="link.ended_at", allow_null=True)


class ReferralQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices, required=False)


# --- output --------------------------------------------------------------------------------


class HomeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.CharField()


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")
    recommendation_status = serializers.CharField(
        source="recommendation.status",
        help_text="The recommendation's status after this review.",
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "recommendation",
            "reviewer",
            "decision",
            "comment",
            "after_the_fact",
            "created_at",
            "recommendation_status",
        ]
        read_only_fields = fields


class ReviewItemSerializer(serializers.Serializer):
    """One review inside a recommendation."""

    id = serializers.IntegerField()
    reviewer = serializers.CharField()
    decision = serializers.ChoiceField(choices=Review.Decision.choices)
    comment = serializers.CharField()
    after_the_fact = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class RecommendationSerializer(serializers.ModelSerializer):
    """A recommendation with the snapshot the MDT reviews: what the case worker saw."""

    home = HomeRefSerializer()
    proposed_by = serializers.CharField(source="proposed_by.username")
    crisis_override_by = serializers.CharField(
        source="crisis_override_by.username", allow_null=True, default=None
    )
    approvals = serializers.SerializerMethodField()
    breakdown = FactorSchema(many=True)
    needs = serializers.JSONField(help_text="The child's matching needs (no identity).")
    home_profile = serializers.JSONField(help_text="The home's profile when it was proposed.")
    reviews = serializers.SerializerMethodField(help_text="Reviews so far, oldest first.")
    good_cause = serializers.ChoiceField(
        choices=GoodCause.choices,
        allow_blank=True,
        read_only=True,
        help_text="The ICWA good cause recorded with the choice (25 CFR 23.132), or blank.",
    )
    home_stability = serializers.SerializerMethodField(
        help_text="The home's placement stability at 90 days today (it informs the MDT; "
        "the ranking never uses it)."
    )

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "survivor",
            "home",
            "status",
            "rationale",
            "proposed_by",
            "created_at",
            "decided_at",
            "quorum",
            "approvals",
            "searched_at",
            "rank",
            "score",
            "feasible_count",
            "distance_miles",
            "stale",
            "breakdown",
            "needs",
            "home_profile",
            "icwa_tier",
            "best_icwa_tier",
            "good_cause",
            "good_cause_detail",
            "crisis_override",
            "crisis_justification",
            "crisis_override_by",
            "crisis_override_at",
            "reviews",
            "home_stability",
        ]
        read_only_fields = fields

    def get_approvals(self, obj: Recommendation) -> int:
        return sum(1 for r in obj.reviews.all() if r.decision == Review.Decision.APPROVE)

    @extend_schema_field(HomeStabilitySerializer)
    def get_home_stability(self, obj: Recommendation) -> dict[str, Any]:
        # A list passes every home's figures in its context: one query for the page.
        known = self.context.get("home_stability") or {}
        stability = known.get(obj.home_id) or home_stability([obj.home_id])[obj.home_id]
        return stability.as_dict()

    @extend_schema_field(ReviewItemSerializer(many=True))
    def get_reviews(self, obj: Recommendation) -> list[dict[str, Any]]:
        return [
            {
                "id": r.pk,
                "reviewer": r.reviewer.username,
                "decision": r.decision,
                "comment": r.comment,
                "after_the_fact": r.after_the_fact,
                "created_at": serializers.DateTimeField().to_representation(r.created_at),
            }
            for r in obj.reviews.all()
        ]


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


# What a home reads of a child's needs before accepting: the flags, levels and numbers
# of the matching fields (the engine's specification), with the custody state.
_CHILD_NEEDS = tuple(NEEDS_INPUTS)
_CHILD_FIELD = {"bool": serializers.BooleanField, "level": serializers.CharField}
if TYPE_CHECKING:
    _ChildNeeds = serializers.Serializer
else:
    _ChildNeeds = type(serializers.Serializer)(
        "_ChildNeeds",
        (serializers.Serializer,),
        {
            name: _CHILD_FIELD.get(field.kind, serializers.IntegerField)()
            for name, field in NEEDS_INPUTS.items()
        },
    )


class ChildSerializer(_ChildNeeds):
    """The child as a home sees them before accepting: no identity."""

    age = serializers.IntegerField()
    age_estimated = serializers.BooleanField(
        help_text="True when `age` grows from an estimate (the child had no papers)."
    )
    custody_state = serializers.CharField()
    primary_language = serializers.CharField()
    services_needed = serializers.ListField(child=serializers.CharField())


class IdentitySerializer(serializers.Serializer):
    """Who the child is: for the home once it has accepted."""

    first_name = serializers.CharField()
    last_name = serializers.CharField()
    alias = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True, help_text="Null: age estimated.")
    case_number = serializers.CharField()
    notes = serializers.CharField()


def child_of(survivor: Survivor) -> dict[str, Any]:
    return {
        "age": survivor.age_on(timezone.localdate()),
        "age_estimated": survivor.age_is_estimated,
        **{name: getattr(survivor, name) for name in _CHILD_NEEDS},
        "custody_state": survivor.custody_state,
        "primary_language": survivor.primary_language,
        "services_needed": list(survivor.services_needed or []),
    }


class ReferralSerializer(serializers.ModelSerializer):
    """Pass `case_side` in the context: True for whoever may see the survivor."""

    home = HomeRefSerializer()
    reason_code = serializers.ChoiceField(
        choices=Referral.ReasonCode.choices,
        allow_null=True,
        read_only=True,
        help_text="Why the home declined; null unless declined.",
    )
    answer_channel = serializers.ChoiceField(
        choices=Referral.Channel.choices,
        allow_blank=True,
        read_only=True,
        help_text="How the home's answer came: harbor (its own user), phone (recorded by "
        "the case worker), link (the single-use link); blank until it answers.",
    )
    survivor = serializers.SerializerMethodField(
        help_text="The survivor's id, for the case side; null for the home."
    )
    referred_by = serializers.SerializerMethodField(help_text="The case worker's contact.")
    placement = serializers.SerializerMethodField()
    child = serializers.SerializerMethodField()
    identity = serializers.SerializerMethodField(
        help_text="Who the child is: for the home once it has accepted; otherwise null."
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "status",
            "recommendation",
            "home",
            "survivor",
            "crisis_override",
            "beds",
            "created_at",
            "referred_by",
            "answered_at",
            "answer_channel",
            "answered_by_name",
            "answered_by_phone",
            "reason_code",
            "comment",
            "hold_expires_at",
            "closed_at",
            "close_reason",
            "placement",
            "child",
            "identity",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Referral) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["reason_code"] = data["reason_code"] or None
        return data

    def _case_side(self) -> bool:
        return bool(self.context.get("case_side"))

    def get_survivor(self, obj: Referral) -> int | None:
        return obj.survivor_id if self._case_side() else None

    @extend_schema_field(ContactSerializer)
    def get_referred_by(self, obj: Referral) -> dict[str, str]:
        user = obj.referred_by
        return {
            "name": user.get_full_name() or user.get_username(),
            "email": user.email,
            "phone": user.phone,
        }

    def get_placement(self, obj: Referral) -> int | None:
        placement = getattr(obj, "placement", None)
        return placement.pk if placement is not None else None

    @extend_schema_field(ChildSerializer)
    def get_child(self, obj: Referral) -> dict[str, Any]:
        return child_of(obj.survivor)

    @extend_schema_field(IdentitySerializer(allow_null=True))
    def get_identity(self, obj: Referral) -> dict[str, Any] | None:
        if self._case_side() or not obj.identified:
            return None
        survivor = obj.survivor
        return {
            "first_name": survivor.first_name,
            "last_name": survivor.last_name,
            "alias": survivor.alias,
            "date_of_birth": (
                survivor.date_of_birth.isoformat() if survivor.date_of_birth else None
            ),
            "case_number": survivor.case_number,
            "notes": survivor.notes,
        }


class PlacementSerializer(serializers.ModelSerializer):
    home = HomeRefSerializer()
    end_reason = serializers.ChoiceField(
        choices=Placement.EndReason.choices,
        allow_null=True,
        read_only=True,
        help_text="Why the child left; null while placed.",
    )
    survivor = serializers.SerializerMethodField(
        help_text="The survivor's id, for the case side; null for the home."
    )
    status = serializers.SerializerMethodField()
    placed_by = serializers.CharField(source="placed_by.username")
    discharged_by = serializers.CharField(
        source="discharged_by.username", allow_null=True, default=None
    )
    interim = serializers.BooleanField(
        read_only=True,
        help_text="An interim stay at an emergency shelter: the search stays open.",
    )
    transferred_to: serializers.PrimaryKeyRelatedField[Placement] = (
        serializers.PrimaryKeyRelatedField(
            read_only=True,
            allow_null=True,
            help_text="The placement a transfer ended this interim stay for "
            '(end_reason "transfer").',
        )
    )

    class Meta:
        model = Placement
        fields = [
            "id",
            "status",
            "referral",
            "home",
            "survivor",
            "interim",
            "transferred_to",
            "beds",
            "started_at",
            "placed_by",
            "ended_at",
            "end_reason",
            "end_comment",
            "discharged_by",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Placement) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["end_reason"] = data["end_reason"] or None
        return data

    def get_survivor(self, obj: Placement) -> int | None:
        return obj.survivor_id if self.context.get("case_side") else None

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[
                ("active", "Active"),
                ("discharged", "Discharged"),
                ("transferred", "Transferred (an interim stay ended by the move elsewhere)"),
            ]
        )
    )
    def get_status(self, obj: Placement) -> str:
        if obj.ended_at is None:
            return "active"
        return "transferred" if obj.end_reason == Placement.EndReason.TRANSFER else "discharged"


class WaitlistEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    survivor = serializers.IntegerField(source="survivor_id")
    status = serializers.CharField(source="survivor.status")
    added_at = serializers.DateTimeField()
