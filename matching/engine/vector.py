"""The rules of `rules.py`, vectorised with numpy over a whole home directory.

A search over 250,000 homes must take tens of milliseconds, so the directory
keeps one array per field (levels as small ints, sets as bitsets, locations
as unit vectors) and a search evaluates each rule once over all homes. The
scalar rules stay the specification: reasons are written by them, for the few
homes a search returns, and the tests prove both agree on every home.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np

from . import rules
from .geo import chord2_to_miles, miles_to_chord2, unit_vectors
from .types import HOME_TYPES, RULES, HomeOffer, SurvivorNeeds

RULE_BIT = {rule: 1 << index for index, rule in enumerate(RULES)}


def rules_in(mask: int) -> tuple[str, ...]:
    """The rule codes whose bits are set in a failure mask, in RULES order."""
    return tuple(rule for rule, bit in RULE_BIT.items() if mask & bit)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Far enough back to be stale against any `now`, near enough not to overflow int64.
NEVER_UPDATED_US = -(2**62)

_HOME_TYPE_CODE = {home_type: i for i, home_type in enumerate(HOME_TYPES)}
_TAG_FIELDS = ("genders_served", "languages", "services")
_WORD_BITS = 64

_SCHEMA: dict[str, type] = {
    "id": np.int64,
    "home_type": np.int8,
    "state": np.int32,
    "x": np.float64,
    "y": np.float64,
    "z": np.float64,
    "available_beds": np.int64,
    # staff_on_duty * residents_per_staff - occupied beds: the staffing rule
    # becomes one comparison with 1 + dependents.
    "staff_headroom": np.int64,
    "min_age": np.int64,
    "max_age": np.int64,
    "substance_use_accepted": np.int8,
    "detox_on_site": np.bool_,
    # max_dependents when the home accepts parenting youth, else -1: the
    # dependents rule becomes one comparison.
    "dependents_cap": np.int64,
    "medical_level": np.int8,
    "accepts_pregnant": np.bool_,
    "mental_health_max": np.int8,
    "staff_secure": np.bool_,
    "accepts_out_of_state": np.bool_,
    "accepts_state_wards": np.bool_,
    "accepts_parent_placements": np.bool_,
    "intake_24_7": np.bool_,
    "updated_us": np.int64,
}


def epoch_us(moment: datetime | None) -> int:
    """Microseconds since the Unix epoch; NEVER_UPDATED_US for None."""
    if moment is None:
        return NEVER_UPDATED_US
    if moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime; got {moment!r}")
    return (moment - _EPOCH) // _MICROSECOND


class Directory:
    """Every active home, one numpy array per field, patched in place.

    Row order is an implementation detail (removal moves the last row into the
    hole); everything a search returns is ordered by score, distance and id.
    Not thread-safe: patches write rows in place, so a search must not run
    while another thread upserts or removes (hold one lock for both).
    """

    def __init__(self) -> None:
        self._size = 0
        self._offers: list[HomeOffer] = []
        self._row_of: dict[int, int] = {}
        self._data = {name: np.empty(0, dtype) for name, dtype in _SCHEMA.items()}
        self._state_codes: dict[str, int] = {}
        self._state_names: list[str] = []
        self._tag_codes: dict[str, dict[str, int]] = {field: {} for field in _TAG_FIELDS}
        self._tag_bits = {field: np.zeros((0, 1), np.uint64) for field in _TAG_FIELDS}

    @classmethod
    def from_offers(cls, offers: Iterable[HomeOffer]) -> Directory:
        directory = cls()
        directory.upsert(offers)
        return directory

    def __len__(self) -> int:
        return self._size

    def __contains__(self, home_id: object) -> bool:
        return home_id in self._row_of

    def offer(self, index: int) -> HomeOffer:
        if not 0 <= index < self._size:
            raise IndexError(index)
        return self._offers[index]

    def offers(self, rows: Iterable[int]) -> list[HomeOffer]:
        return [self._offers[row] for row in rows]

    def row_of(self, home_id: int) -> int | None:
        return self._row_of.get(home_id)

    @property
    def ids(self) -> np.ndarray:
        return self.column("id")

    def upsert(self, offers: Iterable[HomeOffer]) -> None:
        """Replace homes by id or append new ones; an inactive offer removes its home."""
        latest: dict[int, HomeOffer] = {}
        for offer in offers:
            latest[offer.id] = offer
        self.remove(home_id for home_id, offer in latest.items() if not offer.active)
        live = [offer for offer in latest.values() if offer.active]
        known = [offer for offer in live if offer.id in self._row_of]
        new = [offer for offer in live if offer.id not in self._row_of]
        if known:
            rows = np.fromiter((self._row_of[o.id] for o in known), np.int64, len(known))
            self._write(rows, known)
            for row, offer in zip(rows.tolist(), known, strict=True):
                self._offers[row] = offer
        if new:
            start = self._size
            self._reserve(start + len(new))
            self._write(slice(start, start + len(new)), new)
            self._offers.extend(new)
            self._row_of.update((offer.id, start + k) for k, offer in enumerate(new))
            self._size += len(new)

    def remove(self, ids: Iterable[int]) -> None:
        """Drop homes by id (deactivated ones); unknown ids are ignored."""
        for home_id in ids:
            row = self._row_of.pop(home_id, None)
            if row is None:
                continue
            last = self._size - 1
            if row != last:
                moved = self._offers[last]
                self._offers[row] = moved
                self._row_of[moved.id] = row
                for array in self._data.values():
                    array[row] = array[last]
                for bits in self._tag_bits.values():
                    bits[row] = bits[last]
            self._offers.pop()
            self._size -= 1

    # Queries used by the vectorised rules and scores.

    def column(self, name: str) -> np.ndarray:
        return self._data[name][: self._size]

    def state_code(self, state: str) -> int:
        """The code of a USPS state in the `state` column; -1 when no home is there."""
        return self._state_codes.get(state, -1)

    def state_name(self, code: int) -> str:
        return self._state_names[code]

    def state_table(self, states: Iterable[str]) -> np.ndarray:
        """A boolean lookup over state codes: `table[column('state')]` is membership."""
        table = np.zeros(len(self._state_codes), np.bool_)
        for state in states:
            code = self._state_codes.get(state)
            if code is not None:
                table[code] = True
        return table

    def has_tag(self, field: str, value: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Whether each home's set `field` (genders_served, languages, services) holds `value`."""
        bits = self._tag_bits[field][: self._size] if rows is None else self._tag_bits[field][rows]
        code = self._tag_codes[field].get(value)
        if code is None:
            return np.zeros(len(bits), np.bool_)
        word, bit = divmod(code, _WORD_BITS)
        return (bits[:, word] & np.uint64(1 << bit)) != 0

    def count_tags(
        self, field: str, values: Iterable[str], rows: np.ndarray | None = None
    ) -> np.ndarray:
        """How many of `values` each home's set `field` holds."""
        bits = self._tag_bits[field][: self._size] if rows is None else self._tag_bits[field][rows]
        wanted = self._mask_of(field, values, add=False)
        counts = np.zeros(len(bits), np.int64)
        for word in range(bits.shape[1]):
            word_mask = (wanted >> (word * _WORD_BITS)) & (2**_WORD_BITS - 1)
            if word_mask:
                counts += np.bitwise_count(bits[:, word] & np.uint64(word_mask))
        return counts

    # Storage.

    def _reserve(self, size: int) -> None:
        capacity = len(self._data["id"])
        if size <= capacity:
            return
        # Doubling keeps a stream of single-home upserts amortised O(1).
        capacity = max(size, 2 * capacity, 64)
        for name, array in self._data.items():
            grown = np.empty(capacity, array.dtype)
            grown[: self._size] = array[: self._size]
            self._data[name] = grown
        for field, bits in self._tag_bits.items():
            grown = np.zeros((capacity, bits.shape[1]), np.uint64)
            grown[: self._size] = bits[: self._size]
            self._tag_bits[field] = grown

    def _mask_of(self, field: str, values: Iterable[str], *, add: bool) -> int:
        codes = self._tag_codes[field]
        mask = 0
        for value in values:
            code = codes.get(value)
            if code is None:
                if not add:
                    continue
                code = codes[value] = len(codes)
            mask |= 1 << code
        return mask

    def _tag_words(self, field: str, sets: list[frozenset[str]]) -> np.ndarray:
        masks = [self._mask_of(field, values, add=True) for values in sets]
        words = max(1, -(-len(self._tag_codes[field]) // _WORD_BITS))
        bits = self._tag_bits[field]
        if words > bits.shape[1]:
            # A new language beyond the 64th: widen once, keep the old words.
            widened = np.zeros((bits.shape[0], words), np.uint64)
            widened[:, : bits.shape[1]] = bits
            self._tag_bits[field] = widened
        out = np.zeros((len(masks), words), np.uint64)
        low = 2**_WORD_BITS - 1
        for word in range(words):
            shift = word * _WORD_BITS
            out[:, word] = [(mask >> shift) & low for mask in masks]
        return out

    def _state(self, state: str) -> int:
        code = self._state_codes.get(state)
        if code is None:
            code = self._state_codes[state] = len(self._state_codes)
            self._state_names.append(state)
        return code

    def _write(self, rows: np.ndarray | slice, offers: list[HomeOffer]) -> None:
        x, y, z = unit_vectors([o.latitude for o in offers], [o.longitude for o in offers])
        values: dict[str, object] = {
            "id": [o.id for o in offers],
            "home_type": [_HOME_TYPE_CODE[o.home_type] for o in offers],
            "state": [self._state(o.state) for o in offers],
            "x": x,
            "y": y,
            "z": z,
            "available_beds": [o.available_beds for o in offers],
            "staff_headroom": [
                o.staff_on_duty * o.residents_per_staff - (o.licensed_beds - o.available_beds)
                for o in offers
            ],
            "min_age": [o.min_age for o in offers],
            "max_age": [o.max_age for o in offers],
            "substance_use_accepted": [
                rules.SUBSTANCE_RANK[o.substance_use_accepted] for o in offers
            ],
            "detox_on_site": [o.detox_on_site for o in offers],
            "dependents_cap": [o.max_dependents if o.accepts_parenting else -1 for o in offers],
            "medical_level": [rules.MEDICAL_RANK[o.medical_level] for o in offers],
            "accepts_pregnant": [o.accepts_pregnant for o in offers],
            "mental_health_max": [rules.ACUITY_RANK[o.mental_health_max] for o in offers],
            "staff_secure": [o.staff_secure for o in offers],
            "accepts_out_of_state": [o.accepts_out_of_state for o in offers],
            "accepts_state_wards": [o.accepts_state_wards for o in offers],
            "accepts_parent_placements": [o.accepts_parent_placements for o in offers],
            "intake_24_7": [o.intake_24_7 for o in offers],
            "updated_us": [epoch_us(o.availability_updated_at) for o in offers],
        }
        for name, column in values.items():
            self._data[name][rows] = np.asarray(column, dtype=_SCHEMA[name])
        for field in _TAG_FIELDS:
            words = self._tag_words(field, [getattr(o, field) for o in offers])
            self._tag_bits[field][rows] = words


def _unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    phi, lam = math.radians(latitude), math.radians(longitude)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def _chord2(directory: Directory, latitude: float, longitude: float) -> np.ndarray:
    """Squared unit-sphere chord from one point to every home."""
    px, py, pz = _unit_vector(latitude, longitude)
    total = directory.column("x") - px
    total *= total
    for name, p in (("y", py), ("z", pz)):
        delta = directory.column(name) - p
        delta *= delta
        total += delta
    return total


def survivor_distances(needs: SurvivorNeeds, directory: Directory) -> np.ndarray:
    """Great-circle miles from the survivor to every home; NaN without a location."""
    if needs.latitude is None or needs.longitude is None:
        return np.full(len(directory), np.nan)
    return chord2_to_miles(_chord2(directory, needs.latitude, needs.longitude))


def _inside_exclusion_zones(needs: SurvivorNeeds, directory: Directory) -> np.ndarray:
    inside = np.zeros(len(directory), np.bool_)
    for zone in needs.exclusion_zones:
        chord2 = _chord2(directory, zone.latitude, zone.longitude)
        limit = miles_to_chord2(zone.radius_miles)
        # The chord and the scalar haversine round differently; a home this
        # close to the circle is decided by the scalar rule itself, so both
        # always agree (exactly at the radius is inside). The band is far
        # wider than either rounding error and almost never holds a home.
        band = 1e-9 * limit + 1e-18
        inside |= chord2 < limit - band
        for row in np.flatnonzero(np.abs(chord2 - limit) <= band).tolist():
            if rules.inside_zone(directory.offer(row), zone):
                inside[row] = True
    return inside


def failure_masks(needs: SurvivorNeeds, directory: Directory) -> np.ndarray:
    """One uint32 per home: bit i set when the home fails RULES[i] (see RULE_BIT)."""
    masks = np.zeros(len(directory), np.uint32)
    column = directory.column

    def fail(rule: str, failing: np.ndarray) -> None:
        np.bitwise_or(masks, failing * np.uint32(RULE_BIT[rule]), out=masks)

    places = 1 + needs.dependents
    fail("beds", column("available_beds") < places)
    fail("staffing", column("staff_headroom") < places)
    fail("age", (column("min_age") > needs.age) | (column("max_age") < needs.age))
    fail("gender", ~directory.has_tag("genders_served", needs.gender))
    # A rule the survivor cannot fail (lowest level, no detox, ...) costs nothing.
    substance = rules.SUBSTANCE_RANK[needs.substance_use]
    if substance:
        fail("substance_use", column("substance_use_accepted") < substance)
    if needs.needs_detox:
        fail("detox", ~column("detox_on_site"))
    if needs.dependents:
        fail("dependents", column("dependents_cap") < needs.dependents)
    medical = rules.MEDICAL_RANK[needs.medical_level]
    if medical:
        fail("medical", column("medical_level") < medical)
    if needs.pregnant:
        fail("pregnancy", ~column("accepts_pregnant"))
    acuity = rules.ACUITY_RANK[needs.mental_health_acuity]
    if acuity:
        fail("mental_health", column("mental_health_max") < acuity)
    if needs.runaway_risk == "high":
        fail("runaway_risk", ~column("staff_secure"))
    if needs.guardianship == "state":
        fail("guardianship", ~column("accepts_state_wards"))
    else:
        fail("guardianship", ~column("accepts_parent_placements"))
    states = column("state")
    refused = ~column("accepts_out_of_state")
    if needs.guardianship == "state":
        refused |= ~directory.state_table(needs.icpc_approved_states)[states]
    fail("state_line", refused & (states != directory.state_code(needs.custody_state)))
    if needs.exclusion_zones:
        fail("exclusion_zone", _inside_exclusion_zones(needs, directory))
    if needs.urgency == "crisis":
        fail("crisis_intake", ~column("intake_24_7"))
    return masks
