"""Survivor representations for the API: the full record and the MDT's need-to-know summary."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from core.vocab import (
    INT_MAX,
    LANGUAGE_CHOICES,
    MAX_DEPENDENTS,
    NAME_MAX,
    NOTES_MAX,
    STATE_CHOICES,
    US_STATES,
    ZONE_RADIUS_MAX,
    ZONES_MAX,
    Service,
    validate_zip,
)
from survivors.models import Survivor
from survivors.policy import need_to_know


class ExclusionZoneSerializer(serializers.Serializer):
    """A place to keep the child away from, such as where the trafficker operates."""

    zip_code = serializers.CharField(min_length=5, max_length=5, validators=[validate_zip])
    radius_miles = serializers.FloatField(min_value=0, max_value=ZONE_RADIUS_MAX)


class SurvivorSerializer(serializers.ModelSerializer):
    """A child's intake record, as case workers, supervisors and admins see it.

    Agency, team, assigned case workers and status are decided by Harbor (the
    services and the placement workflow), never by the request body: sent, they
    are ignored. MDT members get the same shape without `notes` and
    `exclusion_zones` (need to know).
    """

    first_name = serializers.CharField(max_length=NAME_MAX)
    last_name = serializers.CharField(max_length=NAME_MAX)
    icpc_approved_states = serializers.ListField(
        child=serializers.ChoiceField(choices=STATE_CHOICES),
        required=False,
        max_length=len(US_STATES),
        help_text="States that approved an Interstate Compact placement (state wards).",
    )
    services_needed = serializers.ListField(
        child=serializers.ChoiceField(choices=Service.choices),
        required=False,
        max_length=len(Service.values),
    )
    primary_language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        allow_blank=True,
        required=False,
        help_text="ISO 639-1 code, e.g. en, es.",
    )
    exclusion_zones = ExclusionZoneSerializer(
        many=True,
        required=False,
        max_length=ZONES_MAX,
        help_text="Not shown to MDT members.",
    )
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTES_MAX,
        help_text="Not shown to MDT members.",
    )
    agency = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="The agency's code."
    )
    team = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text="The MDT team's name."
    )
    assigned_workers = serializers.SlugRelatedField(
        slug_field="username",
        many=True,
        read_only=True,
        help_text="Usernames of the case workers assigned to this survivor.",
    )

    class Meta:
        model = Survivor
        fields = [
            "id",
            "case_number",
            "first_name",
            "last_name",
            "date_of_birth",
            "gender",
            "guardianship",
            "custody_state",
            "icpc_approved_states",
            "residence_zip",
            "urgency",
            "substance_use",
            "needs_detox",
            "dependents",
            "medical_level",
            "pregnant",
            "mental_health_acuity",
            "runaway_risk",
            "primary_language",
            "services_needed",
            "exclusion_zones",
            "max_distance_miles",
            "notes",
            "status",
            "agency",
            "team",
            "assigned_workers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "created_at", "updated_at"]
        # PostgreSQL's column ranges, stated so the schema does not vary with the database.
        extra_kwargs = {
            "dependents": {"max_value": MAX_DEPENDENTS},
            "max_distance_miles": {"min_value": 1, "max_value": INT_MAX},
        }


# Where the child is now locates the child (and, often, the trafficker): not a need.
NOT_NEED_TO_KNOW = frozenset(
    {"first_name", "last_name", "date_of_birth", "notes", "exclusion_zones", "residence_zip"}
)


class SurvivorSummarySerializer(SurvivorSerializer):
    """The MDT member's need-to-know view (DESIGN.md, users): case number, age and needs;
    never the name, birth date, notes, where the child is or where an exclusion zone lies."""

    first_name = None
    last_name = None
    date_of_birth = None
    notes = None
    exclusion_zones = None
    residence_zip = None
    age = serializers.SerializerMethodField(help_text="Age in whole years today.")
    exclusion_zone_count = serializers.SerializerMethodField(
        help_text="How many exclusion zones the case worker recorded (not where they are)."
    )

    class Meta(SurvivorSerializer.Meta):
        fields = [
            name for name in SurvivorSerializer.Meta.fields if name not in NOT_NEED_TO_KNOW
        ] + ["age", "exclusion_zone_count"]

    def get_age(self, survivor) -> int:
        return survivor.age_on(timezone.localdate())

    def get_exclusion_zone_count(self, survivor) -> int:
        return len(survivor.exclusion_zones or [])


def survivor_serializer_class(user: Any) -> type[SurvivorSerializer]:
    """What this user may read of a record it can see."""
    if not user.is_harbor_admin and need_to_know(user):
        return SurvivorSummarySerializer
    return SurvivorSerializer
