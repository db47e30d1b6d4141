"""Distances and ZIP centroids."""

from __future__ import annotations

import math

import numpy as np
import pytest
import zipcodes
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
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


def _package_answer(key: str):
    """What the zipcodes package itself says of a normalised ZIP, as _info reads it."""
    from engine import geo

    if not (len(key) == 5 and key.isascii() and key.isdigit()):
        return None
    entries = [entry for entry in zipcodes.matching(key) if entry["zip_code"] == key]
    return geo._info(entries[0]) if entries else None


def test_the_compact_table_says_what_the_package_says_of_every_zip():
    """The saved arrays answer for the package: state and centroid, to the bit, for
    every 41st ZIP and the odd cases (no centroid, unknown, malformed)."""
    from engine import geo

    every = sorted(entry["zip_code"] for entry in zipcodes.list_all())
    sample = every[::41] + ["00000", "09001", "99999", "abcde", "1234", "", "６６１０１"]
    assert len(sample) > 1000
    for key in sample:
        assert geo._look_up(key) == _package_answer(key), key


def test_the_table_is_saved_once_and_read_back_whole(tmp_path, monkeypatch):
    from engine import geo

    monkeypatch.setenv("HARBOR_ZIP_TABLE_DIR", str(tmp_path))
    monkeypatch.setattr(geo, "_table", None)
    built = geo._zip_table()
    (saved,) = tmp_path.iterdir()
    assert saved == geo.zip_table_file()
    read = geo._read_table(saved)
    for name in geo._ZipTable._fields:
        before, after = getattr(built, name), getattr(read, name)
        floats = before.dtype.kind == "f"
        assert after.dtype == before.dtype, name
        assert np.array_equal(after, before, equal_nan=floats), name
    assert len(read.codes) > 40_000


def test_a_damaged_or_unwritable_table_is_built_again(tmp_path, monkeypatch):
    from engine import geo

    monkeypatch.setenv("HARBOR_ZIP_TABLE_DIR", str(tmp_path))
    geo.zip_table_file().write_bytes(b"not a table")
    monkeypatch.setattr(geo, "_table", None)
    assert geo._zip_table() is not None
    assert geo._read_table(geo.zip_table_file()) is not None  # replaced by a good one

    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setenv("HARBOR_ZIP_TABLE_DIR", str(blocked))
    monkeypatch.setattr(geo, "_table", None)
    monkeypatch.setattr(geo, "_looked_up", {})
    assert geo.zip_centroid("66101") == (39.1157, -94.6271)


def test_a_table_that_cannot_be_put_in_place_leaves_no_file_behind(tmp_path, monkeypatch):
    from engine import geo

    monkeypatch.setenv("HARBOR_ZIP_TABLE_DIR", str(tmp_path))
    geo.zip_table_file().mkdir()  # a folder where the table should go: renaming fails
    table = geo._zip_table()
    assert geo._save_table(table) is table
    assert [path.name for path in tmp_path.iterdir()] == [geo.zip_table_file().name]
