"""The score: each factor at its edges, and the vectorised score to the bit."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
    FACTOR_MAX,
    FACTORS,
    HOME_TYPES,
    STALE_AFTER,
    TRAFFICKING_SPECIFIC,
    Directory,
    score_home,
    score_rows,
    survivor_distances,
)
from engine.scoring import round_points

from .builders import NOW, a_home, a_survivor, directories, survivors


def factor(needs, home, name, distance=None):
    _, breakdown, _ = score_home(needs, home, distance, NOW)
    return next(f for f in breakdown if f.factor == name)


@pytest.mark.parametrize("home_type", HOME_TYPES)
def test_it_scores_specialisation_by_home_type_and_urgency(home_type):
    planned = factor(a_survivor(urgency="planned"), a_home(home_type=home_type), "specialisation")
    crisis = factor(a_survivor(urgency="crisis"), a_home(home_type=home_type), "specialisation")
    specific = home_type in TRAFFICKING_SPECIFIC
    assert planned.points == (30 if specific else 0)
    if home_type == "crisis_stabilization":
        assert crisis.points == 30
    else:
        assert crisis.points == (20 if specific else 0)


def test_it_scores_distance_against_the_preference_or_500_miles():
    needs = a_survivor()
    assert factor(needs, a_home(), "distance", 0.0).points == 30
    assert factor(needs, a_home(), "distance", 250.0).points == 20
    assert factor(needs, a_home(), "distance", 500.0).points == 10
    # Beyond the reference a home keeps earning, 10 * 500 / 600 rounded down.
    assert factor(needs, a_home(), "distance", 600.0).points == 8.3
    assert factor(needs, a_home(), "distance", 600.0).detail == "600 mi away, over 500 mi"
    near = a_survivor(max_distance_miles=40)
    assert factor(near, a_home(), "distance", 10.0).points == 25
    assert factor(near, a_home(), "distance", 40.0).points == 10
    beyond = factor(near, a_home(), "distance", 40.5)
    assert (beyond.points, beyond.detail) == (9.8, "40.5 mi away, beyond the 40 mi preference")


def test_it_keeps_counting_distance_past_the_preference():
    # The case: a 150-mile preference, homes 200 and 942 miles away.
    needs = a_survivor(max_distance_miles=150)
    within = factor(needs, a_home(), "distance", 149.0)
    closer = factor(needs, a_home(), "distance", 200.0)
    farther = factor(needs, a_home(), "distance", 942.0)
    assert within.points > closer.points > farther.points > 0
    assert (closer.points, farther.points) == (7.5, 1.5)
    assert farther.detail == "942 mi away, beyond the 150 mi preference"


def test_it_keeps_counting_beyond_a_zero_mile_preference():
    needs = a_survivor(max_distance_miles=0)
    assert factor(needs, a_home(), "distance", 0.0).points == 30
    points = [factor(needs, a_home(), "distance", d).points for d in (0.5, 3.0, 30.0)]
    assert points == sorted(points, reverse=True) and len(set(points)) == 3
    assert points[0] < 10


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), st.just(0.0), st.floats(0, 3000)),
    st.floats(0, 13_000),
    st.floats(0, 13_000),
)
def test_it_never_gives_a_farther_home_more_distance_points(preference, d1, d2):
    needs = a_survivor(max_distance_miles=preference)
    reference = 500.0 if preference is None else preference
    near, far = sorted((d1, d2))
    near_points = factor(needs, a_home(), "distance", near).points
    far_points = factor(needs, a_home(), "distance", far).points
    assert 0 <= far_points <= near_points <= 30
    # Beyond the preference always earns fewer points than within it.
    if near <= reference < far:
        assert far_points < near_points
        assert far_points < 10 <= near_points


def test_it_gives_no_distance_points_without_a_location():
    needs = a_survivor(latitude=None, longitude=None)
    assert factor(needs, a_home(), "distance").points == 0
    assert factor(needs, a_home(), "distance").detail == "No location"


@pytest.mark.parametrize(
    ("age", "points", "stale"),
    [
        (timedelta(0), 10, False),
        (-timedelta(minutes=5), 10, False),  # the home's clock runs ahead
        (timedelta(hours=36), 5, False),
        (timedelta(hours=71), 1, False),
        (STALE_AFTER, 1, False),
        (STALE_AFTER + timedelta(microseconds=1), 0, True),
        (None, 0, True),
    ],
)
def test_it_scores_freshness_and_flags_stale_availability(age, points, stale):
    updated = None if age is None else NOW - age
    score, breakdown, is_stale = score_home(
        a_survivor(), a_home(availability_updated_at=updated), None, NOW
    )
    freshness = next(f for f in breakdown if f.factor == "freshness")
    assert (freshness.points, is_stale) == (points, stale)


def test_it_scores_the_share_of_needed_services_and_names_the_missing():
    needs = a_survivor(services_needed=frozenset({"education", "legal_advocacy", "mentoring"}))
    home = a_home(services=frozenset({"education", "mentoring", "life_skills"}))
    services = factor(needs, home, "services")
    assert services.points == 13.3
    assert services.detail == "Offers 2 of 3 needed services; missing legal advocacy"
    assert factor(a_survivor(), a_home(services=frozenset()), "services").points == 20


def test_it_scores_the_child_s_language():
    assert factor(a_survivor(primary_language="vi"), a_home(), "language").points == 0
    assert factor(a_survivor(primary_language="es"), a_home(), "language").points == 10
    assert factor(a_survivor(primary_language=""), a_home(), "language").points == 10


def test_it_lists_the_factors_with_their_maxima_adding_to_100():
    _, breakdown, _ = score_home(a_survivor(), a_home(), 0.0, NOW)
    assert [f.factor for f in breakdown] == list(FACTORS)
    assert [f.max for f in breakdown] == [FACTOR_MAX[name] for name in FACTORS]
    assert sum(FACTOR_MAX.values()) == 100


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 100))
def test_it_rounds_points_half_up_like_the_vectorised_rounding(value):
    scalar = round_points(value)
    assert scalar == np.floor(np.array([value]) * 10 + 0.5)[0] / 10
    assert abs(scalar - value) <= 0.05 + 1e-9


@settings(max_examples=40, deadline=None)
@given(directories(), survivors())
def test_it_scores_every_home_the_same_scalar_and_vectorised(offers, needs):
    directory = Directory.from_offers(offers)
    distances = survivor_distances(needs, directory)
    vector = score_rows(needs, directory, distances, NOW)
    for row in range(len(directory)):
        home = directory.offer(row)
        distance = None if np.isnan(distances[row]) else float(distances[row])
        score, breakdown, stale = score_home(needs, home, distance, NOW)
        assert vector.score[row] == score
        assert vector.stale[row] == stale
        for part in breakdown:
            assert vector.points[part.factor][row] == part.points
        # The breakdown adds up to the score, and the score stays in range.
        assert round(sum(part.points for part in breakdown), 1) == score
        assert 0 <= score <= 100
        assert all(0 <= part.points <= part.max for part in breakdown)


@settings(max_examples=20, deadline=None)
@given(directories(), survivors(), st.data())
def test_it_scores_a_subset_of_rows_like_the_whole(offers, needs, data):
    directory = Directory.from_offers(offers)
    distances = survivor_distances(needs, directory)
    rows = np.array(
        data.draw(st.lists(st.integers(0, max(len(directory) - 1, 0)), max_size=len(directory))),
        dtype=np.intp,
    )
    whole = score_rows(needs, directory, distances, NOW)
    part = score_rows(needs, directory, survivor_distances(needs, directory, rows), NOW, rows)
    assert (part.score == whole.score[rows]).all()
    assert (part.stale == whole.stale[rows]).all()
