"""The rules of `rules.py`, vectorised with numpy over a whole home directory.

A search over 250,000 homes must take a few milliseconds, so the directory
keeps one array per field (levels as small ints, sets as bitsets, locations
as unit vectors), and for each test a rule makes on one field and one value
(fewer than 2 beds, under age 15, in Kansas) a bitset of the homes that fail
it, built by the first search that needs it and patched as homes change: a
search's verdict on every home is a few dozen operations on 31 KB bitsets.
The scalar rules stay the specification: reasons are written by them, for the
few homes a search returns, and the tests prove both agree on every home.
"""

from __future__ import annotations

import math

import numpy as np

from . import rules
from .directory import Directory
from .geo import EARTH_RADIUS_MILES, chord2_to_miles, miles_to_chord2
from .layout import (
    CLIP,
    MASK_DTYPE,
    WORD,
    WORD_BITS,
    count_bits,
    epoch_day,
    pack_rows,
    rows_of,
    wrapped_degree,
)
from .types import CAPABILITIES, NEVER_OFFERED_RULES, RULES, SurvivorNeeds

RULE_BIT = {rule: 1 << index for index, rule in enumerate(RULES)}


def rules_in(mask: int) -> tuple[str, ...]:
    """The rule codes whose bits are set in a failure mask, in RULES order."""
    return tuple(rule for rule, bit in RULE_BIT.items() if mask & bit)


def _unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    phi, lam = math.radians(latitude), math.radians(longitude)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def _chord2(
    directory: Directory, latitude: float, longitude: float, rows: np.ndarray | None = None
) -> np.ndarray:
    """Squared unit-sphere chord from one point to every home (or to the homes `rows`)."""
    px, py, pz = _unit_vector(latitude, longitude)

    def column(name: str) -> np.ndarray:
        values = directory.column(name)
        return values if rows is None else values[rows]

    total = column("x") - px
    total *= total
    for name, p in (("y", py), ("z", pz)):
        delta = column(name) - p
        delta *= delta
        total += delta
    return total


def survivor_distances(
    needs: SurvivorNeeds, directory: Directory, rows: np.ndarray | None = None
) -> np.ndarray:
    """Great-circle miles from the survivor to every home, or to the homes `rows` only
    (in their order): a search needs them for few homes. NaN without a location."""
    if needs.latitude is None or needs.longitude is None:
        return np.full(len(directory) if rows is None else len(rows), np.nan)
    return chord2_to_miles(_chord2(directory, needs.latitude, needs.longitude, rows))


# Beyond this many degrees a latitude band is the whole directory.
_BAND_DEGREES_MAX = 90


def latitude_band(directory: Directory, latitude: float, reach: float) -> np.ndarray | None:
    """A bitset holding every home whose latitude lies within `reach` degrees of
    `latitude` (and the others of the same whole degrees); None when that is nearly the
    whole globe. Every home outside it is more than `reach` degrees of arc away: the
    great-circle distance is at least the difference in latitude."""
    low, high = math.floor(latitude - reach), math.floor(latitude + reach)
    if high - low > _BAND_DEGREES_MAX:
        return None
    band = np.zeros(directory.words, WORD)
    for degree in range(max(low, -90), min(high, 90) + 1):
        band |= directory.holds("equal", "latitude_degree", degree)
    return band


# A circle that comes this near a pole (in degrees of latitude) may span every longitude.
_POLAR_DEGREES = 89.0


def longitude_band(
    directory: Directory, latitude: float, longitude: float, reach: float
) -> np.ndarray | None:
    """A bitset holding every home within `reach` degrees of arc of the point (and the
    others of the same whole degrees of longitude); None when that may be any longitude.

    Seen from a point at latitude φ, a circle of angular radius d < 90° - |φ| spans
    asin(sin d / cos φ) of longitude each way (where the meridians touch it); a circle
    that comes near a pole may span every longitude."""
    if abs(latitude) + reach >= _POLAR_DEGREES:
        return None
    spread = math.degrees(
        math.asin(min(1.0, math.sin(math.radians(reach)) / math.cos(math.radians(latitude))))
    )
    low, high = math.floor(longitude - spread), math.floor(longitude + spread)
    if high - low >= 359:
        return None
    band = np.zeros(directory.words, WORD)
    for degree in range(low, high + 1):
        band |= directory.holds("equal", "longitude_degree", int(wrapped_degree(degree)))
    return band


def near_box(
    directory: Directory, latitude: float, longitude: float, reach: float
) -> np.ndarray | None:
    """A bitset holding every home within `reach` degrees of arc of the point: the
    whole degrees of latitude and of longitude it may span (latitude_band and
    longitude_band together); None when that may be the whole globe."""
    box = latitude_band(directory, latitude, reach)
    across = longitude_band(directory, latitude, longitude, reach)
    if box is None or across is None:
        return across if box is None else box
    box &= across  # latitude_band's own array, never a kept bitset
    return box


