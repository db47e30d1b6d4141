"""A stored search carries the facts the reports count, written with it."""

from __future__ import annotations

from rest_framework.test import APIClient

from matching.models import NEED_BIT, RULE_BIT, MatchSearch, age_band, need_flags, rule_bits
from tests.factories import HomeFactory


def test_it_writes_the_report_facts_with_each_search(alice, survivor, home, other_home):
    # Fails the age rule and nothing else: a near miss on `age`.
    HomeFactory(name="Adult House", min_age=18, max_age=21)
    client = APIClient()
    client.force_authenticate(alice)
    assert client.get(f"/api/v1/survivors/{survivor.pk}/matches/").status_code == 200
    search = MatchSearch.objects.latest("pk")
    assert (search.agency_id, search.state, search.gender, search.urgency) == (
        survivor.agency_id, "KS", "female", survivor.urgency,
    )  # fmt: skip
    assert search.age_band == age_band(search.needs["age"]) == "13_15"
    assert search.blocked_rules == rule_bits(r for r, n in search.failures_by_rule.items() if n)
    assert search.blocked_rules & RULE_BIT["age"]
    assert search.sole_rules & RULE_BIT["age"]
    assert search.need_flags == need_flags(search.needs)


def test_it_reads_each_need_into_its_own_bit():
    needs = {
        "substance_use": "in_recovery", "dependents": 2, "pregnant": True,
        "medical_level": "routine", "mental_health_acuity": "high", "runaway_risk": "moderate",
    }  # fmt: skip
    assert need_flags(needs) == (
        NEED_BIT["substance_use"] | NEED_BIT["own_children"] | NEED_BIT["pregnancy"]
        | NEED_BIT["mental_health"]
    )  # fmt: skip
    assert [age_band(a) for a in (9, 10, 12, 13, 15, 16, 17, 18)] == [
        "under_10", "10_12", "10_12", "13_15", "13_15", "16_17", "16_17", "18_plus",
    ]  # fmt: skip
