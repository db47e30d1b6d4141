"""The vectorised rules agree with the scalar ones; the directory patches in place."""

from __future__ import annotations

import dataclasses
import math
from datetime import date

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine import (
    RULE_BIT,
    RULES,
    Directory,
    ExclusionZone,
    failed_rules,
    failure_masks,
    great_circle_miles,
    survivor_distances,
)

from .builders import KCK, a_home, a_survivor, destination, directories, homes, survivors


def rules_by_id(needs, directory: Directory) -> dict[int, set[str]]:
    masks = failure_masks(needs, directory)
    return {
        directory.offer(row).id: {rule for rule in RULES if int(masks[row]) & RULE_BIT[rule]}
        for row in range(len(directory))
    }


def scalar_rules_by_id(needs, offers) -> dict[int, set[str]]:
    return {home.id: {f.rule for f in failed_rules(needs, home)} for home in offers}


@settings(max_examples=60, deadline=None)
@given(directories(), survivors())
def test_it_sets_exactly_the_bits_of_the_scalar_rules(offers, needs):
    directory = Directory.from_offers(offers)
    assert failure_masks(needs, directory).dtype == np.uint32
    assert rules_by_id(needs, directory) == scalar_rules_by_id(needs, offers)


@given(directories(), survivors(), st.data())
def test_it_fails_exactly_the_homes_where_a_child_to_keep_apart_from_is(offers, needs, data):
    # Some of the directory's homes, and a home that is not in it (closed since).
    ids = [home.id for home in offers]
    chosen = data.draw(st.frozensets(st.sampled_from(ids), max_size=3)) if ids else frozenset()
    needs = dataclasses.replace(needs, keep_apart_homes=chosen | {10_001})
    directory = Directory.from_offers(offers)
    masks = failure_masks(needs, directory)
    flagged = {
        int(directory.ids[row])
        for row in range(len(directory))
        if int(masks[row]) & RULE_BIT["keep_apart"]
    }
    assert flagged == set(chosen)
    assert rules_by_id(needs, directory) == scalar_rules_by_id(needs, offers)


@settings(max_examples=60, deadline=None)
@given(directories(), survivors())
def test_it_fails_exactly_the_homes_whose_license_expired_before_the_search_date(offers, needs):
    # The specification's sentence, written again without the engine's code.
    directory = Directory.from_offers(offers)
    masks = failure_masks(needs, directory)
    flagged = {
        int(directory.ids[row])
        for row in range(len(directory))
        if int(masks[row]) & RULE_BIT["license"]
    }
    expired = {
        home.id
        for home in offers
        if home.license_expires is not None and home.license_expires < needs.search_date
    }
    assert flagged == expired


@settings(max_examples=40, deadline=None)
@given(directories())
def test_it_gives_back_every_home_as_it_was_put_in(offers):
    # Every field: words, levels, tag sets, the availability time and the license day.
    directory = Directory.from_offers(offers)
    rows = [directory.row_of(home.id) for home in offers]
    assert directory.offers(rows) == offers
    assert [directory.offer(row) for row in reversed(rows)] == offers[::-1]


def test_it_keeps_the_license_expiry_as_a_day_number_not_an_object():
    home = a_home(license_expires=date(2026, 11, 3))
    directory = Directory.from_offers([home, a_home(id=2)])
    assert directory.column("license_day").dtype == np.int32
    assert directory.offer(directory.row_of(1)).license_expires == date(2026, 11, 3)
    assert directory.offer(directory.row_of(2)).license_expires is None


@settings(max_examples=40, deadline=None)
@given(
    directories(max_size=10),
    st.data(),
    st.sampled_from([1.0, 1 - 1e-15, 1 + 1e-15, 1 - 1e-9, 1 + 1e-9]),
)
def test_it_agrees_with_the_scalar_rule_at_the_exclusion_radius(offers, data, scale):
    if not offers:
        return
    target = data.draw(st.sampled_from(offers))
    centre = data.draw(homes())
    distance = great_circle_miles(
        target.latitude, target.longitude, centre.latitude, centre.longitude
    )
    zone = ExclusionZone("66101", distance * scale, centre.latitude, centre.longitude)
    needs = a_survivor(exclusion_zones=(zone,))
    directory = Directory.from_offers(offers)
    assert rules_by_id(needs, directory) == scalar_rules_by_id(needs, offers)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.floats(-89.9, 89.9), st.floats(55, 89.9), st.floats(-89.9, -55)),
    st.one_of(st.floats(-179.9, 179.9), st.floats(170, 179.9), st.floats(-179.9, -170)),
    st.one_of(st.floats(1, 60), st.floats(1, 4000)),
    st.lists(
        # Homes just inside and just outside the circle, in every direction: the edges
        # of the box of whole degrees the zone is judged from (the poles and the date
        # line included).
        st.tuples(st.floats(0, 360), st.floats(0.8, 1.2)),
        min_size=1,
        max_size=30,
    ),
)
@example(70.0, -150.0, 60.0, [(90.0, 0.95), (270.0, 0.99), (80.0, 1.01)])
@example(51.88, 179.8, 40.0, [(90.0, 0.9), (270.0, 0.9)])
@example(80.0, 0.0, 1000.0, [(0.0, 0.9), (10.0, 0.95)])  # over the pole
def test_it_finds_every_home_inside_a_zone_wherever_on_the_globe(lat, lon, radius, places):
    # The scalar rule measures every home.
    offers = []
    for i, (bearing, share) in enumerate(places):
        home_lat, home_lon = destination(lat, lon, bearing, radius * share)
        offers.append(a_home(id=i + 1, latitude=home_lat, longitude=home_lon))
    needs = a_survivor(exclusion_zones=(ExclusionZone("66101", radius, lat, lon),))
    assert rules_by_id(needs, Directory.from_offers(offers)) == scalar_rules_by_id(needs, offers)


