"""Survivor representations for the API: the full record and the MDT's need-to-know summary."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from accounts.models import Agency, Team, User
from core.inputs import TribesSerializerField
from core.types import Actor
from core.vocab import (
    AGE_MAX,
    CASE_NUMBER_MAX,
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
from engine import NEEDS_INPUT_NAMES
from survivors.models import HAND_OFF_NOTE_MAX, USERNAME_MAX, HandOff, Status, Survivor
from survivors.policy import need_to_know

# The child's matching fields the record takes as they are (the engine's specification).
MATCHING_INPUTS = list(NEEDS_INPUT_NAMES)


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

    case_number = serializers.CharField(
        max_length=CASE_NUMBER_MAX,
        required=False,
        allow_blank=True,
        help_text="Blank or left out at intake: Harbor issues one, unique in the agency "
        "(e.g. KS-DCF-2026-00042).",
    )
    # A child may give no name: blank names show as "Unknown", with an optional alias.
    first_name = serializers.CharField(max_length=NAME_MAX, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=NAME_MAX, required=False, allow_blank=True)
    alias = serializers.CharField(
        max_length=NAME_MAX,
        required=False,
        allow_blank=True,
        help_text='How to refer to a child who gave no name, e.g. "Girl in blue, Greyhound '
        'station". Not shown to MDT members.',
    )
    date_of_birth = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Give this or `estimated_age`, not both.",
    )
    estimated_age = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=AGE_MAX,
        help_text="Whole years, for a child without papers: give this or `date_of_birth`. "
        "The child ages from `age_estimated_on`.",
    )
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
        error_messages={
            "invalid_choice": '"{input}" is not a language code: give an ISO 639-1 code such '
            "as es (Spanish)."
        },
    )
    # many=True hands max_length to the ListSerializer (DRF's many_init); the stubs
    # type the call as the child serializer's.
    exclusion_zones = ExclusionZoneSerializer(  # type: ignore[call-arg]
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
    tribes = TribesSerializerField(
        help_text="The child's tribes by name (ICWA), e.g. Cherokee Nation; with "
        "`indian_child` unknown, a named tribe still ranks ICWA's preferences first."
    )
    identified_by = serializers.CharField(
        max_length=NAME_MAX,
        required=False,
        allow_blank=True,
        help_text="Who identified the child as a victim. Not shown to MDT members.",
    )
    law_enforcement_reference = serializers.CharField(
        max_length=NAME_MAX,
        required=False,
        allow_blank=True,
        help_text="The police case number (encrypted). Not shown to MDT members.",
    )
    agency: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="The agency's code."
    )
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text="The MDT team's name."
    )
    assigned_workers: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
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
            "alias",
            "date_of_birth",
            "estimated_age",
            "age_estimated_on",
            "residence_zip",
            *MATCHING_INPUTS,
            "trafficking_type",
            "identified_by",
            "law_enforcement_reference",
            "foreign_national",
            "pregnancy_due_date",
            "notes",
            "status",
            "agency",
            "team",
            "assigned_workers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "age_estimated_on", "status", "created_at", "updated_at"]
        # PostgreSQL's column ranges, stated so the schema does not vary with the database.
        extra_kwargs = {
            "dependents": {"max_value": MAX_DEPENDENTS},
            "max_distance_miles": {"min_value": 1, "max_value": INT_MAX},
        }


# Where the child is now locates the child (and, often, the trafficker): not a need.
# An alias describes the child ("Girl in blue, Greyhound station"): identity, like a name.
NOT_NEED_TO_KNOW = frozenset(
    {"first_name", "last_name", "alias", "date_of_birth", "estimated_age", "age_estimated_on",
     "notes", "exclusion_zones", "residence_zip", "identified_by",
     "law_enforcement_reference"}
)  # fmt: skip


class SurvivorSummarySerializer(SurvivorSerializer):
    """The MDT member's need-to-know view (DESIGN.md, users): case number, age and needs;
    never the name, birth date, notes, where the child is or where an exclusion zone lies."""

    # None removes an inherited field (DRF); the stubs type each name as its field.
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    alias = None  # type: ignore[assignment]
    date_of_birth = None  # type: ignore[assignment]
    estimated_age = None  # type: ignore[assignment]
    notes = None  # type: ignore[assignment]
    exclusion_zones = None  # type: ignore[assignment]
    identified_by = None  # type: ignore[assignment]
    law_enforcement_reference = None  # type: ignore[assignment]
    residence_zip = None
    age = serializers.SerializerMethodField(help_text="Age in whole years today.")
    age_estimated = serializers.SerializerMethodField(
        help_text="True when `age` grows from an estimate (no birth date is known)."
    )
    exclusion_zone_count = serializers.SerializerMethodField(
        help_text="How many exclusion zones the case worker recorded (not where they are)."
    )

    class Meta(SurvivorSerializer.Meta):
        fields = [
            name for name in SurvivorSerializer.Meta.fields if name not in NOT_NEED_TO_KNOW
        ] + ["age", "age_estimated", "exclusion_zone_count"]

    def get_age(self, survivor) -> int:
        return survivor.age_on(timezone.localdate())

    def get_age_estimated(self, survivor) -> bool:
        return survivor.age_is_estimated

    def get_exclusion_zone_count(self, survivor) -> int:
        return len(survivor.exclusion_zones or [])


def survivor_serializer_class(user: Actor) -> type[SurvivorSerializer]:
    """What this user may read of a record it can see."""
    if not user.is_harbor_admin and need_to_know(user):
        return SurvivorSummarySerializer
    return SurvivorSerializer


class SurvivorQuerySerializer(serializers.Serializer):
    """`survivors/?search=&status=`: find a case among those you may see."""

    search = serializers.CharField(
        max_length=NAME_MAX,
        required=False,
        allow_blank=True,
        help_text="Part of a case number, alias or name, any case (MDT members: case "
        "number only). The search is audited; the words searched for are not kept.",
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False, allow_blank=True)


class HandOffInputSerializer(serializers.Serializer):
    """A supervisor's hand-off: the limits are HandOffForm's (survivors.forms)."""

    case_worker = serializers.CharField(
        max_length=USERNAME_MAX,
        help_text="The username of an active case worker of the child's agency (as in "
        "`assigned_workers`): the case becomes theirs.",
    )
    note = serializers.CharField(
        max_length=HAND_OFF_NOTE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the new worker must know (encrypted at rest; shown on the case "
        "page to who may see the case, never sent by email).",
    )


class HandOffSerializer(serializers.ModelSerializer):
    survivor = serializers.IntegerField(source="survivor_id", read_only=True)
    case_worker = serializers.CharField(source="to_worker.username", read_only=True)
    handed_from = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The usernames of the workers who had the case.",
    )
    by = serializers.CharField(source="by.username", read_only=True)

    class Meta:
        model = HandOff
        fields = ["id", "survivor", "case_worker", "handed_from", "by", "created_at"]
        read_only_fields = fields
