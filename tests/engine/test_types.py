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


def test_a_directory_builds_each_home_as_the_checked_constructor_does():
    from datetime import UTC, date, datetime

    from engine import Directory
    from engine.layout import OFFER_FIELDS

    homes = [
        a_home(id=1),
        a_home(
            id=2,
            name="Casa Esperanza",
            home_type="crisis_stabilization",
            medical_level="complex",
            languages=frozenset({"es", "en"}),
            services=frozenset({"education"}),
            availability_updated_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            license_expires=date(2027, 6, 30),
        ),
    ]
    built = Directory.from_offers(homes).offers([0, 1])
    assert built == homes
    # Field by field, with the same types: the unchecked constructor makes what the
    # dataclass's own makes from the same values.
    for home, offer in zip(homes, built, strict=True):
        for name in OFFER_FIELDS:
            assert type(getattr(offer, name)) is type(getattr(home, name)), name


def test_the_unchecked_constructor_takes_every_field_for_every_home_or_refuses():
    from engine.layout import OFFER_FIELDS
    from engine.types import trusted_offers

    homes = [a_home(id=7), a_home(id=8, name="Other", languages=frozenset({"es"}))]
    columns = [[getattr(home, name) for home in homes] for name in OFFER_FIELDS]
    assert trusted_offers(*columns) == homes
    assert trusted_offers(*([] for _ in OFFER_FIELDS)) == []
    with pytest.raises(TypeError):
        trusted_offers(*columns[:-1])
    with pytest.raises(ValueError):
        trusted_offers(*columns[:-1], columns[-1][:1])
