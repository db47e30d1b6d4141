"""A whole search: who is feasible, in what order, and what would open more homes."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from engine import (
    HOME_TYPES,
    NEVER_OFFERED_RULES,
    RULES,
    SERVICES,
    STALE_AFTER,
    TRAFFICKING_SPECIFIC,
    Directory,
    ExclusionZone,
    Relaxation,
    assign,
    failed_rules,
    great_circle_miles,
    match,
)

from .builders import (
    KCK,
    LANGUAGES,
    NOW,
    a_home,
    a_survivor,
    destination,
    directories,
    latitudes,
    longitudes,
    survivors,
    updated_at,
)


def search(offers, needs=None, **options):
    return match(needs or a_survivor(), Directory.from_offers(offers), now=NOW, **options)


def ids(entries) -> list[int]:
    return [entry.home.id for entry in entries]


def distance_key(distance: float | None) -> float:
    return math.inf if distance is None else distance


# The whole result against the scalar rules


@settings(max_examples=80, deadline=None)
@given(directories(), survivors())
def test_it_finds_every_feasible_home_and_explains_every_other(offers, needs):
    result = search(offers, needs, limit=len(offers) + 1, include_excluded=True)
    failures = {home.id: failed_rules(needs, home) for home in offers}
    feasible = {home_id for home_id, failed in failures.items() if not failed}

    assert result.homes_considered == len(offers)
    assert result.feasible_count == len(feasible)
    assert set(ids(result.results)) == feasible
    assert [r.rank for r in result.results] == list(range(1, len(feasible) + 1))
    # Best score first; for a child under ICWA, within each preference tier (tiers first,
    # homes outside the preferences last).
    keys = [(99 if r.icwa_tier is None else r.icwa_tier, -r.score) for r in result.results]
    assert keys == sorted(keys)
    for ranked in result.results:
        assert round(sum(f.points for f in ranked.breakdown), 1) == ranked.score
        assert 0 <= ranked.score <= 100

    assert result.excluded is not None
    assert set(ids(result.excluded)) == set(failures) - feasible
    for miss in result.excluded:
        assert miss.failed == failures[miss.home.id]
    keys = [(len(m.failed), distance_key(m.distance_miles)) for m in result.excluded]
    assert keys == sorted(keys)

    one_failure = {
        home_id
        for home_id, failed in failures.items()
        if len(failed) == 1 and failed[0].rule not in NEVER_OFFERED_RULES
    }
    assert set(ids(result.near_misses)) == one_failure
    assert result.near_miss_count == len(one_failure)
    for miss in result.near_misses:
        assert miss.failed == failures[miss.home.id]

    assert result.failures_by_rule == {
        rule: sum(1 for failed in failures.values() if rule in {f.rule for f in failed})
        for rule in RULES
    }
    alone = Counter(
        failed[0].rule
        for failed in failures.values()
        if len(failed) == 1 and failed[0].rule not in NEVER_OFFERED_RULES
    )
    assert {(r.rule, r.homes) for r in result.relaxations} == set(alone.items())
    order = [(-r.homes, RULES.index(r.rule)) for r in result.relaxations]
    assert order == sorted(order)


@settings(max_examples=40, deadline=None)
@given(directories(), survivors(), st.integers(0, 6))
def test_it_returns_the_head_of_the_full_ranking_within_the_limit(offers, needs, limit):
    directory = Directory.from_offers(offers)
    full = match(needs, directory, now=NOW, limit=len(offers) + 1)
    head = match(needs, directory, now=NOW, limit=limit)
    assert head.results == full.results[:limit]
    assert head.near_misses == full.near_misses[:limit]
    assert head.near_miss_count == full.near_miss_count
    assert head.feasible_count == full.feasible_count
    assert head.excluded is None
    keys = [(distance_key(m.distance_miles), m.home.id) for m in full.near_misses]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)


@settings(max_examples=40, deadline=None)
@given(directories(), survivors(), st.randoms(use_true_random=False))
def test_it_ranks_the_same_whatever_the_order_of_the_homes(offers, needs, random):
    shuffled = list(offers)
    random.shuffle(shuffled)
    first = search(offers, needs, limit=5, include_excluded=True)
    second = search(shuffled, needs, limit=5, include_excluded=True)
    assert first == second


@settings(max_examples=40, deadline=None)
@given(directories(), survivors(), st.data())
def test_it_never_drops_a_feasible_home_for_having_more_beds(offers, needs, data):
    assume(offers)
    home = data.draw(st.sampled_from(offers))
    extra = data.draw(st.integers(1, 3))
    available = home.available_beds + extra
    roomier = dataclasses.replace(
        home, available_beds=available, licensed_beds=max(home.licensed_beds, available)
    )
    directory = Directory.from_offers(offers)
    before = match(needs, directory, now=NOW, limit=len(offers))
    directory.upsert([roomier])
    after = match(needs, directory, now=NOW, limit=len(offers))
    assert set(ids(before.results)) <= set(ids(after.results))
    assert set(ids(after.results)) - set(ids(before.results)) <= {home.id}


# Ordering guarantees: two homes alike but for one attribute. The better home
# gets the higher id, so a tie broken by id could never explain the order.


@st.composite
def alike(draw: st.DrawFn):
    """(needs, home) where the home is feasible and the score factors vary."""
    located = draw(st.booleans())
    needs = a_survivor(
        urgency=draw(st.sampled_from(("crisis", "planned"))),
        latitude=KCK[0] if located else None,
        longitude=KCK[1] if located else None,
        max_distance_miles=draw(st.one_of(st.none(), st.floats(0, 80))),
        services_needed=draw(st.frozensets(st.sampled_from(SERVICES), max_size=4)),
        primary_language=draw(st.sampled_from(("", *LANGUAGES))),
    )
    home = a_home(
        home_type=draw(st.sampled_from(HOME_TYPES)),
        latitude=draw(latitudes),
        longitude=draw(longitudes),
        availability_updated_at=draw(updated_at),
        services=draw(st.frozensets(st.sampled_from(SERVICES))),
        languages=draw(st.frozensets(st.sampled_from(LANGUAGES))),
    )
    return needs, home


def assert_outranks(needs, better, worse):
    result = search([dataclasses.replace(worse, id=1), dataclasses.replace(better, id=2)], needs)
    assert ids(result.results) == [2, 1]


@settings(max_examples=40, deadline=None)
@given(alike(), st.sampled_from(sorted(TRAFFICKING_SPECIFIC)), st.data())
def test_it_ranks_a_trafficking_specific_home_above_a_generic_one(case, specific, data):
    needs, home = case
    generic = data.draw(st.sampled_from(sorted(set(HOME_TYPES) - TRAFFICKING_SPECIFIC)))
    assert_outranks(
        needs,
        dataclasses.replace(home, home_type=specific),
        dataclasses.replace(home, home_type=generic),
    )


@settings(max_examples=40, deadline=None)
@given(alike(), st.sampled_from([t for t in HOME_TYPES if t != "crisis_stabilization"]))
def test_it_ranks_crisis_stabilization_first_in_a_crisis(case, other):
    needs, home = case
    assert_outranks(
        dataclasses.replace(needs, urgency="crisis"),
        dataclasses.replace(home, home_type="crisis_stabilization"),
        dataclasses.replace(home, home_type=other),
    )


@settings(max_examples=40, deadline=None)
@given(alike(), latitudes, longitudes, latitudes, longitudes)
def test_it_ranks_a_closer_home_above_a_farther_one(case, lat1, lon1, lat2, lon2):
    needs, home = case
    needs = dataclasses.replace(needs, latitude=KCK[0], longitude=KCK[1])
    d1 = great_circle_miles(*KCK, lat1, lon1)
    d2 = great_circle_miles(*KCK, lat2, lon2)
    assume(abs(d1 - d2) > 1e-6)
    near, far = ((lat1, lon1), (lat2, lon2)) if d1 < d2 else ((lat2, lon2), (lat1, lon1))
    assert_outranks(
        needs,
        dataclasses.replace(home, latitude=near[0], longitude=near[1]),
        dataclasses.replace(home, latitude=far[0], longitude=far[1]),
    )


def test_it_keeps_a_home_beyond_the_preferred_distance_with_fewer_distance_points():
    far = a_home()  # Lawrence, KS: 34 miles from KCK
    result = search([far], a_survivor(max_distance_miles=20))
    assert ids(result.results) == [1]
    distance = result.results[0].breakdown[1]
    assert (distance.factor, distance.points) == ("distance", 5.8)
    assert distance.detail == "34.1 mi away, beyond the 20 mi preference"


def test_it_ranks_the_closer_of_two_homes_beyond_the_preference_higher():
    # The case: a 150-mile preference; homes 200 and 942 miles from KCK due
    # west (a degree of latitude is about 69.1 miles), and one within the preference.
    needs = a_survivor(max_distance_miles=150, custody_state="KS")
    within = a_home(id=1, latitude=KCK[0] - 100 / 69.09, longitude=KCK[1])
    closer = a_home(id=2, latitude=KCK[0] - 200 / 69.09, longitude=KCK[1])
    farther = a_home(id=3, latitude=KCK[0] - 942 / 69.09, longitude=KCK[1])
    result = search([farther, closer, within], needs)
    assert ids(result.results) == [1, 2, 3]
    assert [round(r.distance_miles) for r in result.results] == [100, 200, 942]
    points = [r.breakdown[1].points for r in result.results]
    assert points[0] > points[1] > points[2] > 0


@settings(max_examples=40, deadline=None)
@given(
    alike(),
    st.timedeltas(min_value=timedelta(0), max_value=STALE_AFTER),
    st.one_of(
        st.none(),
        st.timedeltas(min_value=STALE_AFTER + timedelta(microseconds=1), max_value=STALE_AFTER * 9),
    ),
)
def test_it_ranks_fresh_availability_above_stale(case, fresh_age, stale_age):
    needs, home = case
    stale_at = None if stale_age is None else NOW - stale_age
    assert_outranks(
        needs,
        dataclasses.replace(home, availability_updated_at=NOW - fresh_age),
        dataclasses.replace(home, availability_updated_at=stale_at),
    )
    result = search([dataclasses.replace(home, availability_updated_at=stale_at)], needs)
    assert result.results[0].stale


@settings(max_examples=40, deadline=None)
@given(alike(), st.data())
def test_it_ranks_a_home_offering_more_needed_services_higher(case, data):
    needs, home = case
    needed = data.draw(st.frozensets(st.sampled_from(SERVICES), min_size=1, max_size=5))
    offered = data.draw(st.frozensets(st.sampled_from(SERVICES))) - {
        data.draw(st.sampled_from(sorted(needed)))
    }
    missing = data.draw(st.sampled_from(sorted(needed - offered)))
    assert_outranks(
        dataclasses.replace(needs, services_needed=needed),
        dataclasses.replace(home, services=offered | {missing}),
        dataclasses.replace(home, services=offered),
    )


@settings(max_examples=40, deadline=None)
@given(alike(), st.sampled_from(LANGUAGES))
def test_it_ranks_a_home_speaking_the_child_s_language_higher(case, language):
    needs, home = case
    assert_outranks(
        dataclasses.replace(needs, primary_language=language),
        dataclasses.replace(home, languages=home.languages | {language}),
        dataclasses.replace(home, languages=home.languages - {language}),
    )


def test_it_breaks_ties_by_distance_then_id():
    # 600 and 601 miles from KCK both earn 8.3 distance points: an equal score.
    near = a_home(id=9, latitude=KCK[0] - 600 / 69.09, longitude=KCK[1])
    far_a = a_home(id=5, latitude=KCK[0] - 601 / 69.09, longitude=KCK[1])
    far_b = a_home(id=3, latitude=KCK[0] - 601 / 69.09, longitude=KCK[1])
    needs = a_survivor()
    result = search([far_a, near, far_b], needs)
    assert len({r.score for r in result.results}) == 1
    assert ids(result.results) == [9, 3, 5]
    unlocated = a_survivor(latitude=None, longitude=None)
    assert ids(search([far_a, near, far_b], unlocated).results) == [3, 5, 9]
    assert search([near], unlocated).results[0].distance_miles is None


# The result's shape


def test_it_does_not_consider_inactive_homes():
    result = search([a_home(id=1), a_home(id=2, active=False)], include_excluded=True, limit=10)
    assert result.homes_considered == 1
    assert ids(result.results) == [1]
    assert result.excluded == ()


def test_it_answers_an_empty_directory():
    result = search([], include_excluded=True)
    assert (result.homes_considered, result.feasible_count, result.results) == (0, 0, ())
    assert (result.near_misses, result.near_miss_count, result.excluded) == ((), 0, ())
    assert result.relaxations == ()
    assert result.failures_by_rule == dict.fromkeys(RULES, 0)


def test_it_refuses_a_negative_limit():
    with pytest.raises(ValueError):
        search([a_home()], limit=-1)


def test_it_lists_near_misses_nearest_first_with_the_reason():
    offers = [
        a_home(id=1, available_beds=0),
        a_home(id=2, latitude=39.0, longitude=-94.7, intake_24_7=False),
        a_home(id=3, available_beds=0, intake_24_7=False),
    ]
    result = search(offers, a_survivor(urgency="crisis"))
    assert ids(result.near_misses) == [2, 1]
    assert result.near_misses[0].failed[0].reason == "No 24/7 intake for a crisis placement"
    assert result.near_miss_count == 2
    assert result.results == ()


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-89.9, 89.9),
    st.floats(-179.9, 179.9),
    st.lists(
        st.tuples(
            # Most homes within a few degrees of the child, across the edges of the
            # band the search first measures; some anywhere on the globe.
            st.one_of(st.floats(-4, 4), st.floats(-180, 180)),
            st.one_of(st.floats(-12, 12), st.floats(-360, 360)),
            st.sampled_from([0, 0, 1]),
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(0, 25),
)
def test_it_finds_the_nearest_near_misses_wherever_they_lie(lat, lon, places, limit):
    # The search measures only a band of latitude around the child, widening it as
    # needed; the answer is the whole directory's, sorted by distance then id.
    offers = [
        a_home(
            id=i + 1,
            latitude=min(89.9, max(-89.9, lat + dlat)),
            longitude=(lon + dlon + 180) % 360 - 180,
            available_beds=beds,
        )
        for i, (dlat, dlon, beds) in enumerate(places)
    ]
    needs = dataclasses.replace(a_survivor(), latitude=lat, longitude=lon)
    directory = Directory.from_offers(offers)
    result = match(needs, directory, now=NOW, limit=limit)
    miles = assign.survivor_distances(needs, directory)
    missing = [row for row in range(len(directory)) if directory.offer(row).available_beds == 0]
    expected = sorted(missing, key=lambda row: (miles[row], int(directory.ids[row])))[:limit]
    assert ids(result.near_misses) == [int(directory.ids[row]) for row in expected]
    assert result.near_miss_count == len(missing)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.floats(-89.9, 89.9), st.floats(55, 89.9), st.floats(-89.9, -55)),
    st.one_of(st.floats(-179.9, 179.9), st.floats(170, 179.9), st.floats(-179.9, -170)),
    # Homes in every direction, from a few miles to past the box the search first reads
    # (a degree of arc is 69 miles), and some farther.
    st.lists(
        st.tuples(st.floats(0, 360), st.one_of(st.floats(0, 400), st.floats(0, 6000))),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 12),
)
@example(70.0, -150.0, [(90.0, 150.0), (0.0, 200.0)], 1)  # far north: degrees are short
@example(51.88, 179.8, [(90.0, 40.0), (270.0, 60.0), (0.0, 70.0)], 2)
@example(88.0, 10.0, [(0.0, 200.0), (180.0, 250.0)], 1)  # over the pole
def test_it_finds_the_nearest_near_misses_at_the_poles_and_the_date_line(lat, lon, places, limit):
    # The search measures a box of whole degrees around the child, widening it as needed;
    # the answer is the whole directory's, sorted by distance then id.
    offers = []
    for i, (bearing, miles) in enumerate(places):
        home_lat, home_lon = destination(lat, lon, bearing, miles)
        offers.append(a_home(id=i + 1, latitude=home_lat, longitude=home_lon, available_beds=0))
    needs = dataclasses.replace(a_survivor(), latitude=lat, longitude=lon)
    directory = Directory.from_offers(offers)
    result = match(needs, directory, now=NOW, limit=limit)
    miles = assign.survivor_distances(needs, directory)
    expected = sorted(range(len(directory)), key=lambda row: (miles[row], int(directory.ids[row])))
    assert ids(result.near_misses) == [int(directory.ids[row]) for row in expected[:limit]]


def test_it_finds_a_near_miss_just_outside_the_first_band_before_a_far_one_inside():
    # One degree north of the child's band, 130 mi away, against one inside it across
    # the globe.
    offers = [
        a_home(id=1, latitude=39.5, longitude=100.0, available_beds=0),
        a_home(id=2, latitude=41.0, longitude=-94.6, available_beds=0),
    ]
    result = search(
        offers, dataclasses.replace(a_survivor(), latitude=39.1, longitude=-94.6), limit=1
    )
    assert ids(result.near_misses) == [2]


# Relaxations


def relaxations(offers, needs) -> list[Relaxation]:
    return list(search(offers, needs).relaxations)


def test_it_suggests_icpc_approval_for_one_state():
    needs = a_survivor(guardianship="state", custody_state="MO")
    offers = [a_home(id=i, state="KS") for i in range(1, 4)]
    assert relaxations(offers, needs) == [
        Relaxation("state_line", 3, "Request ICPC approval for KS: 3 more homes")
    ]
    assert relaxations(offers[:1], needs) == [
        Relaxation("state_line", 1, "Request ICPC approval for KS: 1 more home")
    ]


def test_it_suggests_icpc_approval_for_several_states_most_homes_first():
    needs = a_survivor(guardianship="state", custody_state="MO")
    offers = [a_home(id=1, state="NE")] + [a_home(id=i, state="KS") for i in range(2, 5)]
    assert relaxations(offers, needs) == [
        Relaxation("state_line", 4, "Request ICPC approval for KS (3 homes), NE (1 home)")
    ]


def test_it_counts_homes_refusing_out_of_state_placements_apart_from_icpc():
    needs = a_survivor(guardianship="state", custody_state="MO")
    offers = [
        a_home(id=1, state="KS"),
        a_home(id=2, state="NE", accepts_out_of_state=False),
        a_home(id=3, state="OK", accepts_out_of_state=False),
    ]
    assert relaxations(offers, needs) == [
        Relaxation(
            "state_line",
            3,
            "Request ICPC approval for KS: 1 more home; "
            "2 homes in another state take no out-of-state placements",
        )
    ]
    parent = a_survivor(guardianship="parent", custody_state="MO")
    assert relaxations(offers[1:2], parent) == [
        Relaxation("state_line", 1, "1 home in another state takes no out-of-state placements")
    ]


def test_it_names_at_most_five_states_for_icpc():
    needs = a_survivor(guardianship="state", custody_state="MO")
    states = ["AR", "CO", "IA", "IL", "KS", "NE", "OK"]
    offers = [a_home(id=i + 1, state=state) for i, state in enumerate(states)]
    offers.append(a_home(id=99, state="KS"))
    (relaxation,) = relaxations(offers, needs)
    assert relaxation.homes == 8
    assert relaxation.suggestion == (
        "Request ICPC approval for KS (2 homes), AR (1 home), CO (1 home), IA (1 home), "
        "IL (1 home), 2 other states (2 homes)"
    )


def test_it_suggests_a_home_taking_the_child_s_substance_use():
    needs = a_survivor(substance_use="active")
    offers = [a_home(id=i, substance_use_accepted="in_recovery") for i in (1, 2)]
    assert relaxations(offers, needs) == [
        Relaxation("substance_use", 2, "A home that takes active substance use would add 2")
    ]
    recovering = a_survivor(substance_use="in_recovery")
    assert relaxations([a_home(substance_use_accepted="none")], recovering) == [
        Relaxation("substance_use", 1, "A home that takes substance use in recovery would add 1")
    ]


def test_it_words_suggestions_in_the_singular_and_plural():
    full = [a_home(id=i, available_beds=0) for i in (1, 2, 3)]
    assert relaxations(full, a_survivor())[0].suggestion == (
        "3 homes are full; they would fit when a bed opens"
    )
    assert relaxations(full[:1], a_survivor())[0].suggestion == (
        "1 home is full; it would fit when a bed opens"
    )


def test_it_never_offers_a_home_inside_an_exclusion_zone():
    # DESIGN "Safety across cases": not a near miss, a relaxation or a call tonight,
    # even when the zone is the only rule the home fails; it stays in the excluded list.
    zone = ExclusionZone("66044", 5, 38.9717, -95.2353)
    needs = a_survivor(exclusion_zones=(zone,), urgency="crisis")
    inside = a_home(id=1, latitude=38.9717, longitude=-95.2353)
    inside_and_full = a_home(id=2, latitude=38.9717, longitude=-95.2353, available_beds=0)
    full = a_home(id=3, latitude=39.5, longitude=-94.3, available_beds=0)
    result = search([inside, inside_and_full, full], needs, include_excluded=True)
    assert ids(result.near_misses) == [3]
    assert result.near_miss_count == 1
    assert [x.rule for x in result.relaxations] == ["beds"]
    assert result.tonight.nothing_fits
    assert ids(result.tonight.fail_only) == [3]
    assert set(ids(result.excluded)) == {1, 2, 3}
    assert result.failures_by_rule["exclusion_zone"] == 2


def test_it_has_a_suggestion_for_every_rule():
    needs = a_survivor(
        guardianship="state",
        custody_state="MO",
        urgency="crisis",
        substance_use="active",
        needs_detox=True,
        dependents=1,
        medical_level="complex",
        pregnant=True,
        mental_health_acuity="high",
        runaway_risk="high",
        juvenile_justice_involved=True,
        primary_language="es",
        interpreter_needed=True,
        exclusion_zones=(ExclusionZone("66044", 5, 38.9717, -95.2353),),
        keep_apart_homes=frozenset({18}),
    )
    lawrence = (38.9717, -95.2353)
    far = {"latitude": 39.5, "longitude": -94.3}
    breaking = {
        "beds": {"available_beds": 1, **far},
        "staffing": {"staff_on_duty": 1, "residents_per_staff": 5, **far},
        "age": {"min_age": 16, **far},
        "gender": {"genders_served": frozenset({"male"}), **far},
        "substance_use": {"substance_use_accepted": "in_recovery", **far},
        "detox": {"detox_on_site": False, **far},
        "dependents": {"accepts_parenting": False, **far},
        "medical": {"medical_level": "routine", **far},
        "pregnancy": {"accepts_pregnant": False, **far},
        "mental_health": {"mental_health_max": "moderate", **far},
        "runaway_risk": {"staff_secure": False, **far},
        "guardianship": {"accepts_state_wards": False, **far},
        "state_line": {"state": "KS", **far},
        "exclusion_zone": {"latitude": lawrence[0], "longitude": lawrence[1]},
        "crisis_intake": {"intake_24_7": False, **far},
        "license": {"license_expires": NOW.date() - timedelta(days=1), **far},
        "juvenile_justice": {"accepts_juvenile_justice": False, **far},
        "keep_apart": {**far},  # home 18: a child she is kept apart from is there
        "language": {"languages": frozenset({"en"}), **far},
    }
    offers = [
        a_home(id=i, state="MO", **changes) if rule != "state_line" else a_home(id=i, **changes)
        for i, (rule, changes) in enumerate(breaking.items(), start=1)
    ]
    found = relaxations(offers, needs)
    assert [r.rule for r in found] == [rule for rule in RULES if rule not in NEVER_OFFERED_RULES]
    assert all(r.homes == 1 and r.suggestion for r in found)


def test_it_runs_python_per_home_only_for_the_rows_it_returns(monkeypatch):
    calls = Counter()

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        monkeypatch.setattr(assign, name, wrapper)

    counting("score_home", assign.score_home)
    counting("explain", assign.explain)
    offers = [a_home(id=i) for i in range(1, 301)]
    offers += [a_home(id=i, available_beds=0) for i in range(301, 601)]
    result = search(offers, limit=7)
    assert (result.feasible_count, result.near_miss_count) == (300, 300)
    # Each near miss is explained by the one rule its mask says it fails.
    assert calls == {"score_home": 7, "explain": 7}


# When nothing fits tonight


def test_it_says_something_fits_when_a_home_other_than_a_shelter_is_feasible():
    offers = [
        a_home(id=1),
        a_home(id=2, home_type="emergency_shelter"),
        a_home(id=3, available_beds=0),
    ]
    tonight = search(offers).tonight
    assert (tonight.nothing_fits, tonight.fail_only, tonight.interim_shelters) == (False, (), ())


def test_it_lists_what_can_change_tonight_when_only_a_shelter_fits():
    needs = a_survivor(urgency="crisis", guardianship="state", custody_state="KS")

    # Each home `miles` due south of the child, in KS unless said.
    def home(home_id, miles, **changes):
        return a_home(id=home_id, latitude=KCK[0] - miles / 69.09, longitude=KCK[1], **changes)

    offers = [
        home(1, 30, home_type="emergency_shelter"),
        home(2, 20, staff_on_duty=1, residents_per_staff=4),  # 4 residents for 4
        home(3, 5, available_beds=0),
        home(4, 10, intake_24_7=False),
        home(5, 8, available_beds=0, intake_24_7=False),  # two rules: not tonight
        home(6, 3, state="MO"),  # needs ICPC: takes days
        home(7, 2, available_beds=0),
        home(8, 1, license_expires=NOW.date() - timedelta(days=3)),  # takes days
    ]
    result = search(offers, needs)
    tonight = result.tonight
    assert tonight.nothing_fits
    assert [(m.home.id, m.failed[0].rule) for m in tonight.fail_only] == [
        (7, "beds"),
        (3, "beds"),
        (2, "staffing"),
        (4, "crisis_intake"),
    ]
    assert all(len(m.failed) == 1 for m in tonight.fail_only)
    assert [r.home.id for r in tonight.interim_shelters] == [1]
    assert tonight.interim_shelters == result.results
    assert {r.rule for r in result.relaxations} == {
        "beds",
        "staffing",
        "crisis_intake",
        "state_line",
        "license",
    }


def test_it_says_nothing_fits_when_no_home_at_all_is_feasible():
    tonight = search([a_home(available_beds=0)]).tonight
    assert tonight.nothing_fits
    assert [m.home.id for m in tonight.fail_only] == [1]
    assert tonight.interim_shelters == ()


def test_it_lists_at_most_five_homes_per_tonight_rule_nearest_first():
    offers = [
        a_home(id=i, latitude=KCK[0] - i / 69.09, longitude=KCK[1], available_beds=0)
        for i in range(1, 9)
    ]
    tonight = search(offers).tonight
    assert [m.home.id for m in tonight.fail_only] == [1, 2, 3, 4, 5]


@settings(max_examples=60, deadline=None)
@given(directories(), survivors(), st.integers(0, 6))
def test_it_fills_tonight_exactly_when_nothing_but_a_shelter_fits(offers, needs, limit):
    result = search(offers, needs, limit=limit)
    failures = {home.id: failed_rules(needs, home) for home in offers}
    home_type = {home.id: home.home_type for home in offers}
    fits = [
        i for i, failed in failures.items() if not failed and home_type[i] != "emergency_shelter"
    ]
    tonight = result.tonight
    assert tonight.nothing_fits == (not fits)
    if fits:
        assert (tonight.fail_only, tonight.interim_shelters) == ((), ())
        return
    for miss in tonight.fail_only:
        assert miss.failed == failures[miss.home.id]
        assert miss.failed[0].rule in ("beds", "staffing", "crisis_intake")
    full = search(offers, needs, limit=len(offers) + 1)
    assert tonight.interim_shelters == full.results[:5]
    for rule in ("beds", "staffing", "crisis_intake"):
        alone = [i for i, failed in failures.items() if [f.rule for f in failed] == [rule]]
        listed = [m.home.id for m in tonight.fail_only if m.failed[0].rule == rule]
        assert len(listed) == min(5, len(alone)) and set(listed) <= set(alone)
