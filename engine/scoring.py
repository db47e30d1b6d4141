"""The ranking score of a feasible home: 0-100, the sum of five factors.

- specialisation (max 30): trafficking-specific 30, generic 0; in a crisis,
  crisis_stabilization 30, the other trafficking-specific types 20.
- distance (30): within ref (max_distance_miles, or 500 mi) 10 + 20 * (1 - d / ref),
  rounded; beyond it 10 * ref / d rounded down and below 10, so a home beyond the
  preference earns fewer points than any home within it (points lost, not
  feasibility), yet of two homes beyond it the closer still earns more. With a
  preference under 1 mi, beyond is 10 / (d - ref + 1). No survivor location 0.
- freshness (10): stale (never updated or older than 72 h) 0, else
  max(1, 10 * (1 - age / 72 h)), so any fresh home beats a stale one.
- services (20): 20 * the share of services_needed the home offers; none needed 20.
- language (10): the home lists primary_language, or none is given, 10; else 0.

Each factor is rounded half-up to 0.1 and the score is the rounded sum, so
the breakdown always adds up to the score. The scalar and vectorised versions
perform the same float operations in the same order and agree to the bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .directory import Directory
from .layout import epoch_us
from .rules import miles
from .types import HOME_TYPES, STALE_AFTER, TRAFFICKING_SPECIFIC, Factor, HomeOffer, SurvivorNeeds

FACTORS = ("specialisation", "distance", "freshness", "services", "language")
FACTOR_MAX = {
    "specialisation": 30.0,
    "distance": 30.0,
    "freshness": 10.0,
    "services": 20.0,
    "language": 10.0,
}
DISTANCE_REFERENCE_MILES = 500.0
# The distance points of a home exactly at the preference: within it a home earns
# from here up to the factor's maximum, beyond it less than this, falling with distance.
DISTANCE_EDGE_POINTS = 10.0
_BEYOND_MAX = DISTANCE_EDGE_POINTS - 0.1


def round_points(value: float) -> float:
    """Half-up to 0.1.

    Not round(): Python's round and np.round disagree on some halves, and
    the vectorised ranking must give exactly the scores the breakdown shows.
    """
    return math.floor(value * 10 + 0.5) / 10


def _round_points_np(values: np.ndarray) -> np.ndarray:
    return np.floor(values * 10 + 0.5) / 10


def _label(code: str) -> str:
    return code.replace("_", " ")


def specialisation(needs: SurvivorNeeds, home_type: str) -> tuple[float, str]:
    kind = _label(home_type)
    if needs.urgency == "crisis":
        if home_type == "crisis_stabilization":
            return 30.0, "Crisis stabilization home for a crisis placement"
        if home_type in TRAFFICKING_SPECIFIC:
            return 20.0, f"Trafficking-specific ({kind}), not crisis stabilization"
    elif home_type in TRAFFICKING_SPECIFIC:
        return 30.0, f"Trafficking-specific home ({kind})"
    return 0.0, f"Generic home ({kind}), not trafficking-specific"


def _distance_reference(needs: SurvivorNeeds) -> float:
    if needs.max_distance_miles is not None:
        return needs.max_distance_miles
    return DISTANCE_REFERENCE_MILES


def _beyond_scale(reference: float) -> float:
    # 10 * scale / (d + (scale - ref)) is 10 * ref / d for a preference of 1 mi or more,
    # and stays finite and falling for a smaller one (a 0-mile preference included).
    return max(reference, 1.0)


def distance(needs: SurvivorNeeds, distance_miles: float | None) -> tuple[float, str]:
    if distance_miles is None:
        return 0.0, "No location"
    reference = _distance_reference(needs)
    away = f"{miles(distance_miles)} mi away"
    if distance_miles > reference:
        scale = _beyond_scale(reference)
        raw = DISTANCE_EDGE_POINTS * scale / (distance_miles + (scale - reference))
        # Rounded down and capped: never the points of a home at the preference itself.
        points = min(math.floor(raw * 10) / 10, _BEYOND_MAX)
        if needs.max_distance_miles is not None:
            return points, f"{away}, beyond the {miles(reference)} mi preference"
        return points, f"{away}, over {miles(reference)} mi"
    if reference > 0:
        raw = DISTANCE_EDGE_POINTS + 20.0 * (1.0 - distance_miles / reference)
    else:
        raw = 30.0
    return round_points(raw), away


_MICROSECOND = timedelta(microseconds=1)


def _ago(age_us: int) -> str:
    minutes = age_us // 60_000_000
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours <= 72:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def freshness(
    updated_at: datetime | None, now: datetime, stale_after: timedelta = STALE_AFTER
) -> tuple[float, str, bool]:
    """(points, detail, stale): stale once older than `stale_after` (the deployment's
    AVAILABILITY_STALE_HOURS, passed in by the caller; 72 h by default)."""
    if updated_at is None:
        return 0.0, "Stale: beds never updated", True
    stale_us = stale_after // _MICROSECOND
    age_us = (now - updated_at) // _MICROSECOND
    if age_us > stale_us:
        return 0.0, f"Stale: beds updated {_ago(age_us)}", True
    # A floor of 1 keeps any fresh home ahead of every stale one; a clock a
    # little ahead of ours (negative age) counts as just updated.
    raw = max(1.0, 10.0 * (1.0 - max(age_us, 0) / stale_us))
    return round_points(raw), f"Beds updated {_ago(max(age_us, 0))}", False


def services(needs: SurvivorNeeds, offered: frozenset[str]) -> tuple[float, str]:
    needed = needs.services_needed
    if not needed:
        return 20.0, "No services needed"
    count = len(needed & offered)
    raw = 20.0 * count / len(needed)
    if count == len(needed):
        if count == 1:
            return round_points(raw), f"Offers the needed {_label(next(iter(needed)))}"
        return round_points(raw), f"Offers all {len(needed)} needed services"
    missing = ", ".join(_label(service) for service in sorted(needed - offered))
    return round_points(raw), f"Offers {count} of {len(needed)} needed services; missing {missing}"


def language(needs: SurvivorNeeds, languages: frozenset[str]) -> tuple[float, str]:
    if not needs.primary_language:
        return 10.0, "No language given"
    if needs.primary_language in languages:
        return 10.0, f"Speaks {needs.primary_language}"
    return 0.0, f"Does not list {needs.primary_language}"


def score_home(
    needs: SurvivorNeeds,
    home: HomeOffer,
    distance_miles: float | None,
    now: datetime,
    stale_after: timedelta = STALE_AFTER,
    made: dict[tuple[str, float, str], Factor] | None = None,
) -> tuple[float, tuple[Factor, ...], bool]:
    """(score, breakdown in FACTORS order, stale) of one home.

    `distance_miles` is the survivor-to-home distance (None without a survivor
    location); pass the distance the ranking used so both agree. `made`: the factors
    made for the search's other homes, reused when equal (a search's results mostly
    share their type, services, language and freshness, and a Factor takes
    microseconds to make)."""
    fresh_points, fresh_detail, stale = freshness(home.availability_updated_at, now, stale_after)
    kind_points, kind_detail = specialisation(needs, home.home_type)
    away_points, away_detail = distance(needs, distance_miles)
    offers_points, offers_detail = services(needs, home.services)
    speaks_points, speaks_detail = language(needs, home.languages)
    parts = (  # in FACTORS order
        (kind_points, kind_detail),
        (away_points, away_detail),
        (fresh_points, fresh_detail),
        (offers_points, offers_detail),
        (speaks_points, speaks_detail),
    )
    if made is None:
        made = {}
    breakdown = []
    for name, (points, detail) in zip(FACTORS, parts, strict=True):
        key = (name, points, detail)
        factor = made.get(key)
        if factor is None:
            factor = made[key] = Factor(name, points, FACTOR_MAX[name], detail)
        breakdown.append(factor)
    # Summed in FACTORS order, as score_rows does.
    total = kind_points + away_points + fresh_points + offers_points + speaks_points
    return round_points(total), tuple(breakdown), stale


@dataclass(frozen=True, slots=True)
class VectorScores:
    """Scores of many homes: `points[factor]` per factor, `score` and `stale`."""

    score: np.ndarray
    stale: np.ndarray
    points: dict[str, np.ndarray]


def score_rows(
    needs: SurvivorNeeds,
    directory: Directory,
    distances: np.ndarray,
    now: datetime,
    rows: np.ndarray | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> VectorScores:
    """score_home for the directory rows `rows` (all when None), vectorised.

    `distances`: the miles to those rows, in their order (NaN without a survivor
    location), as survivor_distances(needs, directory, rows) gives them.
    """

    def take(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    home_types = take(directory.column("home_type"))
    size = len(home_types)

    table = np.array([specialisation(needs, home_type)[0] for home_type in HOME_TYPES])
    specialisation_points = table[home_types]

    distance_points = _distance_points_np(needs, distances, size)
    age_us = epoch_us(now) - take(directory.column("updated_us"))
    freshness_points, stale = _freshness_points_np(age_us, stale_after)

    needed = needs.services_needed
    if needed:
        count = directory.count_tags("services", needed, rows)
        services_points = _round_points_np(20.0 * count / len(needed))
    else:
        services_points = np.full(size, 20.0)

    if needs.primary_language:
        speaks = directory.has_tag("languages", needs.primary_language, rows)
        language_points = np.where(speaks, 10.0, 0.0)
    else:
        language_points = np.full(size, 10.0)

    total = (
        specialisation_points
        + distance_points
        + freshness_points
        + services_points
        + language_points
    )
    parts = (
        specialisation_points,
        distance_points,
        freshness_points,
        services_points,
        language_points,
    )
    points = dict(zip(FACTORS, parts, strict=True))
    return VectorScores(_round_points_np(total), stale, points)


def _distance_points_np(needs: SurvivorNeeds, miles_away: np.ndarray, size: int) -> np.ndarray:
    """distance() over many homes (no points without a survivor location)."""
    if needs.latitude is None or needs.longitude is None:
        return np.zeros(size)
    reference = _distance_reference(needs)
    scale = _beyond_scale(reference)
    # A tiny preference overflows the share for far homes; np.where discards the
    # values of the other branch, which the scalar version never computes.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if reference > 0:
            within = DISTANCE_EDGE_POINTS + 20.0 * (1.0 - miles_away / reference)
        else:
            within = np.full(size, 30.0)
        beyond_raw = DISTANCE_EDGE_POINTS * scale / (miles_away + (scale - reference))
        beyond = np.minimum(np.floor(beyond_raw * 10) / 10, _BEYOND_MAX)
    return np.where(miles_away > reference, beyond, _round_points_np(within))


def _freshness_points_np(
    age_us: np.ndarray, stale_after: timedelta
) -> tuple[np.ndarray, np.ndarray]:
    """freshness() over many homes: (points, stale)."""
    stale_us = stale_after // timedelta(microseconds=1)
    stale = age_us > stale_us
    raw = np.maximum(1.0, 10.0 * (1.0 - np.maximum(age_us, 0) / stale_us))
    return np.where(stale, 0.0, _round_points_np(raw)), stale
