"""One search: feasible homes ranked, near misses, and what would open more homes.

Every home is judged with numpy (`vector.rule_failures`, `scoring.score_rows`);
Python only runs per home for the rows the result returns, whose reasons and
breakdowns come from the scalar rules and score.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np

from .directory import Directory
from .geo import EARTH_RADIUS_MILES
from .icwa import icwa_tier, tier_rows
from .layout import count_bits, rows_of
from .rules import explain, plural
from .scoring import score_home, score_rows
from .types import (
    HOME_TYPES,
    INTERIM_HOME_TYPE,
    NEVER_OFFERED_RULES,
    RULES,
    STALE_AFTER,
    SUBSTANCE_LEVELS,
    TONIGHT_RULES,
    Factor,
    HomeOffer,
    MatchResult,
    Miss,
    Ranked,
    Relaxation,
    SurvivorNeeds,
    Tonight,
)
from .vector import (
    RuleFailures,
    failure_masks,
    near_box,
    rule_failures,
    rules_in,
    survivor_distances,
)

# An ICPC suggestion naming forty states helps nobody at 2 a.m.
ICPC_STATES_LISTED = 5
# Excluded homes per page by default: a national directory has a quarter of a million.
EXCLUDED_PAGE = 200
# Near misses are first looked for within this many degrees of arc of the child.
_FIRST_REACH_DEGREES = 1.0
# When nothing fits: homes to call per rule that can change tonight, and interim shelters.
TONIGHT_PER_RULE = 5
TONIGHT_SHELTERS = 5


def match(
    needs: SurvivorNeeds,
    directory: Directory,
    *,
    now: datetime,
    limit: int = 20,
    include_excluded: bool = False,
    excluded_limit: int = EXCLUDED_PAGE,
    excluded_offset: int = 0,
    stale_after: timedelta = STALE_AFTER,
) -> MatchResult:
    """Rank the feasible homes for a survivor and explain the others.

    results: the best `limit` feasible homes by score, then distance (unknown
    last), then id; for a child ICWA covers, by preference tier first (icwa.py).
    near_misses: at most `limit` homes failing exactly one rule, nearest first.
    excluded (only with include_excluded): `excluded_limit` infeasible homes from
    `excluded_offset` on, each with all its failures, in the order of
    `excluded_order` (fewest failures, then nearest, then id).
    """
    if limit < 0 or excluded_limit < 0 or excluded_offset < 0:
        raise ValueError("limit, excluded_limit and excluded_offset must be >= 0")
    failures = rule_failures(needs, directory)
    feasible = failures.feasible_rows()
    # Distances only where a result, a near miss or the excluded page needs them, each
    # array beside its rows (one per home of a national directory would be megabytes).
    if include_excluded:
        distances = survivor_distances(needs, directory)
        feasible_miles = distances[feasible]
    else:
        feasible_miles = survivor_distances(needs, directory, feasible)
    scores = score_rows(needs, directory, feasible_miles, now, feasible, stale_after)
    keys: tuple[np.ndarray, ...] = (
        -scores.score,
        _sort_key(feasible_miles),
        directory.ids[feasible],
    )
    if needs.icwa_applies:
        keys = (tier_rows(needs, directory, feasible), *keys)
    order = _smallest(keys, max(limit, TONIGHT_SHELTERS))
    ranked, ranked_miles = feasible[order], feasible_miles[order]

    def rank(count: int) -> tuple[Ranked, ...]:
        return _ranked(needs, directory, ranked[:count], ranked_miles[:count], now, stale_after)

    results = rank(limit)
    return MatchResult(
        homes_considered=len(directory),
        feasible_count=len(feasible),
        results=results,
        near_misses=_near_misses(needs, directory, failures, limit),
        near_miss_count=failures.single_count(),
        excluded=_excluded_page(
            needs, directory, failures, distances, excluded_offset, excluded_limit
        )
        if include_excluded
        else None,
        relaxations=_relaxations(needs, directory, failures),
        failures_by_rule=failures.counts(),
        excluded_count=len(directory) - len(feasible),
        tonight=_tonight(needs, directory, failures, feasible, results, rank),
    )


def _tonight(
    needs: SurvivorNeeds,
    directory: Directory,
    failures: RuleFailures,
    feasible: np.ndarray,
    results: tuple[Ranked, ...],
    rank: Callable[[int], tuple[Ranked, ...]],
) -> Tonight:
    """What can change tonight, when nothing but emergency shelters fits."""
    interim = directory.column("home_type")[feasible] == HOME_TYPES.index(INTERIM_HOME_TYPE)
    if not interim.all():
        return Tonight(nothing_fits=False)
    # The shelters are all the feasible homes, so the best of them head the ranking.
    enough = len(results) >= min(TONIGHT_SHELTERS, len(feasible))
    shelters = results[:TONIGHT_SHELTERS] if enough else rank(TONIGHT_SHELTERS)
    return Tonight(True, _fail_only(needs, directory, failures), shelters)


def _near_misses(
    needs: SurvivorNeeds, directory: Directory, failures: RuleFailures, limit: int
) -> tuple[Miss, ...]:
    """The homes failing exactly one rule, not one of NEVER_OFFERED_RULES, nearest
    first, at most `limit`."""
    nearest, nearest_miles = _nearest(needs, directory, failures.single, limit)
    # A near miss fails one rule, and its mask says which: only that rule explains it.
    return tuple(
        Miss(home, shown_distance(distance), explain(needs, home, rules_in(mask)))
        for home, distance, mask in zip(
            directory.offers(nearest.tolist()),
            _distances(nearest_miles),
            failures.masks(nearest).tolist(),
            strict=True,
        )
    )


def _excluded_page(
    needs: SurvivorNeeds,
    directory: Directory,
    failures: RuleFailures,
    distances: np.ndarray,
    offset: int,
    limit: int,
) -> tuple[Miss, ...]:
    """`limit` infeasible homes from `offset` on, in the order of `excluded_order`."""
    masks = failures.masks()
    infeasible = np.flatnonzero(masks)
    keys = _excluded_keys(infeasible, np.bitwise_count(masks), distances, directory.ids)
    page = infeasible[_smallest(keys, offset + limit)][offset:]
    return _excluded(needs, directory, page, masks, distances[page])


def _ranked(
    needs: SurvivorNeeds,
    directory: Directory,
    rows: np.ndarray,
    miles: np.ndarray,
    now: datetime,
    stale_after: timedelta,
) -> tuple[Ranked, ...]:
    """The feasible homes in `rows` (best first, `miles` away) with their scores and
    breakdowns."""
    results = []
    made: dict[tuple[str, float, str], Factor] = {}
    for rank, (home, distance) in enumerate(
        zip(directory.offers(rows.tolist()), _distances(miles), strict=True), start=1
    ):
        # Bit-identical to the vectorised score that ranked it (tested).
        score, breakdown, stale = score_home(needs, home, distance, now, stale_after, made)
        tier = icwa_tier(needs, home)
        results.append(Ranked(rank, score, shown_distance(distance), stale, home, breakdown, tier))
    return tuple(results)


def _fail_only(
    needs: SurvivorNeeds, directory: Directory, failures: RuleFailures
) -> tuple[Miss, ...]:
    """The nearest homes failing one of TONIGHT_RULES and nothing else, per rule."""
    misses: list[Miss] = []
    for rule in TONIGHT_RULES:
        alone = failures.by_rule.get(rule)
        if alone is None:
            continue
        rows, miles = _nearest(needs, directory, alone & failures.single, TONIGHT_PER_RULE)
        homes: list[HomeOffer] = directory.offers(rows.tolist())
        for home, distance in zip(homes, _distances(miles), strict=True):
            misses.append(Miss(home, shown_distance(distance), explain(needs, home, (rule,))))
    return tuple(misses)


def _nearest(
    needs: SurvivorNeeds, directory: Directory, homes: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """The `limit` homes of the bitset `homes` nearest the child (then by id; by id alone
    without a location), with their miles.

    Distances are measured in a box of whole degrees of latitude and longitude around
    the child, widened until the `limit`-th nearest in it is nearer than anything
    outside can be: a few dozen homes, where the near misses of a national directory
    number tens of thousands."""
    ids = directory.ids
    reach = _FIRST_REACH_DEGREES
    while True:
        band = None
        if needs.latitude is not None and needs.longitude is not None:
            band = near_box(directory, needs.latitude, needs.longitude, reach)
        rows = rows_of(homes if band is None else homes & band)
        miles = survivor_distances(needs, directory, rows)
        pick = _smallest((_sort_key(miles), ids[rows]), limit)
        if band is None:
            return rows[pick], miles[pick]
        # Anything outside the box is at least `reach` degrees of arc away.
        beyond = math.radians(reach) * EARTH_RADIUS_MILES * (1 - 1e-9) - 1e-6
        if len(pick) == limit and (not limit or miles[pick[-1]] < beyond):
            return rows[pick], miles[pick]
        reach *= 4


def excluded_order(needs: SurvivorNeeds, directory: Directory) -> tuple[np.ndarray, np.ndarray]:
    """The ids of every infeasible home, fewest failures first, then nearest, then id,
    with their distances (NaN without a survivor location): for a full download, which
    then explains the homes a few at a time instead of holding them all."""
    masks = failure_masks(needs, directory)
    distances = survivor_distances(needs, directory)
    infeasible = np.flatnonzero(masks)
    keys = _excluded_keys(infeasible, np.bitwise_count(masks), distances, directory.ids)
    rows = infeasible[np.lexsort(keys[::-1])]
    return directory.ids[rows].copy(), distances[rows]


def _excluded_keys(
    rows: np.ndarray, failure_counts: np.ndarray, distances: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The excluded list's order, most significant first: fewest failed rules, then
    nearest (unknown last), then id."""
    return failure_counts[rows], _sort_key(distances[rows]), ids[rows]


