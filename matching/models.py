from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.vocab import TRIBE_NAME_MAX, IcwaPreference
from engine import NEEDS, NEEDS_SPEC, RULE_BIT  # a failure mask's bits: the reports use them

# The report facts of a search (see `search_facts`): flags and bands in a fixed order
# (the engine's NEEDS, appended to, never reordered), so a bit or a code means the same
# in every row, the reports and the bench.
NEED_BIT = {name: 1 << i for i, name in enumerate(NEEDS)}
# The child's field that flags each need, and the values that do (empty: any value but
# the field's default), from the engine's specification.
_NEED_FIELDS = tuple(
    (field.need, name, field.need_values, field.default)
    for name, field in NEEDS_SPEC.items()
    if field.need is not None
)


class AgeBand(models.TextChoices):
    UNDER_10 = "under_10", _("Under 10")
    AGE_10_12 = "10_12", _("10–12")
    AGE_13_15 = "13_15", _("13–15")
    AGE_16_17 = "16_17", _("16–17")
    ADULT = "18_plus", _("18 and over")


def age_band(age: int) -> str:
    if age < 10:
        return AgeBand.UNDER_10
    if age <= 12:
        return AgeBand.AGE_10_12
    if age <= 15:
        return AgeBand.AGE_13_15
    if age <= 17:
        return AgeBand.AGE_16_17
    return AgeBand.ADULT


def need_flags(needs: Mapping[str, Any]) -> int:
    """The needs bitmask of a needs snapshot (a child may have several)."""
    flags = 0
    for need, name, values, default in _NEED_FIELDS:
        value = needs.get(name, default)
        if value in values if values else value not in (default, None):
            flags |= NEED_BIT[need]
    return flags


def rule_bits(rules: Iterable[str]) -> int:
    return sum({RULE_BIT[rule] for rule in rules if rule in RULE_BIT})


def search_facts(
    needs: Mapping[str, Any], failures_by_rule: Mapping[str, int], sole_rules: Iterable[str]
) -> dict[str, Any]:
    """The columns the reports group and filter on, from what a search asked and found.

    `sole_rules`: the rules that alone excluded at least one home (a near miss)."""
    return {
        "state": needs.get("custody_state", ""),
        "age_band": age_band(int(needs.get("age", 0))),
        "gender": needs.get("gender", ""),
        "urgency": needs.get("urgency", ""),
        "need_flags": need_flags(needs),
        "blocked_rules": rule_bits(r for r, n in failures_by_rule.items() if n),
        "sole_rules": rule_bits(sole_rules),
    }


class MatchSearch(models.Model):
    """One search for a stored survivor: what was asked, what came back, and when.

    `needs` is the snapshot of the matching inputs (no identity); `failures_by_rule`
    counts the homes each rule excluded, for reviews and supply-gap reports.
    """

    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="searches"
    )
    searched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    needs = models.JSONField()
    homes_considered = models.PositiveIntegerField()
    feasible_count = models.PositiveIntegerField()
    near_miss_count = models.PositiveIntegerField()
    failures_by_rule = models.JSONField()
    top_home_ids = models.JSONField(default=list)
    # Denormalised for the reports (search_facts), so that a year of a million searches
    # is one scan of narrow columns, not a parse of every `needs` document.
    # The survivor's agency (a supervisor's report scope). Null only for rows made
    # outside search_record (fixtures); migration 0005 filled the older ones.
    agency = models.ForeignKey(
        "accounts.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    state = models.CharField(max_length=2, blank=True, default="")
    age_band = models.CharField(max_length=8, choices=AgeBand.choices, blank=True, default="")
    gender = models.CharField(max_length=10, blank=True, default="")
    urgency = models.CharField(max_length=10, blank=True, default="")
    need_flags = models.PositiveSmallIntegerField(default=0)  # NEED_BIT
    blocked_rules = models.PositiveIntegerField(default=0)  # RULE_BIT: excluded >= 1 home
    sole_rules = models.PositiveIntegerField(default=0)  # RULE_BIT: alone excluded >= 1 home

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "match searches"
        indexes = [models.Index(fields=["agency", "at"], name="match_search_agency_at")]

    def __str__(self) -> str:
        return f"Search for survivor {self.survivor_id} at {self.at:%Y-%m-%d %H:%M}"


def validate_icwa_order(value: object) -> None:
    """A tribe's order of ICWA's preferences: each preference at most once."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item in IcwaPreference.values for item in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationError(
            "Give the preferences in the tribe's order, each once: "
            + ", ".join(IcwaPreference.values)
            + "."
        )


class TribePreference(models.Model):
    """A tribe's own order of ICWA's placement preferences (25 U.S.C. 1915(c)), set by an
    admin from the tribe's resolution; it replaces the statute's order in the ranking for
    that tribe's children. `name` is the tribe's name as children's and homes' records
    write it (compared without regard to case)."""

    name = models.CharField(max_length=TRIBE_NAME_MAX, unique=True)
    order = models.JSONField(validators=[validate_icwa_order])
    # Where the order comes from (the tribe's resolution, its date).
    source = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tribe_preference_name_unique_any_case",
                violation_error_message="This tribe already has an order.",
            )
        ]

    def __str__(self) -> str:
        return self.name
