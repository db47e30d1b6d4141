"""Home representations for the API: the profile, an availability update, its history."""

from __future__ import annotations

from rest_framework import serializers

from core.inputs import TribesSerializerField
from core.vocab import INT_MAX, LANGUAGE_CHOICES, LANGUAGES, Gender, Service
from homes.models import AvailabilityChange, Home
from homes.services import PROFILE_FIELDS


class HomeSerializer(serializers.ModelSerializer):
    """A safe home's profile, eligibility criteria, staffing and live bed count.

    The writable fields are exactly the profile `home_create`/`home_update` accept.
    """

    # The model keeps these non-empty (a home serves someone, speaks something, offers something).
    genders_served = serializers.ListField(
        child=serializers.ChoiceField(choices=Gender.choices),
        allow_empty=False,
        max_length=len(Gender.values),
    )
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES),
        allow_empty=False,
        max_length=len(LANGUAGES),
        help_text="ISO 639-1 codes, e.g. en, es.",
    )
    services = serializers.ListField(
        child=serializers.ChoiceField(choices=Service.choices),
        allow_empty=False,
        max_length=len(Service.values),
    )
    approving_tribes = TribesSerializerField(
        help_text="Tribes that licensed or approved the home (ICWA), e.g. Cherokee Nation."
    )
    availability_updated_by = serializers.CharField(
        source="availability_updated_by.username",
        read_only=True,
        allow_null=True,
        help_text="Username of whoever last changed or confirmed the beds.",
    )

    profile_confirmation_due = serializers.SerializerMethodField(
        help_text="True when nobody confirmed the whole profile within a year (or ever)."
    )
    license_expired = serializers.SerializerMethodField(
        help_text="True when license_expires is before today: searches no longer offer it."
    )

    class Meta:
        model = Home
        fields = [
            "id",
            *PROFILE_FIELDS,
            "beds_held",
            "availability_updated_at",
            "availability_updated_by",
            "profile_confirmed_at",
            "profile_confirmation_due",
            "license_expired",
        ]
        read_only_fields = [
            "id", "beds_held", "availability_updated_at", "availability_updated_by",
            "profile_confirmed_at",
        ]  # fmt: skip
        # PostgreSQL's column ranges, stated so the schema does not vary with the database.
        extra_kwargs = {
            **{
                name: {"max_value": INT_MAX}
                for name in ["licensed_beds", "available_beds", "staff_on_duty"]
            },
            "residents_per_staff": {"min_value": 1, "max_value": INT_MAX},
            "min_age": {"max_value": 25},
            "max_age": {"max_value": 25},
            "max_dependents": {"max_value": 32767},
        }

    def get_profile_confirmation_due(self, home: Home) -> bool:
        return home.profile_confirmation_due()

    def get_license_expired(self, home: Home) -> bool:
        return home.license_expired()


class AvailabilitySerializer(serializers.Serializer):
    """A home admin's report of free beds and/or staff on duty (at least one)."""

    available_beds = serializers.IntegerField(
        min_value=0,
        max_value=INT_MAX,
        required=False,
        help_text=(
            "Beds the home physically has free, beds held for accepted referrals included: "
            "from beds_held to licensed_beds. Everyone then sees this minus beds_held."
        ),
    )
    staff_on_duty = serializers.IntegerField(min_value=0, max_value=INT_MAX, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give available_beds, staff_on_duty, or both."]}
            )
        return attrs


class AvailabilityChangeSerializer(serializers.ModelSerializer):
    """One change of a home's free beds or staffing: who, when, before and after."""

    by = serializers.CharField(
        source="by.username",
        read_only=True,
        allow_null=True,
        help_text="Username of whoever made the change; null for the system.",
    )

    class Meta:
        model = AvailabilityChange
        fields = [
            "id",
            "at",
            "by",
            "source",
            "available_beds_before",
            "available_beds_after",
            "staff_on_duty_before",
            "staff_on_duty_after",
            "beds_held_before",
            "beds_held_after",
        ]
        read_only_fields = fields