def shown_distance(distance: float | None) -> float | None:
    """A distance as results show it: one decimal; None when unknown (None or NaN)."""
    return None if distance is None or math.isnan(distance) else round(distance, 1)


def _sort_key(miles: np.ndarray) -> np.ndarray:
    """Distances for sorting: unknown ones (no survivor location) last."""
    return np.where(np.isnan(miles), np.inf, miles)


def _distances(miles: np.ndarray) -> list[float | None]:
    return [None if math.isnan(value) else value for value in miles.tolist()]


def _excluded(
    needs: SurvivorNeeds,
    directory: Directory,
    rows: np.ndarray,
    masks: np.ndarray,
    miles: np.ndarray,
) -> tuple[Miss, ...]:
    """The infeasible homes in `rows` (`miles` away) with all their failures, in that order.

    The masks say which rules fail, so only those scalar checks run to write
    the reasons.
    """
    failing_rules: dict[int, tuple[str, ...]] = {}
    homes = directory.offers(rows.tolist())
    shown = [shown_distance(distance) for distance in _distances(miles)]
    excluded = []
    for home, distance, mask in zip(homes, shown, masks[rows].tolist(), strict=True):
        failing = failing_rules.get(mask)
        if failing is None:
            failing = failing_rules[mask] = rules_in(mask)
        excluded.append(Miss(home, distance, explain(needs, home, failing)))
    return tuple(excluded)