def _inside_exclusion_zones(needs: SurvivorNeeds, directory: Directory) -> np.ndarray:
    inside = np.zeros(len(directory), np.bool_)
    latitude = directory.column("latitude")
    for zone in needs.exclusion_zones:
        # A home farther north or south than the radius is outside: the great-circle
        # distance is at least the latitude difference; and so is one farther east or
        # west than the circle spans. The slack covers rounding.
        reach = math.degrees(zone.radius_miles / EARTH_RADIUS_MILES) + 0.01
        nearby = near_box(directory, zone.latitude, zone.longitude, reach)
        rows = np.arange(len(directory)) if nearby is None else rows_of(nearby)
        rows = rows[np.abs(latitude[rows] - zone.latitude) <= reach]
        chord2 = _chord2(directory, zone.latitude, zone.longitude, rows)
        limit = miles_to_chord2(zone.radius_miles)
        # The chord and the scalar haversine round differently; a home this
        # close to the circle is decided by the scalar rule itself, so both
        # always agree (exactly at the radius is inside). The band is far
        # wider than either rounding error and almost never holds a home.
        band = 1e-9 * limit + 1e-18
        inside[rows[chord2 < limit - band]] = True
        for row in rows[np.abs(chord2 - limit) <= band].tolist():
            if rules.inside_zone(directory.offer(row), zone):
                inside[row] = True
    return inside


class RuleFailures:
    """Which homes fail which rule for one child, as bitsets over the directory's rows
    (see Directory.holds): the rules' verdicts on every home in a few dozen operations
    on 31 KB arrays at 250,000 homes, where a comparison per home and rule would read
    megabytes. Rules the child cannot fail (lowest level, no detox, ...) have none."""

    def __init__(self, directory: Directory, by_rule: dict[str, np.ndarray]) -> None:
        self.size = len(directory)
        words = directory.words
        # One row per rule: each step below is one numpy call over all rules.
        stack = np.zeros((len(by_rule), words), WORD)
        for row, bits in enumerate(by_rule.values()):
            stack[row] = bits
        self._stack = stack
        self._bits = np.array([RULE_BIT[rule] for rule in by_rule], MASK_DTYPE)
        self.by_rule = dict(zip(by_rule, stack, strict=True))
        # Homes failing any rule, and two or more: a rule's failures that some rule
        # before it failed too. (A loop of in-place operations on three 31 KB arrays:
        # numpy's accumulate and reduce over the stack's rows took several times longer.)
        failing = np.zeros(words, WORD)
        several = np.zeros(words, WORD)
        both = np.empty(words, WORD)
        for bits in stack:
            np.bitwise_and(failing, bits, out=both)
            several |= both
            failing |= bits
        self._feasible = np.invert(failing)
        if self.size % WORD_BITS:  # no bit past the last row
            self._feasible[-1] &= np.uint64((1 << (self.size % WORD_BITS)) - 1)
        # Homes failing exactly one rule.
        self._single = failing & ~several
        # Near misses: those of them a worker may be offered, never a home failing a
        # rule of NEVER_OFFERED_RULES (whatever else it fails).
        never = np.zeros(words, WORD)
        for rule in NEVER_OFFERED_RULES & by_rule.keys():
            never |= self.by_rule[rule]
        self._offerable = self._single & ~never

    def feasible_rows(self) -> np.ndarray:
        return rows_of(self._feasible)

    def alone(self, rule: str) -> np.ndarray:
        """The bitset of the homes failing `rule` and nothing else (none for a rule of
        NEVER_OFFERED_RULES: such a home is not offered)."""
        bits = self.by_rule.get(rule)
        return np.zeros(len(self._single), WORD) if bits is None else bits & self._offerable

    def single_count(self) -> int:
        """How many near misses (see `single`)."""
        return count_bits(self._offerable)

    @property
    def single(self) -> np.ndarray:
        """The bitset of the near misses: the homes failing exactly one rule, that rule
        not one of NEVER_OFFERED_RULES."""
        return self._offerable

    def counts(self) -> dict[str, int]:
        """How many homes fail each rule, alone or with others."""
        counts = dict.fromkeys(RULES, 0)
        counts.update(zip(self.by_rule, self._counts(self._stack), strict=True))
        return counts

    def alone_counts(self) -> dict[str, int]:
        """How many homes fail each rule and nothing else; 0 for a rule of
        NEVER_OFFERED_RULES (nothing to relax)."""
        return dict(zip(self.by_rule, self._counts(self._stack & self._offerable), strict=True))

    @staticmethod
    def _counts(stack: np.ndarray) -> list[int]:
        return np.bitwise_count(stack).sum(axis=1, dtype=np.int64).tolist()

    def masks(self, rows: np.ndarray | None = None) -> np.ndarray:
        """A uint32 failure mask (RULE_BIT) per home, for the rows `rows` (all when None)."""
        if rows is None:
            masks = np.zeros(self.size, MASK_DTYPE)
            for bit, bits in zip(self._bits, self._stack, strict=True):
                flags = np.unpackbits(bits.view(np.uint8), bitorder="little", count=self.size)
                masks |= flags.astype(MASK_DTYPE) * bit
            return masks
        if not len(self._stack):
            return np.zeros(len(rows), MASK_DTYPE)
        words, shift = rows >> 6, (rows & 63).astype(np.uint64)
        flags = ((self._stack[:, words] >> shift) & np.uint64(1)).astype(MASK_DTYPE)
        return np.bitwise_or.reduce(flags * self._bits[:, None], axis=0)


