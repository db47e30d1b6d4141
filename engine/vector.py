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
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from . import rules
from .geo import EARTH_RADIUS_MILES, chord2_to_miles, miles_to_chord2, unit_vectors
from .types import CAPABILITIES, HOME_SPEC, RULES, HomeOffer, SurvivorNeeds

RULE_BIT = {rule: 1 << index for index, rule in enumerate(RULES)}
_CLIP = (-(2**15), 2**15 - 1)


def rules_in(mask: int) -> tuple[str, ...]:
    """The rule codes whose bits are set in a failure mask, in RULES order."""
    return tuple(rule for rule, bit in RULE_BIT.items() if mask & bit)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Far enough back to be stale against any `now`, near enough not to overflow int64.
NEVER_UPDATED_US = -(2**62)
_EPOCH_DAY = date(1970, 1, 1)
# The day number of a license with no expiry recorded: after every search date.
NO_LICENSE_EXPIRY = 2**31 - 1

# The home's fields by how the directory keeps them, from the specification (types.py):
# levels as their index in the level's tuple (the rules' order: the binary full load
# relies on it), tag sets as bitsets, whole numbers and flags as they are.
_LEVELS: dict[str, tuple[str, ...]] = {
    name: field.levels for name, field in HOME_SPEC.items() if field.kind == "level"
}
_LEVEL_CODE = {name: {v: i for i, v in enumerate(levels)} for name, levels in _LEVELS.items()}
_TAG_FIELDS = tuple(name for name, field in HOME_SPEC.items() if field.kind == "tags")
_PLAIN_TYPES = {"int": np.int64, "bool": np.bool_}
_PLAIN = {
    name: _PLAIN_TYPES[field.kind]
    for name, field in HOME_SPEC.items()
    if field.kind in _PLAIN_TYPES and name != "active"
}
_WORD_BITS = 64
# HomeOffers kept per process (about 640 bytes each, so at most ~10 MB): enough for the
# homes some hundreds of searches across the country return (40 each), which 4,096 was
# not: searches then rebuilt most of their homes (1 ms a search at 250,000 homes).
_OFFER_CACHE_SIZE = 16_384
# Rule bitsets (see Directory.holds): one bit per row, bit r % 64 of word r // 64, the
# word little-endian whatever the machine, so np.packbits(..., bitorder="little") fills it.
WORD = np.dtype("<u8")
# A patch of more rows than this drops the bitsets (rebuilt by the next search) instead
# of rewriting them bit by bit.
_PATCH_ROWS_MAX = 4096
# Distinct bitsets kept (states, ages, bed counts, license days, ...): a few hundred.
_BITSETS_KEPT = 512
# Ids index a dense row map (PostgreSQL serials); beyond this an id is surely a mistake.
MAX_HOME_ID = 2**31 - 1

_SCHEMA: dict[str, type | str] = {
    "id": np.int64,
    "state": np.int16,
    "zip_code": "U5",
    "latitude": np.float64,
    "longitude": np.float64,
    **{name: np.int8 for name in _LEVELS},
    **_PLAIN,
    # The whole degree of latitude a home lies in (floor): a search near a point reads
    # the bitsets of a few degrees instead of every home's latitude.
    "latitude_degree": np.int16,
    # And of longitude (floor, -180..179): an exclusion zone or a near-miss search reads
    # a box of a few degrees each way (near_box), not a whole band of latitude.
    "longitude_degree": np.int16,
    "x": np.float64,
    "y": np.float64,
    "z": np.float64,
    # staff_on_duty * residents_per_staff - occupied beds: the staffing rule
    # becomes one comparison with 1 + dependents.
    "staff_headroom": np.int64,
    # max_dependents when the home accepts parenting youth, else -1: the
    # dependents rule becomes one comparison.
    "dependents_cap": np.int64,
    "updated_us": np.int64,
    # The day (since 1970-01-01) the license expires, NO_LICENSE_EXPIRY when none is
    # recorded: four bytes a home, no date object.
    "license_day": np.int32,
    # The numbers the rules compare, clipped to int16: a child's age, places and
    # dependents lie well inside it, so clipping never changes a comparison's outcome
    # (x < v is the same for x and clip(x) whenever lo < v <= hi), and a comparison
    # over int16 reads a quarter of the memory of one over int64.
    "rule_beds": np.int16,
    "rule_headroom": np.int16,
    "rule_min_age": np.int16,
    "rule_max_age": np.int16,
    "rule_dependents_cap": np.int16,
    # genders_served as a byte of bits (GENDERS has three): one AND per search.
    "gender_bits": np.uint8,
}
# A failure mask holds one bit per rule in a uint32.
assert len(RULES) <= 32, "failure masks are uint32: widen them for a 33rd rule"
MASK_DTYPE = np.uint32
# The columns kept as they are: whole numbers and flags, the location and the ZIP.
_STORED = (*_PLAIN, "latitude", "longitude", "zip_code")
# HomeOffer's fields in the order of its constructor's arguments.
_OFFER_FIELDS = tuple(HOME_SPEC)
# The fields of a batch given to Directory.upsert_columns: HomeOffer's, with the
# availability time as microseconds (`updated_us`), the license expiry as a day number
# (`license_day`, see epoch_day) and without `active`.
_BATCH_NAMES = {"availability_updated_at": "updated_us", "license_expires": "license_day"}
BATCH_FIELDS = tuple(_BATCH_NAMES.get(name, name) for name in HOME_SPEC if name != "active")