def _smallest(keys: tuple[np.ndarray, ...], k: int) -> np.ndarray:
    """Positions of the k lexicographically smallest rows of `keys`, in order.

    keys[0] is the most significant and the last key must be unique (the id).
    Selects with np.partition key by key, so only the few chosen rows are
    fully sorted: a lexsort of 250,000 rows alone would blow the time budget.
    """
    size = len(keys[0])
    if k <= 0 or size == 0:
        return np.empty(0, np.intp)
    if size <= k:
        picked = np.arange(size)
    else:
        chosen = []
        candidates = np.arange(size)
        need = k
        for key in keys:
            if len(candidates) <= need:
                break
            values = key[candidates]
            kth = np.partition(values, need - 1)[need - 1]
            below = values < kth
            chosen.append(candidates[below])
            need -= int(np.count_nonzero(below))
            candidates = candidates[values == kth]
        chosen.append(candidates[:need])
        picked = np.concatenate(chosen)
    order = np.lexsort(tuple(key[picked] for key in reversed(keys)))
    return picked[order]


def _verb(count: int, singular: str, plural_form: str) -> str:
    return singular if count == 1 else plural_form


def _them(count: int) -> str:
    return _verb(count, "it", "them")


def _relaxations(
    needs: SurvivorNeeds, directory: Directory, failures: RuleFailures
) -> tuple[Relaxation, ...]:
    """Per rule, the homes failing it and nothing else (never a rule of
    NEVER_OFFERED_RULES: a home inside an exclusion zone is not a change to make)."""
    relaxations = []
    for rule, count in failures.alone_counts().items():
        if not count:
            continue
        if rule == "state_line":
            suggestion = _state_line_suggestion(needs, directory, failures.alone(rule))
        else:
            suggestion = _SUGGESTIONS[rule](needs, count)
        relaxations.append(Relaxation(rule, count, suggestion))
    # Stable sort: equal counts stay in RULES order.
    relaxations.sort(key=lambda relaxation: -relaxation.homes)
    return tuple(relaxations)


