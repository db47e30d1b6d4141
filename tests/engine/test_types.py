"""The value types refuse what the rules could not judge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import ExclusionZone

from .builders import a_home, a_survivor


@pytest.mark.parametrize(
    "changes",
    [
        {"medical_level": "high"},
        {"substance_use_accepted": "in-recovery"},
        {"mental_health_max": "severe"},
        {"home_type": "hotel"},
    ],
)
def test_it_refuses_a_home_level_outside_the_domain(changes):
    with pytest.raises(ValueError, match=next(iter(changes))):
        a_home(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"gender": "unknown"},
        {"guardianship": "grandparent"},
        {"urgency": "soon"},
        {"runaway_risk": "extreme"},
        {"latitude": None},
        {"dependents": -1},
        {"max_distance_miles": -5},
    ],
)
def test_it_refuses_survivor_needs_the_rules_cannot_judge(changes):
    with pytest.raises(ValueError):
        a_survivor(**changes)


def test_it_refuses_a_negative_exclusion_radius():
    with pytest.raises(ValueError):
        ExclusionZone("66101", -1, 39.1, -94.6)


def test_it_turns_database_decimals_into_floats():
    home = a_home(latitude=Decimal("39.1"), longitude=Decimal("-94.6"))
    needs = a_survivor(max_distance_miles=Decimal("25"), latitude=Decimal("39"), longitude=-94)
    zone = ExclusionZone("66101", Decimal("2.5"), Decimal("39.1"), Decimal("-94.6"))
    assert type(home.latitude) is float and home.latitude == 39.1
    assert type(needs.max_distance_miles) is float and type(needs.longitude) is float
    assert (zone.radius_miles, zone.latitude) == (2.5, 39.1)