def epoch_us(moment: datetime | None) -> int:
    """Microseconds since the Unix epoch; NEVER_UPDATED_US for None."""
    if moment is None:
        return NEVER_UPDATED_US
    if moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime; got {moment!r}")
    return (moment - _EPOCH) // _MICROSECOND


def from_epoch_us(value: int) -> datetime | None:
    return None if value == NEVER_UPDATED_US else _EPOCH + timedelta(microseconds=value)


def epoch_day(day: date | None) -> int:
    """Days since 1970-01-01; NO_LICENSE_EXPIRY for None."""
    if day is None:
        return NO_LICENSE_EXPIRY
    return (day - _EPOCH_DAY).days


def from_epoch_day(value: int) -> date | None:
    return None if value == NO_LICENSE_EXPIRY else _EPOCH_DAY + timedelta(days=value)


def columns_of(offers: Iterable[HomeOffer]) -> dict[str, list[Any]]:
    """A batch for Directory.upsert_columns from HomeOffers (active ones only)."""
    batch: dict[str, list[Any]] = {name: [] for name in BATCH_FIELDS}
    for offer in offers:
        for name in BATCH_FIELDS:
            if name == "updated_us":
                batch[name].append(epoch_us(offer.availability_updated_at))
            elif name == "license_day":
                batch[name].append(epoch_day(offer.license_expires))
            else:
                batch[name].append(getattr(offer, name))
    return batch