def _state_line_suggestion(needs: SurvivorNeeds, directory: Directory, alone: np.ndarray) -> str:
    """`alone`: the bitset of the homes failing the state line and nothing else."""
    parts = []
    if needs.guardianship == "state":
        # A home that takes out-of-state children yet fails the state line
        # for a state ward fails only for want of ICPC approval.
        takes = rows_of(alone & directory.holds("true", "accepts_out_of_state"))
        per_state = np.bincount(directory.column("state")[takes])
        codes = np.flatnonzero(per_state)
        states = sorted(
            (
                (count, directory.state_name(code))
                for code, count in zip(codes.tolist(), per_state[codes].tolist(), strict=True)
            ),
            key=lambda item: (-item[0], item[1]),
        )
        if len(states) == 1:
            count, state = states[0]
            parts.append(f"Request ICPC approval for {state}: {plural(count, 'more home')}")
        elif states:
            listed = [f"{state} ({plural(count, 'home')})" for count, state in states]
            if len(states) > ICPC_STATES_LISTED + 1:
                rest = states[ICPC_STATES_LISTED:]
                listed = listed[:ICPC_STATES_LISTED]
                homes = plural(sum(count for count, _ in rest), "home")
                listed.append(f"{plural(len(rest), 'other state')} ({homes})")
            parts.append("Request ICPC approval for " + ", ".join(listed))
    refusing = count_bits(alone & directory.holds("false", "accepts_out_of_state"))
    if refusing:
        parts.append(
            f"{plural(refusing, 'home')} in another state "
            f"{_verb(refusing, 'takes', 'take')} no out-of-state placements"
        )
    return "; ".join(parts)


_SUBSTANCE_TAKEN = {
    "in_recovery": "substance use in recovery",
    "active": "active substance use",
}
assert set(_SUBSTANCE_TAKEN) == set(SUBSTANCE_LEVELS[1:])

_GUARDIAN_PLACEMENTS = {
    "state": "state wards",
    "parent": "placements by a parent",
    "legal_guardian": "placements by a legal guardian",
}


def _beds(needs: SurvivorNeeds, n: int) -> str:
    if needs.dependents == 0:
        return (
            f"{plural(n, 'home')} {_verb(n, 'is', 'are')} full; "
            f"{_verb(n, 'it', 'they')} would fit when a bed opens"
        )
    return (
        f"{plural(n, 'home')} {_verb(n, 'lacks', 'lack')} {1 + needs.dependents} free beds; "
        f"{_verb(n, 'it', 'they')} would fit when beds open"
    )


def _substance_use(needs: SurvivorNeeds, n: int) -> str:
    # Nobody fails at the lowest level, so the level here is never "none".
    return f"A home that takes {_SUBSTANCE_TAKEN[needs.substance_use]} would add {n}"


_SUGGESTIONS: dict[str, Callable[[SurvivorNeeds, int], str]] = {
    "beds": _beds,
    "staffing": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'needs', 'need')} more staff on duty; "
        f"{_verb(n, 'it', 'they')} would fit once more staff come on shift"
    ),
    "age": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'serves', 'serve')} other ages; "
        f"ask {_them(n)} about an age exception"
    ),
    "gender": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'serves', 'serve')} other genders; "
        f"ask {_them(n)} about an exception"
    ),
    "substance_use": _substance_use,
    "detox": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'has', 'have')} no detox on site; "
        f"detox elsewhere first would open {_them(n)}"
    ),
    "dependents": lambda needs, n: (
        f"{plural(n, 'home')} cannot take the child's "
        f"{plural(needs.dependents, 'dependent')}; ask {_them(n)} about an exception"
    ),
    "medical": lambda needs, n: (
        f"{plural(n, 'home')} cannot meet {needs.medical_level} medical needs; "
        f"a care plan with an outside provider could open {_them(n)}"
    ),
    "pregnancy": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'does', 'do')} not take pregnant youth; "
        f"ask {_them(n)} about an exception"
    ),
    "mental_health": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'handles', 'handle')} lower mental-health acuity; "
        f"a stabilization plan could open {_them(n)}"
    ),
    "runaway_risk": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'is', 'are')} not staff-secure; "
        f"a safety plan for the runaway risk could open {_them(n)}"
    ),
    "guardianship": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'does', 'do')} not take "
        f"{_GUARDIAN_PLACEMENTS[needs.guardianship]}; ask {_them(n)} about an exception"
    ),
    "crisis_intake": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'has', 'have')} no 24/7 intake; "
        f"{_verb(n, 'it', 'they')} could take the child at the next daytime intake"
    ),
    "juvenile_justice": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'does', 'do')} not take youth with juvenile justice "
        f"involvement; ask {_them(n)} about an exception"
    ),
    "language": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'does', 'do')} not list {needs.primary_language}; "
        f"ask {_them(n)} about an interpreter"
    ),
    "license": lambda needs, n: (
        f"{plural(n, 'home')} {_verb(n, 'has', 'have')} an expired license; "
        f"{_verb(n, 'it', 'they')} would fit once renewed, which takes days"
    ),
}
# A rule of NEVER_OFFERED_RULES is never relaxed, so it has no suggestion.
assert set(_SUGGESTIONS) == set(RULES) - {"state_line"} - NEVER_OFFERED_RULES