def rule_failures(needs: SurvivorNeeds, directory: Directory) -> RuleFailures:
    """Every rule the child could fail, judged on every home at once (bitsets)."""
    holds = directory.holds
    by_rule: dict[str, np.ndarray] = {}
    for rule, (capability, need, value) in CAPABILITIES.items():
        if getattr(needs, need) == value:
            by_rule[rule] = holds("false", capability)
    # Every number compared is clipped to int16 in the directory; so are these.
    places = min(1 + needs.dependents, CLIP[1])
    by_rule["beds"] = holds("below", "rule_beds", places)
    by_rule["staffing"] = holds("below", "rule_headroom", places)
    age = min(needs.age, CLIP[1])
    by_rule["age"] = holds("above", "rule_min_age", age) | holds("below", "rule_max_age", age)
    gender = directory.gender_bit(needs.gender)
    if gender is None:
        served = directory.has_tag("genders_served", needs.gender)
        by_rule["gender"] = pack_rows(~served, directory.words)
    else:
        by_rule["gender"] = holds("lacks", "gender_bits", gender)
    # A rule the survivor cannot fail (lowest level, no detox, ...) costs nothing.
    substance = rules.SUBSTANCE_RANK[needs.substance_use]
    if substance:
        by_rule["substance_use"] = holds("below", "substance_use_accepted", substance)
    if needs.dependents:
        dependents = min(needs.dependents, CLIP[1])
        by_rule["dependents"] = holds("below", "rule_dependents_cap", dependents)
    medical = rules.MEDICAL_RANK[needs.medical_level]
    if medical:
        by_rule["medical"] = holds("below", "medical_level", medical)
    acuity = rules.ACUITY_RANK[needs.mental_health_acuity]
    if acuity:
        by_rule["mental_health"] = holds("below", "mental_health_max", acuity)
    ward = needs.guardianship == "state"
    by_rule["guardianship"] = holds(
        "false", "accepts_state_wards" if ward else "accepts_parent_placements"
    )
    by_rule["state_line"] = _state_line_failures(needs, directory)
    if needs.exclusion_zones:
        inside = _inside_exclusion_zones(needs, directory)
        by_rule["exclusion_zone"] = pack_rows(inside, directory.words)
    by_rule["license"] = holds("below", "license_day", epoch_day(needs.search_date))
    if needs.interpreter_needed and needs.primary_language:
        speaks = directory.has_tag("languages", needs.primary_language)
        by_rule["language"] = pack_rows(~speaks, directory.words)
    if needs.keep_apart_homes:
        by_rule["keep_apart"] = _keep_apart_failures(needs, directory)
    # RULES order, so that counts and masks read the same whatever the order above.
    return RuleFailures(directory, {rule: by_rule[rule] for rule in RULES if rule in by_rule})


def _keep_apart_failures(needs: SurvivorNeeds, directory: Directory) -> np.ndarray:
    """The homes where a child she must be kept apart from is: a handful of rows."""
    rows = [directory.row_of(home_id) for home_id in needs.keep_apart_homes]
    inside = np.zeros(len(directory), np.bool_)
    inside[[row for row in rows if row is not None]] = True
    return pack_rows(inside, directory.words)


def _state_line_failures(needs: SurvivorNeeds, directory: Directory) -> np.ndarray:
    """A home in another state than custody's fails unless it takes out-of-state
    placements and, for a state ward, lies in a state with ICPC approval."""
    holds = directory.holds
    custody = directory.state_code(needs.custody_state)
    at_home = holds("equal", "state", custody) if custody >= 0 else np.zeros(directory.words, WORD)
    refused = holds("false", "accepts_out_of_state")
    if needs.guardianship == "state":
        approved = np.zeros(directory.words, WORD)
        for state in set(needs.icpc_approved_states):
            code = directory.state_code(state)
            if code >= 0:
                approved |= holds("equal", "state", code)
        # Beyond the last row only `~approved` has bits: AND them away with a home.
        refused = refused | (holds("true", "accepts_out_of_state") & ~approved)
    return refused & ~at_home


def failure_masks(needs: SurvivorNeeds, directory: Directory) -> np.ndarray:
    """One uint32 per home: bit i set when the home fails RULES[i] (see RULE_BIT)."""
    return rule_failures(needs, directory).masks()
