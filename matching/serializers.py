from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import serializers

from core.inputs import NeedsSerializerBase, SharedFieldsSerializer, TribesSerializerField
from core.sentences import sentence, sentences
from core.vocab import (
    AGE_MAX,
    INT_MAX,
    LANGUAGE_CHOICES,
    STATE_CHOICES,
    Service,
    validate_zip,
)
from engine import EXCLUDED_PAGE, RULES, TONIGHT_RULES, Miss, Ranked
from matching.selectors import INTERIM_LABEL, NO_CONTACT, Contact, HomeSearch, TonightCall
from survivors.serializers import ExclusionZoneSerializer

# At most this many excluded homes per page; the CSV download has them all.
EXCLUDED_LIMIT_MAX = 1000


class WhatIfSerializer(NeedsSerializerBase):
    """A survivor's matching fields without identity: `date_of_birth` or `age`. The flags,
    levels and numbers come from the engine's specification (core.inputs): the same
    fields, choices, limits and defaults as the pages."""

    date_of_birth = serializers.DateField(required=False)
    age = serializers.IntegerField(required=False, min_value=0, max_value=AGE_MAX)
    custody_state = serializers.ChoiceField(choices=STATE_CHOICES)
    icpc_approved_states = serializers.ListField(
        child=serializers.ChoiceField(choices=STATE_CHOICES), required=False, default=list
    )
    residence_zip = serializers.CharField(
        required=False, min_length=5, max_length=5, validators=[validate_zip]
    )
    primary_language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES, required=False, allow_blank=True, default=""
    )
    services_needed = serializers.ListField(
        child=serializers.ChoiceField(choices=Service.choices), required=False, default=list
    )
    exclusion_zones = ExclusionZoneSerializer(many=True, required=False, default=list)
    tribes = TribesSerializerField(default=list)
    max_distance_miles = serializers.IntegerField(
        required=False, min_value=1, max_value=INT_MAX, allow_null=True
    )

    def validate_date_of_birth(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(gettext("The date of birth cannot be in the future."))
        return value

    def validate_exclusion_zones(self, value):
        return [dict(zone) for zone in value]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("date_of_birth") is None and attrs.get("age") is None:
            raise serializers.ValidationError({"age": "Give the child's age or date_of_birth."})
        if attrs.get("date_of_birth") is not None and attrs.get("age") is not None:
            raise serializers.ValidationError({"age": "Give age or date_of_birth, not both."})
        if attrs.get("needs_detox") and attrs.get("substance_use") == "none":
            raise serializers.ValidationError(
                {"needs_detox": "Detox is only needed with substance use in recovery or active."}
            )
        return attrs


class MatchQuerySerializer(SharedFieldsSerializer):
    limit = serializers.IntegerField(min_value=1, max_value=500, default=20)
    include_excluded = serializers.BooleanField(default=False)
    excluded_limit = serializers.IntegerField(
        min_value=1, max_value=EXCLUDED_LIMIT_MAX, default=EXCLUDED_PAGE
    )
    excluded_offset = serializers.IntegerField(min_value=0, max_value=INT_MAX, default=0)


# --- response -------------------------------------------------------------------------

Say = Callable[[str], str]


def home_summary(home, contact: Contact = NO_CONTACT) -> dict[str, Any]:
    return {
        "id": home.id,
        "name": home.name,
        "state": home.state,
        "zip_code": home.zip_code,
        "home_type": home.home_type,
        "available_beds": home.available_beds,
        "licensed_beds": home.licensed_beds,
        "staff_on_duty": home.staff_on_duty,
        "residents_per_staff": home.residents_per_staff,
        "intake_24_7": home.intake_24_7,
        "availability_updated_at": home.availability_updated_at,
        "intake_phone": contact.intake_phone,
        "contact_name": contact.contact_name,
    }


def _miss(miss: Miss, contact: Contact | None = None, say: Say = sentence) -> dict[str, Any]:
    home = miss.home
    return {
        # The excluded list can hold a whole national directory: name the home, no more.
        "home": {"id": home.id, "name": home.name, "state": home.state}
        if contact is None
        else home_summary(home, contact),
        "distance_miles": miss.distance_miles,
        "failed": [{"rule": f.rule, "reason": say(f.reason)} for f in miss.failed],
    }


def _ranked(r: Ranked, contact: Contact, say: Say = sentence) -> dict[str, Any]:
    return {
        "rank": r.rank,
        "score": r.score,
        "distance_miles": r.distance_miles,
        "stale": r.stale,
        "icwa_tier": r.icwa_tier,
        "home": home_summary(r.home, contact),
        "breakdown": [
            {"factor": f.factor, "points": f.points, "max": f.max, "detail": say(f.detail)}
            for f in r.breakdown
        ],
    }


def _call(call: TonightCall, say: Say = sentence) -> dict[str, Any]:
    entry = {
        "home": home_summary(call.home, call.contact),
        "distance_miles": call.distance_miles,
        "intake_phone": call.contact.intake_phone,
        "contact_name": call.contact.contact_name,
        "action": call.action,
    }
    if call.ranked is None:
        return {"rule": call.rule, "reason": say(call.reason), **entry}
    return {"label": INTERIM_LABEL, "rank": call.ranked.rank, "score": call.ranked.score, **entry}


def match_response(search: HomeSearch) -> dict[str, Any]:
    """The DESIGN.md response shape for a search (selectors.search_homes)."""
    result, contact, tonight = search.result, search.contact, search.tonight
    say = sentences()  # the language looked up once, not for each of a hundred sentences
    return {
        "homes_considered": result.homes_considered,
        "feasible_count": result.feasible_count,
        "results": [_ranked(r, contact(r.home.id), say) for r in result.results],
        "near_misses": [_miss(m, contact(m.home.id), say) for m in result.near_misses],
        "near_miss_count": result.near_miss_count,
        "excluded": None
        if result.excluded is None
        else [_miss(m, None, say) for m in result.excluded],
        "excluded_count": result.excluded_count,
        "relaxations": [
            {"rule": x.rule, "homes": x.homes, "suggestion": say(x.suggestion)}
            for x in result.relaxations
        ],
        "tonight": {
            "nothing_fits": tonight.nothing_fits,
            "fail_only": [_call(c, say) for c in tonight.fail_only],
            "interim_shelters": [_call(c, say) for c in tonight.interim_shelters],
            "takes_days": [
                {"rule": x.rule, "homes": x.homes, "suggestion": say(x.suggestion)}
                for x in tonight.takes_days
            ],
            "waitlist": {
                "watched_homes": tonight.watched_homes,
                "summary": tonight.waitlist_summary,
            },
        },
    }


# Response schema, for OpenAPI only.
class HomeSummarySchema(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.CharField()
    zip_code = serializers.CharField()
    home_type = serializers.CharField()
    available_beds = serializers.IntegerField()
    licensed_beds = serializers.IntegerField()
    staff_on_duty = serializers.IntegerField()
    residents_per_staff = serializers.IntegerField()
    intake_24_7 = serializers.BooleanField()
    availability_updated_at = serializers.DateTimeField(allow_null=True)
    intake_phone = serializers.CharField(
        allow_blank=True, help_text="The number to call at any hour; blank when not recorded."
    )
    contact_name = serializers.CharField(allow_blank=True)


class FactorSchema(serializers.Serializer):
    factor = serializers.CharField()
    points = serializers.FloatField()
    max = serializers.FloatField()
    detail = serializers.CharField()


class RankedSchema(serializers.Serializer):
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    distance_miles = serializers.FloatField(allow_null=True)
    stale = serializers.BooleanField()
    icwa_tier = serializers.IntegerField(
        allow_null=True,
        help_text="For an Indian child (or `unknown` with a tribe named): the home's place in "
        "ICWA's placement preferences, 1 best ... 4, in the tribe's own order when it set one; "
        "null outside the preferences. Results come tier first.",
    )
    home = HomeSummarySchema()
    breakdown = FactorSchema(many=True)


class FailureSchema(serializers.Serializer):
    rule = serializers.ChoiceField(choices=list(RULES))
    reason = serializers.CharField()


class MissSchema(serializers.Serializer):
    home = HomeSummarySchema()
    distance_miles = serializers.FloatField(allow_null=True)
    failed = FailureSchema(many=True)


class HomeRefSchema(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.CharField()


class ExcludedSchema(serializers.Serializer):
    home = HomeRefSchema()
    distance_miles = serializers.FloatField(allow_null=True)
    failed = FailureSchema(many=True)


class RelaxationSchema(serializers.Serializer):
    rule = serializers.ChoiceField(choices=list(RULES))
    homes = serializers.IntegerField()
    suggestion = serializers.CharField()


class TonightCallSchema(serializers.Serializer):
    rule = serializers.ChoiceField(
        choices=list(RULES),
        help_text=f"The one rule it fails: {', '.join(TONIGHT_RULES)}.",
    )
    reason = serializers.CharField()
    home = HomeSummarySchema()
    distance_miles = serializers.FloatField(allow_null=True)
    intake_phone = serializers.CharField(allow_blank=True)
    contact_name = serializers.CharField(allow_blank=True)
    action = serializers.CharField(help_text='What to ask for, e.g. "One more staff on shift".')


class InterimShelterSchema(serializers.Serializer):
    # A response field the API names `label`; the stubs type Field.label as its text.
    label = serializers.CharField(help_text=f'Always "{INTERIM_LABEL}".')  # type: ignore[assignment]
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    home = HomeSummarySchema()
    distance_miles = serializers.FloatField(allow_null=True)
    intake_phone = serializers.CharField(allow_blank=True)
    contact_name = serializers.CharField(allow_blank=True)
    action = serializers.CharField()


class WaitlistSchema(serializers.Serializer):
    watched_homes = serializers.IntegerField(
        help_text="Homes that fail only for a free bed or staff on shift."
    )
    summary = serializers.CharField(allow_blank=True, help_text="What Harbor watches.")


class TonightSchema(serializers.Serializer):
    nothing_fits = serializers.BooleanField(
        help_text="No feasible home other than emergency shelters; the lists are empty otherwise."
    )
    fail_only = TonightCallSchema(
        many=True,
        help_text="Homes failing only beds, staffing or crisis_intake: what can change "
        "tonight, nearest first within each rule, with the number to call.",
    )
    interim_shelters = InterimShelterSchema(
        many=True, help_text="Feasible emergency shelters, best first: an interim placement."
    )
    takes_days = RelaxationSchema(
        many=True, help_text="Changes that take days (ICPC, exceptions, a license renewal)."
    )
    waitlist = WaitlistSchema()


class MatchResponseSchema(serializers.Serializer):
    homes_considered = serializers.IntegerField()
    feasible_count = serializers.IntegerField()
    results = RankedSchema(many=True)
    near_misses = MissSchema(many=True)
    near_miss_count = serializers.IntegerField()
    excluded = ExcludedSchema(
        many=True,
        allow_null=True,
        help_text=(
            "Only with include_excluded=1: excluded_limit infeasible homes from "
            "excluded_offset on, each with all its failed rules; fewest failed rules "
            "first, then nearest."
        ),
    )
    excluded_count = serializers.IntegerField(
        help_text="How many homes the child is not eligible for (every page together)."
    )
    relaxations = RelaxationSchema(many=True)
    tonight = TonightSchema(help_text="When nothing fits tonight: what can change tonight.")
