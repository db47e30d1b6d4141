"""How the directory lays out the homes (engine.directory): one numpy column per field,
levels as small ints, tag sets as bitsets, times as numbers, and the packed bitsets of
rows a rule's test holds for. The column list follows the engine's specification of the
matching fields (HomeOffer's `spec(...)`, types.py): a flag or a number added there is
stored, loaded and rebuilt into offers without a change here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from .spec import names_of_kind
from .types import HOME_SPEC, RULES, HomeOffer

# The numbers the rules compare are clipped to int16 (see SCHEMA's rule_* columns).
CLIP = (-(2**15), 2**15 - 1)

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
LEVELS: dict[str, tuple[str, ...]] = {
    name: field.levels for name, field in HOME_SPEC.items() if field.kind == "level"
}
LEVEL_CODE = {name: {v: i for i, v in enumerate(levels)} for name, levels in LEVELS.items()}
TAG_FIELDS = names_of_kind(HOME_SPEC, "tags")
# Whole numbers in 32 bits: they are counts and ages, which the database keeps in
# integer or smallint columns (four bytes a home each, not eight); what is computed
# from them (staff_headroom) is computed in 64.
_PLAIN_TYPES = {"int": np.int32, "bool": np.bool_}
_PLAIN = {
    name: _PLAIN_TYPES[field.kind]
    for name, field in HOME_SPEC.items()
    if field.kind in _PLAIN_TYPES and name != "active"
}
WORD_BITS = 64
# Rule bitsets (see Directory.holds): one bit per row, bit r % 64 of word r // 64, the
# word little-endian whatever the machine, so np.packbits(..., bitorder="little") fills it.
WORD = np.dtype("<u8")

SCHEMA: dict[str, type | str] = {
    "id": np.int64,
    "state": np.int16,
    # ASCII bytes (a ZIP is five digits): 5 bytes a home where "U5" took 20.
    "zip_code": "S5",
    "latitude": np.float64,
    "longitude": np.float64,
    **{name: np.int8 for name in LEVELS},
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
    "dependents_cap": np.int32,
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
STORED = (*_PLAIN, "latitude", "longitude", "zip_code")
# HomeOffer's fields in the order of its constructor's arguments.
OFFER_FIELDS = tuple(HOME_SPEC)
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


def wrapped_degree(degree: int | np.ndarray) -> int | np.ndarray:
    """A whole degree of longitude (an int or an array of them) as -180..179."""
    return (degree + 180) % 360 - 180


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
    return words[found >> 6] * WORD_BITS + (found & (WORD_BITS - 1))


def count_bits(bits: np.ndarray) -> int:
    """How many rows a bitset holds."""
    return int(np.bitwise_count(bits).sum(dtype=np.int64))