class Directory:
    """Every active home, one numpy array per field, patched in place.

    No Python object per home: a process can hold a national directory in a few
    tens of megabytes, and processes forked after it loads share those pages
    (a patch copies only the pages it writes). A HomeOffer is built on demand for
    the few homes a search returns. Row order is an implementation detail (removal
    moves the last row into the hole); everything a search returns is ordered by
    score, distance and id. Not thread-safe: patches write rows in place, so a
    search must not run while another thread upserts or removes (hold one lock).
    """

    def __init__(self) -> None:
        self._size = 0
        self._names: list[str] = []
        self._row_by_id = np.full(0, -1, np.int64)
        self._data = {name: np.empty(0, dtype) for name, dtype in _SCHEMA.items()}
        self._state_codes: dict[str, int] = {}
        self._state_names: list[str] = []
        self._tag_codes: dict[str, dict[str, int]] = {field: {} for field in _TAG_FIELDS}
        self._tag_values: dict[str, list[str]] = {field: [] for field in _TAG_FIELDS}
        self._tag_masks: dict[str, dict[frozenset[str], int]] = {f: {} for f in _TAG_FIELDS}
        self._tag_sets: dict[str, dict[tuple[int, ...], frozenset[str]]] = {
            f: {} for f in _TAG_FIELDS
        }
        self._tag_bits = {field: np.zeros((0, 1), np.uint64) for field in _TAG_FIELDS}
        # HomeOffers built for returned rows, until their row is written: searches keep
        # returning the same nearby homes. Bounded; a process's own, never shared.
        self._offer_cache: dict[int, HomeOffer] = {}
        # Packed bitsets of the rows where a test on one column holds (see holds), built
        # by the first search that needs one and patched with the rows: a search ORs a
        # few 31 KB bitsets instead of comparing 250,000 values per rule.
        self._bitsets: dict[tuple[str, str, int], np.ndarray] = {}

    @classmethod
    def from_offers(cls, offers: Iterable[HomeOffer]) -> Directory:
        directory = cls()
        directory.upsert(offers)
        return directory

    def __len__(self) -> int:
        return self._size

    def __contains__(self, home_id: object) -> bool:
        return isinstance(home_id, int) and self.row_of(home_id) is not None

    @property
    def nbytes(self) -> int:
        """Bytes held by the columns (capacity included), for the record."""
        arrays = [*self._data.values(), *self._tag_bits.values(), self._row_by_id]
        return sum(array.nbytes for array in arrays)

    def offer(self, index: int) -> HomeOffer:
        """The home in row `index` as the scalar rules see it (built on demand)."""
        if not 0 <= index < self._size:
            raise IndexError(index)
        return self.offers([index])[0]

    def offers(self, rows: Iterable[int]) -> list[HomeOffer]:
        """The homes in these rows, built a column at a time for those not cached."""
        rows = list(rows)
        cache = self._offer_cache
        missing = [row for row in rows if row not in cache]
        if missing:
            if len(cache) + len(missing) > _OFFER_CACHE_SIZE:
                cache.clear()
                missing = list(dict.fromkeys(rows))
            for row, offer in zip(missing, self._build_offers(missing), strict=True):
                cache[row] = offer
        return [cache[row] for row in rows]

    def _build_offers(self, rows: list[int]) -> list[HomeOffer]:
        """HomeOffers for these rows, a column at a time (a list per field, then one
        positional call per home): half the time of a keyword call built per home."""
        index = np.asarray(rows, np.intp)
        data = self._data

        def listed(name: str) -> list[Any]:
            return data[name][index].tolist()

        def named(name: str, names: Sequence[str]) -> list[str]:
            return list(map(names.__getitem__, listed(name)))

        columns: dict[str, list[Any]] = {name: listed(name) for name in ("id", *_STORED)}
        columns["name"] = list(map(self._names.__getitem__, rows))
        columns["state"] = named("state", self._state_names)
        for field, levels in _LEVELS.items():
            columns[field] = named(field, levels)
        for field in _TAG_FIELDS:
            columns[field] = self._tags_of(field, index)
        columns["active"] = [True] * len(rows)
        columns["availability_updated_at"] = list(map(from_epoch_us, listed("updated_us")))
        columns["license_expires"] = list(map(from_epoch_day, listed("license_day")))
        return list(map(HomeOffer, *(columns[name] for name in _OFFER_FIELDS)))

    def row_of(self, home_id: int) -> int | None:
        if not 0 <= home_id < len(self._row_by_id):
            return None
        row = int(self._row_by_id[home_id])
        return None if row < 0 else row

    @property
    def ids(self) -> np.ndarray:
        return self.column("id")

    def upsert(self, offers: Iterable[HomeOffer]) -> None:
        """Replace homes by id or append new ones; an inactive offer removes its home."""
        latest: dict[int, HomeOffer] = {}
        for offer in offers:
            latest[offer.id] = offer
        self.remove(home_id for home_id, offer in latest.items() if not offer.active)
        self.upsert_columns(columns_of(o for o in latest.values() if o.active))

    def upsert_columns(self, batch: dict[str, Sequence[Any]]) -> None:
        """Replace homes by id or append new ones, from one list per BATCH_FIELDS name.

        The fastest way in: a full load of 250,000 rows goes through here in a few
        batches, with no HomeOffer built. Within a batch the last row of an id wins.
        """
        ids = np.asarray(batch["id"], np.int64)
        if not len(ids):
            return
        if ids.min() < 0 or ids.max() > MAX_HOME_ID:
            raise ValueError(f"home ids must lie in 0..{MAX_HOME_ID}")
        # The last occurrence of each id within the batch.
        reversed_unique = np.unique(ids[::-1], return_index=True)[1]
        keep = np.sort(len(ids) - 1 - reversed_unique)
        if len(keep) != len(ids):
            batch = {name: [values[i] for i in keep.tolist()] for name, values in batch.items()}
            ids = ids[keep]
        self._map_size(int(ids.max()) + 1)
        rows = self._row_by_id[ids]
        new = rows < 0
        count = int(np.count_nonzero(new))
        if count:
            start = self._size
            self._reserve(start + count)
            rows = rows.copy()
            rows[new] = np.arange(start, start + count)
            self._row_by_id[ids[new]] = rows[new]
            self._names.extend([None] * count)  # type: ignore[list-item]
            self._size += count
        self._write(rows, batch)

    def remove(self, ids: Iterable[int]) -> None:
        """Drop homes by id (deactivated ones); unknown ids are ignored."""
        for home_id in ids:
            row = self.row_of(home_id)
            if row is None:
                continue
            self._row_by_id[home_id] = -1
            last = self._size - 1
            self._offer_cache.pop(row, None)
            self._offer_cache.pop(last, None)
            if row != last:
                self._row_by_id[self._data["id"][last]] = row
                self._names[row] = self._names[last]
                for array in self._data.values():
                    array[row] = array[last]
                for bits in self._tag_bits.values():
                    bits[row] = bits[last]
            self._names.pop()
            self._size -= 1
            self._patch_bitsets(np.array([row] if row != last else [], np.intp), gone=last)

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

    def gender_bit(self, gender: str) -> int | None:
        """The bit of `gender` in the `gender_bits` column: 0 when no home serves it;
        None when codes outgrew a byte (then has_tag answers)."""
        code = self._tag_codes["genders_served"].get(gender)
        if code is None:
            return 0
        return 1 << code if code < 8 else None

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

    def _map_size(self, size: int) -> None:
        if size > len(self._row_by_id):
            grown = np.full(max(size, 2 * len(self._row_by_id), 64), -1, np.int64)
            grown[: len(self._row_by_id)] = self._row_by_id
            self._row_by_id = grown

    def reserve(self, size: int) -> None:
        """Room for `size` homes without reallocating (call before a fork: growing
        a column afterwards copies it into the process's private memory)."""
        self._reserve(size, exact=True)

    def _reserve(self, size: int, *, exact: bool = False) -> None:
        capacity = len(self._data["id"])
        if size <= capacity:
            return
        # Doubling keeps a stream of single-home upserts amortised O(1).
        capacity = size if exact else max(size, 2 * capacity, 64)
        self._bitsets.clear()  # sized for the old capacity; rebuilt when next needed
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
                self._tag_values[field].append(value)
            mask |= 1 << code
        return mask

    def _tags_of(self, field: str, index: np.ndarray) -> list[frozenset[str]]:
        """The tag sets of the rows `index`."""
        # A national directory holds a handful of distinct sets: decode each once.
        cache = self._tag_sets[field]
        found = []
        for words in map(tuple, self._tag_bits[field][index].tolist()):
            tags = cache.get(words)
            if tags is None:
                names = self._tag_values[field]
                values = []
                for word, value in enumerate(words):
                    while value:
                        low = value & -value
                        values.append(names[word * _WORD_BITS + low.bit_length() - 1])
                        value ^= low
                tags = cache[words] = frozenset(values)
            found.append(tags)
        return found

    def _tag_words(self, field: str, sets: Sequence[Iterable[str]]) -> np.ndarray:
        # Homes share a handful of sets: each distinct one is encoded once.
        known = self._tag_masks[field]
        try:
            # The usual case, frozensets: each new distinct set encoded, then every home's
            # looked up in C.
            for key in set(sets) - known.keys():
                known[key] = self._mask_of(field, key, add=True)
            masks = list(map(known.__getitem__, sets))
        except TypeError:  # lists or sets, not hashable: as frozensets
            keys = [
                values if isinstance(values, frozenset) else frozenset(values) for values in sets
            ]
            for key in set(keys) - known.keys():
                known[key] = self._mask_of(field, key, add=True)
            masks = list(map(known.__getitem__, keys))
        words = max(1, -(-len(self._tag_codes[field]) // _WORD_BITS))
        bits = self._tag_bits[field]
        if words > bits.shape[1]:
            # A new language beyond the 64th: widen once, keep the old words.
            widened = np.zeros((bits.shape[0], words), np.uint64)
            widened[:, : bits.shape[1]] = bits
            self._tag_bits[field] = widened
        out = np.zeros((len(masks), words), np.uint64)
        low = 2**_WORD_BITS - 1
        if words == 1:
            out[:, 0] = np.asarray(masks, np.uint64)
        else:
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

    def _codes(self, field: str, values: Sequence[str] | np.ndarray) -> Sequence[int]:
        if isinstance(values, np.ndarray):  # codes already (a full load reads them so)
            if len(values) and not 0 <= values.min() <= values.max() < len(_LEVELS[field]):
                raise ValueError(f"{field} must be one of {_LEVELS[field]}; got an unknown one")
            return values
        codes = _LEVEL_CODE[field]
        try:
            return [codes[value] for value in values]
        except KeyError as error:
            raise ValueError(
                f"{field} must be one of {_LEVELS[field]}; got {error.args[0]!r}"
            ) from None

    def _write(self, rows: np.ndarray, batch: dict[str, Sequence[Any]]) -> None:
        if self._offer_cache:
            for row in rows.tolist():
                self._offer_cache.pop(row, None)

        def array(name: str, dtype: Any = None) -> np.ndarray:
            return np.asarray(batch[name], dtype=dtype or _SCHEMA[name])

        data = self._data
        for name in _STORED:
            data[name][rows] = array(name)
        latitude, longitude = array("latitude"), array("longitude")
        if np.isnan(latitude).any() or np.isnan(longitude).any():
            raise ValueError("every home needs a location (latitude and longitude)")
        data["x"][rows], data["y"][rows], data["z"][rows] = unit_vectors(latitude, longitude)
        data["latitude_degree"][rows] = np.floor(latitude)
        data["longitude_degree"][rows] = _wrapped_degree(np.floor(longitude))
        data["id"][rows] = array("id")
        for field in _LEVELS:
            data[field][rows] = np.asarray(self._codes(field, batch[field]), _SCHEMA[field])
        states = batch["state"]
        for state in set(states):  # a code for each new state, then one lookup per home
            self._state(state)
        codes = self._state_codes
        data["state"][rows] = np.fromiter(map(codes.__getitem__, states), np.int16, len(states))
        data["updated_us"][rows] = array("updated_us")
        data["license_day"][rows] = array("license_day")
        occupied = data["licensed_beds"][rows] - data["available_beds"][rows]
        data["staff_headroom"][rows] = (
            data["staff_on_duty"][rows] * data["residents_per_staff"][rows] - occupied
        )
        data["dependents_cap"][rows] = np.where(
            data["accepts_parenting"][rows], data["max_dependents"][rows], -1
        )
        for clipped, name in (
            ("rule_beds", "available_beds"),
            ("rule_headroom", "staff_headroom"),
            ("rule_min_age", "min_age"),
            ("rule_max_age", "max_age"),
            ("rule_dependents_cap", "dependents_cap"),
        ):
            data[clipped][rows] = np.clip(data[name][rows], *_CLIP)
        for field in _TAG_FIELDS:
            words = self._tag_words(field, batch[field])
            self._tag_bits[field][rows] = words
        data["gender_bits"][rows] = self._tag_bits["genders_served"][rows, 0] & np.uint64(0xFF)
        for row, name in zip(rows.tolist(), batch["name"], strict=True):
            self._names[row] = name
        self._patch_bitsets(rows)

    # Rule bitsets.

    def holds(self, test: str, name: str, value: int = 0) -> np.ndarray:
        """The rows where `column(name) <test> value` holds, as a packed bitset: WORD
        words, bit r % 64 of word r // 64 for row r, no bit set at or beyond len(self).

        test: "below" (<), "above" (>), "equal" (==), "false" (not a bool column),
        "true", "lacks" (no bit of `value` in the column). Built over every row the
        first time, then kept and patched as rows are written: do not modify it."""
        key = (test, name, value)
        bits = self._bitsets.get(key)
        if bits is None:
            if len(self._bitsets) >= _BITSETS_KEPT:
                self._bitsets.clear()
            words = -(-len(self._data["id"]) // _WORD_BITS)
            bits = self._bitsets[key] = pack_rows(self._test(key, None), words)
        return bits[: self.words]

    @property
    def words(self) -> int:
        """The length of a bitset over this directory's rows."""
        return -(-self._size // _WORD_BITS)

    def _test(self, key: tuple[str, str, int], rows: np.ndarray | None) -> np.ndarray:
        test, name, value = key
        values = self._data[name][: self._size] if rows is None else self._data[name][rows]
        if test == "below":
            return values < value
        if test == "above":
            return values > value
        if test == "equal":
            return values == value
        if test == "false":
            return ~values
        if test == "true":
            return values
        if test == "lacks":
            return (values & value) == 0
        raise ValueError(f"unknown test {test!r}")

    def _patch_bitsets(self, rows: np.ndarray, gone: int | None = None) -> None:
        """Rewrite the bits of `rows` in every kept bitset, and clear row `gone` (a row
        past the end after a removal)."""
        if not self._bitsets:
            return
        if len(rows) > _PATCH_ROWS_MAX:
            self._bitsets.clear()
            return
        words = rows >> 6
        ones = np.left_shift(np.uint64(1), (rows & 63).astype(np.uint64))
        for key, bits in self._bitsets.items():
            if gone is not None:
                bits[gone >> 6] &= ~np.uint64(1 << (gone & 63))
            if len(rows):
                np.bitwise_and.at(bits, words, ~ones)
                flags = self._test(key, rows)
                np.bitwise_or.at(bits, words[flags], ones[flags])


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
        band |= directory.holds("equal", "longitude_degree", _wrapped_degree(degree))
    return band


def _wrapped_degree(degree: int | np.ndarray) -> int | np.ndarray:
    """A whole degree of longitude (an int or an array of them) as -180..179."""
    return (degree + 180) % 360 - 180


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


def pack_rows(flags: np.ndarray, words: int) -> np.ndarray:
    """A boolean per row as a bitset of `words` WORD words (see Directory.holds)."""
    bits = np.zeros(words, WORD)
    packed = np.packbits(flags, bitorder="little")
    bits.view(np.uint8)[: len(packed)] = packed
    return bits


def rows_of(bits: np.ndarray) -> np.ndarray:
    """The rows whose bits are set, ascending."""
    words = np.flatnonzero(bits)
    if len(words) * 2 > len(bits):
        # Bits almost everywhere: unpack them all. (As bools: np.flatnonzero is several
        # times faster on them than on the 0/1 bytes np.unpackbits returns.)
        return np.flatnonzero(np.unpackbits(bits.view(np.uint8), bitorder="little").view(np.bool_))
    # Otherwise only the words holding some.
    flags = np.unpackbits(bits[words].view(np.uint8), bitorder="little").view(np.bool_)
    found = np.flatnonzero(flags)
    return words[found >> 6] * _WORD_BITS + (found & (_WORD_BITS - 1))


def count_bits(bits: np.ndarray) -> int:
    """How many rows a bitset holds."""
    return int(np.bitwise_count(bits).sum(dtype=np.int64))


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
        if self.size % _WORD_BITS:  # no bit past the last row
            self._feasible[-1] &= np.uint64((1 << (self.size % _WORD_BITS)) - 1)
        # Homes failing exactly one rule: near misses.
        self._single = failing & ~several

    def feasible_rows(self) -> np.ndarray:
        return rows_of(self._feasible)

    def alone(self, rule: str) -> np.ndarray:
        """The bitset of the homes failing `rule` and nothing else."""
        bits = self.by_rule.get(rule)
        return np.zeros(len(self._single), WORD) if bits is None else bits & self._single

    def single_count(self) -> int:
        return count_bits(self._single)

    @property
    def single(self) -> np.ndarray:
        """The bitset of the homes failing exactly one rule."""
        return self._single

    def counts(self) -> dict[str, int]:
        """How many homes fail each rule, alone or with others."""
        counts = dict.fromkeys(RULES, 0)
        counts.update(zip(self.by_rule, self._counts(self._stack), strict=True))
        return counts

    def alone_counts(self) -> dict[str, int]:
        """How many homes fail each rule and nothing else."""
        return dict(zip(self.by_rule, self._counts(self._stack & self._single), strict=True))

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
    places = min(1 + needs.dependents, _CLIP[1])
    by_rule["beds"] = holds("below", "rule_beds", places)
    by_rule["staffing"] = holds("below", "rule_headroom", places)
    age = min(needs.age, _CLIP[1])
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
        dependents = min(needs.dependents, _CLIP[1])
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
    # RULES order, so that counts and masks read the same whatever the order above.
    return RuleFailures(directory, {rule: by_rule[rule] for rule in RULES if rule in by_rule})


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
