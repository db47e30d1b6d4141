"""Distances and ZIP centroids."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import (
    EARTH_RADIUS_MILES,
    great_circle_miles,
    great_circle_miles_np,
    zip_centroid,
    zip_state,
)

lat = st.floats(-90, 90)
lon = st.floats(-180, 180)


def test_it_measures_kansas_city_to_st_louis():
    assert great_circle_miles(39.0997, -94.5786, 38.6270, -90.1994) == pytest.approx(
        237.83, abs=0.01
    )


def test_it_measures_zero_from_a_point_to_itself_and_half_the_earth_to_its_antipode():
    assert great_circle_miles(39.1, -94.6, 39.1, -94.6) == 0
    assert math.isclose(great_circle_miles(0, 0, 0, 180), math.pi * EARTH_RADIUS_MILES)


@settings(max_examples=40, deadline=None)
@given(lat, lon, st.lists(st.tuples(lat, lon), min_size=1, max_size=20))
def test_it_vectorises_the_same_distance(lat0, lon0, points):
    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    expected = [great_circle_miles(lat0, lon0, a, b) for a, b in points]
    assert np.allclose(great_circle_miles_np(lat0, lon0, lats, lons), expected, atol=1e-6)


def test_it_finds_zip_centroids_and_states_offline():
    assert zip_centroid("66101") == (39.1157, -94.6271)
    assert zip_centroid(" 66101-1234 ") == (39.1157, -94.6271)
    assert zip_state("66101") == "KS"
    assert zip_state("63101") == "MO"


def test_it_knows_no_centroid_for_an_unknown_or_unlocated_zip():
    assert zip_centroid("00000") is None
    assert zip_state("00000") is None
    # Military ZIPs ship 0/0 coordinates: no centroid, but the state is known.
    assert zip_centroid("09001") is None
    assert zip_state("09001") == "AE"


def test_it_finds_the_same_zip_one_at_a_time_as_in_the_whole_table():
    # A server looks ZIPs up one by one (the whole table takes most of a second to
    # build); a bulk lookup builds the table. Both must say the same of every ZIP.
    from matching.engine import geo

    table = geo._build_zip_table()
    sample = sorted(table)[::41] + ["00000", "09001", "abcde", "1234", "", "６６１０１"]
    assert len(sample) > 1000
    for key in sample:
        assert geo._look_up(key) == table.get(key), key