def test_it_finds_a_home_inside_a_zone_across_the_date_line():
    # Adak, Alaska, and a home 30 mi west of it, past 180 degrees of longitude.
    zone = ExclusionZone("99546", 40.0, 51.88, -179.6)
    home = a_home(id=1, latitude=51.88, longitude=179.6)
    assert great_circle_miles(51.88, -179.6, 51.88, 179.6) < 40
    needs = a_survivor(exclusion_zones=(zone,))
    assert rules_by_id(needs, Directory.from_offers([home])) == {1: {"exclusion_zone"}}


def test_it_flags_a_home_exactly_at_the_exclusion_radius():
    home = a_home()
    radius = great_circle_miles(home.latitude, home.longitude, *KCK)
    needs = a_survivor(exclusion_zones=(ExclusionZone("66101", radius, *KCK),))
    assert rules_by_id(needs, Directory.from_offers([home])) == {1: {"exclusion_zone"}}
    beyond = a_survivor(exclusion_zones=(ExclusionZone("66101", math.nextafter(radius, 0), *KCK),))
    assert rules_by_id(beyond, Directory.from_offers([home])) == {1: set()}


@settings(max_examples=25, deadline=None)
@given(directories(), survivors())
def test_it_measures_the_same_distances_as_the_scalar_haversine(offers, needs):
    distances = survivor_distances(needs, Directory.from_offers(offers))
    if needs.latitude is None:
        assert np.isnan(distances).all()
        return
    expected = [
        great_circle_miles(needs.latitude, needs.longitude, h.latitude, h.longitude) for h in offers
    ]
    assert np.allclose(distances, expected, rtol=1e-12, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(directories(), survivors(), st.data())
def test_it_measures_the_distances_of_some_homes_in_the_order_asked(offers, needs, data):
    directory = Directory.from_offers(offers)
    picked = st.lists(st.integers(0, len(directory) - 1), max_size=8) if offers else st.just([])
    rows = np.array(data.draw(picked), dtype=np.intp)
    some = survivor_distances(needs, directory, rows)
    assert some.shape == rows.shape
    np.testing.assert_array_equal(some, survivor_distances(needs, directory)[rows])


def test_it_leaves_inactive_homes_out_of_the_directory():
    directory = Directory.from_offers([a_home(id=1), a_home(id=2, active=False)])
    assert len(directory) == 1
    assert 2 not in directory
    directory.upsert([a_home(id=1, active=False)])
    assert len(directory) == 0


def test_it_replaces_a_home_by_id_and_appends_new_ones():
    directory = Directory.from_offers([a_home(id=1), a_home(id=2)])
    directory.upsert([a_home(id=2, available_beds=0), a_home(id=3)])
    assert len(directory) == 3
    assert rules_by_id(a_survivor(), directory) == {1: set(), 2: {"beds"}, 3: set()}
    assert directory.offer(directory.row_of(2)).available_beds == 0


def test_it_keeps_the_last_offer_of_an_id_within_one_upsert():
    directory = Directory.from_offers([a_home(id=1, available_beds=0), a_home(id=1)])
    assert len(directory) == 1
    assert rules_by_id(a_survivor(), directory) == {1: set()}


def test_it_removes_homes_by_id_and_ignores_unknown_ids():
    directory = Directory.from_offers([a_home(id=i) for i in range(1, 6)])
    directory.remove([2, 5, 99])
    assert sorted(directory.ids.tolist()) == [1, 3, 4]
    assert sorted(directory.offer(row).id for row in range(len(directory))) == [1, 3, 4]
    with pytest.raises(IndexError):
        directory.offer(3)


def test_it_grows_past_64_languages():
    languages = [f"l{i}" for i in range(70)]
    offers = [a_home(id=i + 1, languages=frozenset({code})) for i, code in enumerate(languages)]
    directory = Directory.from_offers(offers[:10])
    directory.upsert(offers[10:])
    for i, code in enumerate(languages):
        speaks = directory.has_tag("languages", code)
        assert directory.ids[speaks].tolist() == [i + 1]
    assert not directory.has_tag("languages", "xx").any()


operations = st.lists(
    st.one_of(
        st.tuples(st.just("upsert"), st.lists(st.integers(1, 30), max_size=5), st.data()),
        st.tuples(st.just("deactivate"), st.lists(st.integers(1, 30), max_size=3), st.none()),
        st.tuples(st.just("remove"), st.lists(st.integers(1, 30), max_size=3), st.none()),
    ),
    max_size=8,
)


@settings(max_examples=30, deadline=None)
@given(directories(max_size=15), operations, survivors())
def test_it_patches_to_the_same_directory_as_a_fresh_build(offers, steps, needs):
    directory = Directory.from_offers(offers)
    current = {home.id: home for home in offers}
    # A search before and between the patches: its rule bitsets are then patched too.
    rules_by_id(needs, directory)
    for kind, ids, data in steps:
        rules_by_id(needs, directory)
        if kind == "upsert":
            changed = [data.draw(homes(home_id)) for home_id in ids]
            directory.upsert(changed)
            current.update((home.id, home) for home in changed)
        elif kind == "deactivate":
            gone = [a_home(id=home_id, active=False) for home_id in ids]
            directory.upsert(gone)
            for home_id in ids:
                current.pop(home_id, None)
        else:
            directory.remove(ids)
            for home_id in ids:
                current.pop(home_id, None)
    fresh = Directory.from_offers(current.values())
    assert sorted(directory.ids.tolist()) == sorted(current)
    assert rules_by_id(needs, directory) == rules_by_id(needs, fresh)
    assert rules_by_id(needs, directory) == scalar_rules_by_id(needs, current.values())


@settings(max_examples=10, deadline=None)
@given(st.data(), survivors())
def test_its_rule_bitsets_follow_patches_over_many_words(data, needs):
    # 150 homes: three 64-row words, so removals move rows across words.
    offers = {i: data.draw(homes(i)) for i in range(1, 151)}
    directory = Directory.from_offers(offers.values())
    for _ in range(4):
        assert rules_by_id(needs, directory) == scalar_rules_by_id(needs, offers.values())
        gone = data.draw(st.lists(st.sampled_from(sorted(offers)), max_size=20, unique=True))
        directory.remove(gone)
        for home_id in gone:
            del offers[home_id]
        ids = data.draw(st.lists(st.integers(1, 200), max_size=30, unique=True))
        changed = [data.draw(homes(home_id)) for home_id in ids]
        directory.upsert(changed)
        offers.update((home.id, home) for home in changed)
    assert rules_by_id(needs, directory) == scalar_rules_by_id(needs, offers.values())
    assert rules_by_id(needs, directory) == rules_by_id(
        needs, Directory.from_offers(offers.values())
    )


def test_it_builds_offers_past_its_cache_of_built_homes():
    from engine.directory import _OFFER_CACHE_SIZE

    count = _OFFER_CACHE_SIZE + 10
    directory = Directory.from_offers([a_home(id=i + 1) for i in range(count)])
    assert [o.id for o in directory.offers(range(count - 20, count))] == list(
        range(count - 19, count + 1)
    )
    # More than the cache holds, mixing rows built before and rows not yet built.
    every = directory.offers(range(count))
    assert [o.id for o in every] == list(range(1, count + 1))
    assert directory.offer(5) == a_home(id=6)


@pytest.mark.parametrize(
    ("home", "needs"),
    [
        # Numbers far outside int16 on the home's side: the rules compare clipped copies.
        ({"available_beds": 70_000, "licensed_beds": 70_000}, {"dependents": 2}),
        ({"available_beds": 0, "licensed_beds": 70_000, "staff_on_duty": 0}, {}),
        ({"staff_on_duty": 40_000, "residents_per_staff": 40_000}, {"dependents": 3}),
        ({"min_age": 40_000, "max_age": 50_000}, {"age": 17}),
        ({"min_age": 0, "max_age": 50_000}, {"age": 120}),
        ({"accepts_parenting": True, "max_dependents": 90_000}, {"dependents": 4}),
        ({"accepts_parenting": True, "max_dependents": 1}, {"dependents": 4}),
    ],
)
def test_it_agrees_with_the_scalar_rules_on_numbers_beyond_what_it_stores(home, needs):
    offers = [a_home(id=1, **home)]
    survivor = a_survivor(**needs)
    directory = Directory.from_offers(offers)
    assert rules_by_id(survivor, directory) == scalar_rules_by_id(survivor, offers)
