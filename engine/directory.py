"""The directory of homes a search judges: every active home, one numpy column per
field (see layout.py), patched in place as homes change."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import numpy as np

from .geo import unit_vectors
from .layout import (
    CLIP,
    LEVEL_CODE,
    LEVELS,
    OFFER_FIELDS,
    SCHEMA,
    STORED,
    TAG_FIELDS,
    WORD_BITS,
    columns_of,
    from_epoch_day,
    from_epoch_us,
    pack_rows,
    wrapped_degree,
)
from .types import HomeOffer, trusted_offers

# HomeOffers kept per process (about 640 bytes each, so at most ~10 MB): enough for the
# homes some hundreds of searches across the country return (40 each), which 4,096 was
# not: searches then rebuilt most of their homes (1 ms a search at 250,000 homes).
_OFFER_CACHE_SIZE = 16_384
# A patch of more rows than this drops the bitsets (rebuilt by the next search) instead
# of rewriting them bit by bit.
_PATCH_ROWS_MAX = 4096
# Distinct bitsets kept (states, ages, bed counts, license days, ...): a few hundred.
_BITSETS_KEPT = 512
# Ids index a dense row map (PostgreSQL serials); beyond this an id is surely a mistake.
MAX_HOME_ID = 2**31 - 1
# A batch's optional column of whom to call at each home (see contact_text); a batch
# without it leaves the homes' contacts as they were (empty for a new home).
CONTACT = "contact"
_CONTACT_SEPARATOR = "\x00"


def contact_text(intake_phone: str, contact_name: str) -> str:
    """A home's intake phone and contact name as the directory keeps them, one text:
    joined by NUL, which no PostgreSQL text (nor a valid phone) holds."""
    return f"{intake_phone}{_CONTACT_SEPARATOR}{contact_name}"


def contact_of(text: str) -> tuple[str, str]:
    """(intake_phone, contact_name) of a contact_text ("", "" for a home without one)."""
    phone, _, name = text.partition(_CONTACT_SEPARATOR)
    return phone, name


class Coded:
    """A batch column given as its distinct values and each row's index into them (a
    full load's states and tag sets: a handful of values for a national directory, so
    no Python object per home)."""

    __slots__ = ("codes", "values")

    def __init__(self, values: Sequence[Any], codes: np.ndarray) -> None:
        self.values = list(values)
        self.codes = np.asarray(codes, np.intp)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, row: int) -> Any:
        return self.values[self.codes[row]]

    def __iter__(self) -> Iterator[Any]:
        return map(self.values.__getitem__, self.codes.tolist())

    def take(self, rows: np.ndarray) -> Coded:
        return Coded(self.values, self.codes[rows])


class Texts:
    """A batch column of strings given as one UTF-8 buffer with each row's start and
    length (a full load's names: no Python string per home)."""

    __slots__ = ("buffer", "length", "start")

    def __init__(self, buffer: bytes | bytearray, start: np.ndarray, length: np.ndarray) -> None:
        self.buffer = buffer
        self.start = np.asarray(start, np.int64)
        self.length = np.asarray(length, np.int64)

    def __len__(self) -> int:
        return len(self.start)

    def __getitem__(self, row: int) -> str:
        start = int(self.start[row])
        return bytes(self.buffer[start : start + int(self.length[row])]).decode()

    def __iter__(self) -> Iterator[str]:
        return (self[row] for row in range(len(self)))

    def take(self, rows: np.ndarray) -> Texts:
        return Texts(self.buffer, self.start[rows], self.length[rows])


def _ascii(zips: Sequence[str] | np.ndarray) -> np.ndarray:
    """ZIP codes as the column keeps them, five ASCII bytes; a character outside ASCII
    (never in a valid ZIP) reads as "?"."""
    try:
        return np.asarray(zips).astype("S5")
    except UnicodeEncodeError:
        return np.array([str(code)[:5].encode("ascii", "replace") for code in zips], "S5")


def take(values: Any, rows: np.ndarray) -> Any:
    """These rows of one batch column (an array, a Coded, a Texts or a sequence)."""
    if isinstance(values, (np.ndarray, Coded, Texts)):
        return values[rows] if isinstance(values, np.ndarray) else values.take(rows)
    return [values[i] for i in rows.tolist()]


class _Names:
    """Every home's name in one UTF-8 buffer, with a start and a length per row: no
    Python string per home (a million of them cost about 80 MB, and a forked worker
    writing their reference counts copies the pages that hold them). A rewritten name
    is appended; the buffer is compacted when more than half of it is dead bytes."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._start = np.zeros(0, np.int64)
        self._length = np.zeros(0, np.int32)
        self._size = 0
        self._dead = 0

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        return len(self._buffer) + self._start.nbytes + self._length.nbytes

    def grow(self, count: int) -> None:
        """`count` more rows, empty until written."""
        size = self._size + count
        if size > len(self._start):
            capacity = max(size, 2 * len(self._start), 64)
            start, length = np.zeros(capacity, np.int64), np.zeros(capacity, np.int32)
            start[: self._size], length[: self._size] = (
                self._start[: self._size],
                self._length[: self._size],
            )
            self._start, self._length = start, length
        self._start[self._size : size] = 0
        self._length[self._size : size] = 0
        self._size = size

    def __getitem__(self, row: int) -> str:
        if not 0 <= row < self._size:
            raise IndexError(row)
        start = int(self._start[row])
        return self._buffer[start : start + int(self._length[row])].decode()

    def __setitem__(self, row: int, name: str) -> None:
        data = name.encode()
        self._dead += int(self._length[row])
        self._start[row], self._length[row] = len(self._buffer), len(data)
        self._buffer += data
        if self._dead > 1 << 16 and 2 * self._dead > len(self._buffer):
            self._compact()

    def write(self, rows: np.ndarray, texts: Texts) -> None:
        """Rows' names from one buffer, appended whole (a full load: one copy)."""
        self._dead += int(self._length[rows].sum())
        base = len(self._buffer)
        self._buffer += texts.buffer
        self._start[rows] = base + texts.start
        self._length[rows] = texts.length
        if self._dead > 1 << 16 and 2 * self._dead > len(self._buffer):
            self._compact()

    def move_last_to(self, row: int) -> None:
        """Drop `row`: the last row's name takes its place, and the last row goes."""
        last = self._size - 1
        self._dead += int(self._length[row])
        if row != last:
            self._start[row], self._length[row] = self._start[last], self._length[last]
        self._size = last

    def _compact(self) -> None:
        buffer = bytearray()
        for row in range(self._size):
            start, length = int(self._start[row]), int(self._length[row])
            self._start[row] = len(buffer)
            buffer += self._buffer[start : start + length]
        self._buffer, self._dead = buffer, 0


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
        self._names = _Names()
        # Whom to call at each home (contact_text): not a matching field, but a search
        # shows it with every home it returns, and held here it needs no second read of
        # the database (one buffer with offsets, as the names).
        self._contacts = _Names()
        # The row of each id, -1 for none: rows number fewer than 2**31 (int32).
        self._row_by_id = np.full(0, -1, np.int32)
        self._data = {name: np.empty(0, dtype) for name, dtype in SCHEMA.items()}
        self._state_codes: dict[str, int] = {}
        self._state_names: list[str] = []
        self._tag_codes: dict[str, dict[str, int]] = {field: {} for field in TAG_FIELDS}
        self._tag_values: dict[str, list[str]] = {field: [] for field in TAG_FIELDS}
        self._tag_masks: dict[str, dict[frozenset[str], int]] = {f: {} for f in TAG_FIELDS}
        self._tag_sets: dict[str, dict[tuple[int, ...], frozenset[str]]] = {
            f: {} for f in TAG_FIELDS
        }
        self._tag_bits = {field: np.zeros((0, 1), np.uint64) for field in TAG_FIELDS}
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
        return sum(array.nbytes for array in arrays) + self._names.nbytes + self._contacts.nbytes

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

        columns: dict[str, list[Any]] = {name: listed(name) for name in ("id", *STORED)}
        columns["zip_code"] = [code.decode() for code in columns["zip_code"]]
        columns["name"] = list(map(self._names.__getitem__, rows))
        columns["state"] = named("state", self._state_names)
        for field, levels in LEVELS.items():
            columns[field] = named(field, levels)
        for field in TAG_FIELDS:
            columns[field] = self._tags_of(field, index)
        columns["active"] = [True] * len(rows)
        columns["availability_updated_at"] = list(map(from_epoch_us, listed("updated_us")))
        columns["license_expires"] = list(map(from_epoch_day, listed("license_day")))
        # Unchecked: the columns hold only valid levels and float coordinates.
        return trusted_offers(*(columns[name] for name in OFFER_FIELDS))

    def contacts(self, rows: Iterable[int]) -> list[tuple[str, str]]:
        """(intake_phone, contact_name) of the homes in these rows, as the last batch
        that gave them wrote them (empty when none did)."""
        return [contact_of(self._contacts[row]) for row in rows]

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

    def upsert_columns(self, batch: Mapping[str, Sequence[Any]]) -> None:
        """Replace homes by id or append new ones, from one list per BATCH_FIELDS name
        (and CONTACT's, when the batch has their contacts).

        The fastest way in: a full load of 250,000 rows goes through here in a few
        batches, with no HomeOffer built. Within a batch the last row of an id wins.
        """
        ids = np.asarray(batch["id"], np.int64)
        if not len(ids):
            return
        if ids.min() < 0 or ids.max() > MAX_HOME_ID:
            raise ValueError(f"home ids must lie in 0..{MAX_HOME_ID}")
        # The last occurrence of each id within the batch (none repeats in ascending ids,
        # as a full load reads them: no sort of a million ids then).
        if (ids[1:] > ids[:-1]).all():
            keep = np.arange(len(ids))
        else:
            reversed_unique = np.unique(ids[::-1], return_index=True)[1]
            keep = np.sort(len(ids) - 1 - reversed_unique)
        if len(keep) != len(ids):
            batch = {name: take(values, keep) for name, values in batch.items()}
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
            self._names.grow(count)
            self._contacts.grow(count)
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
                for array in self._data.values():
                    array[row] = array[last]
                for bits in self._tag_bits.values():
                    bits[row] = bits[last]
            self._names.move_last_to(row)
            self._contacts.move_last_to(row)
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
        word, bit = divmod(code, WORD_BITS)
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
            word_mask = (wanted >> (word * WORD_BITS)) & (2**WORD_BITS - 1)
            if word_mask:
                counts += np.bitwise_count(bits[:, word] & np.uint64(word_mask))
        return counts

    # Storage.

    def _map_size(self, size: int) -> None:
        if size > len(self._row_by_id):
            grown = np.full(max(size, 2 * len(self._row_by_id), 64), -1, np.int32)
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
            widened = np.zeros((capacity, bits.shape[1]), np.uint64)
            widened[: self._size] = bits[: self._size]
            self._tag_bits[field] = widened

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
        # A national directory holds a handful of distinct sets: decode each once, then
        # look each row's up in C.
        cache = self._tag_sets[field]
        keys = list(map(tuple, self._tag_bits[field][index].tolist()))
        found: list[frozenset[str] | None] = list(map(cache.get, keys))
        for position, tags in enumerate(found):
            if tags is None:  # a set not seen before, decoded once however many hold it
                key = keys[position]
                tags = cache.get(key)
                if tags is None:
                    tags = cache[key] = self._decode(field, key)
                found[position] = tags
        return cast(list[frozenset[str]], found)

    def _decode(self, field: str, words: tuple[int, ...]) -> frozenset[str]:
        names = self._tag_values[field]
        values = []
        for word, value in enumerate(words):
            while value:
                low = value & -value
                values.append(names[word * WORD_BITS + low.bit_length() - 1])
                value ^= low
        return frozenset(values)

    def _tag_words(self, field: str, sets: Sequence[Iterable[str]] | Coded) -> np.ndarray:
        if isinstance(sets, Coded):  # the distinct sets encoded, then one take
            return self._tag_words(field, sets.values)[sets.codes]
        # Homes share a handful of sets: each distinct one is encoded once.
        known = self._tag_masks[field]
        try:
            # The usual case, frozensets: each new distinct set encoded, then every home's
            # looked up in C.
            hashed = cast(Sequence[frozenset[str]], sets)
            for key in set(hashed) - known.keys():
                known[key] = self._mask_of(field, key, add=True)
            masks = list(map(known.__getitem__, hashed))
        except TypeError:  # lists or sets, not hashable: as frozensets
            keys = [
                values if isinstance(values, frozenset) else frozenset(values) for values in sets
            ]
            for key in set(keys) - known.keys():
                known[key] = self._mask_of(field, key, add=True)
            masks = list(map(known.__getitem__, keys))
        words = max(1, -(-len(self._tag_codes[field]) // WORD_BITS))
        bits = self._tag_bits[field]
        if words > bits.shape[1]:
            # A new language beyond the 64th: widen once, keep the old words.
            widened = np.zeros((bits.shape[0], words), np.uint64)
            widened[:, : bits.shape[1]] = bits
            self._tag_bits[field] = widened
        out = np.zeros((len(masks), words), np.uint64)
        low = 2**WORD_BITS - 1
        if words == 1:
            out[:, 0] = np.asarray(masks, np.uint64)
        else:
            for word in range(words):
                shift = word * WORD_BITS
                out[:, word] = [(mask >> shift) & low for mask in masks]
        return out

    def _state(self, state: str) -> int:
        code = self._state_codes.get(state)
        if code is None:
            code = self._state_codes[state] = len(self._state_codes)
            self._state_names.append(state)
        return code

    def _codes(self, field: str, values: Sequence[str] | np.ndarray) -> Sequence[int] | np.ndarray:
        if isinstance(values, np.ndarray):  # codes already (a full load reads them so)
            if len(values) and not 0 <= values.min() <= values.max() < len(LEVELS[field]):
                raise ValueError(f"{field} must be one of {LEVELS[field]}; got an unknown one")
            return values
        codes = LEVEL_CODE[field]
        try:
            return [codes[value] for value in values]
        except KeyError as error:
            raise ValueError(
                f"{field} must be one of {LEVELS[field]}; got {error.args[0]!r}"
            ) from None

    def _write(self, rows: np.ndarray, batch: Mapping[str, Sequence[Any]]) -> None:
        if self._offer_cache:
            for row in rows.tolist():
                self._offer_cache.pop(row, None)

        def array(name: str, dtype: Any = None) -> np.ndarray:
            return np.asarray(batch[name], dtype=dtype or SCHEMA[name])

        data = self._data
        for name in STORED:
            if name != "zip_code":
                data[name][rows] = array(name)
        data["zip_code"][rows] = _ascii(batch["zip_code"])
        latitude, longitude = array("latitude"), array("longitude")
        if np.isnan(latitude).any() or np.isnan(longitude).any():
            raise ValueError("every home needs a location (latitude and longitude)")
        data["x"][rows], data["y"][rows], data["z"][rows] = unit_vectors(latitude, longitude)
        data["latitude_degree"][rows] = np.floor(latitude)
        data["longitude_degree"][rows] = wrapped_degree(np.floor(longitude))
        data["id"][rows] = array("id")
        for field in LEVELS:
            data[field][rows] = np.asarray(self._codes(field, batch[field]), SCHEMA[field])
        states = batch["state"]
        if isinstance(states, Coded):
            table = np.array([self._state(state) for state in states.values], np.int16)
            data["state"][rows] = table[states.codes]
        else:
            for state in set(states):  # a code for each new state, then one lookup per home
                self._state(state)
            codes = self._state_codes
            data["state"][rows] = np.fromiter(map(codes.__getitem__, states), np.int16, len(states))
        data["updated_us"][rows] = array("updated_us")
        data["license_day"][rows] = array("license_day")
        # In 64 bits: the product of two 32-bit columns need not fit in 32.
        occupied = data["licensed_beds"][rows].astype(np.int64) - data["available_beds"][rows]
        data["staff_headroom"][rows] = (
            data["staff_on_duty"][rows].astype(np.int64) * data["residents_per_staff"][rows]
            - occupied
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
            data[clipped][rows] = np.clip(data[name][rows], *CLIP)
        for field in TAG_FIELDS:
            words = self._tag_words(field, batch[field])
            self._tag_bits[field][rows] = words
        data["gender_bits"][rows] = self._tag_bits["genders_served"][rows, 0] & np.uint64(0xFF)
        for store, column in ((self._names, "name"), (self._contacts, CONTACT)):
            texts = batch.get(column)
            if texts is None:
                continue
            if isinstance(texts, Texts):
                store.write(rows, texts)
            else:
                for row, text in zip(rows.tolist(), texts, strict=True):
                    store[row] = text
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
            words = -(-len(self._data["id"]) // WORD_BITS)
            bits = self._bitsets[key] = pack_rows(self._test(key, None), words)
        return bits[: self.words]

    @property
    def words(self) -> int:
        """The length of a bitset over this directory's rows."""
        return -(-self._size // WORD_BITS)

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
