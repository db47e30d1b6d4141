"""The SQL the directory cache (matching.directory) runs on PostgreSQL and SQLite: the full
load, as text and in PostgreSQL's binary COPY format, the change log's bounds and entries,
and the contacts. The columns follow the engine's specification of a home's matching
fields (engine.types.HOME_SPEC): a flag or number added there is read without a change here.
"""

from __future__ import annotations

import numpy as np

from engine.layout import BATCH_FIELDS, LEVELS, NEVER_UPDATED_US, NO_LICENSE_EXPIRY, TAG_FIELDS
from engine.spec import names_of_kind
from engine.types import HOME_SPEC

# The columns read per home, in BATCH_FIELDS order (updated_us and license_day computed
# by the database: numbers, no datetime or date object per home).
COMPUTED = {
    "updated_us": "COALESCE((extract(epoch FROM h.availability_updated_at) * 1000000)::bigint, "
    f"{NEVER_UPDATED_US})",
    "license_day": f"COALESCE(h.license_expires - DATE '1970-01-01', {NO_LICENSE_EXPIRY})",
}
# The home's fields by kind, from the engine's specification of the matching fields.
# Levels and tag sets as the directory keeps them (engine.layout).
FLOATS = set(names_of_kind(HOME_SPEC, "float"))
BOOLEANS = set(names_of_kind(HOME_SPEC, "bool"))
WORDS = names_of_kind(HOME_SPEC, "text", "zip", "state")
TEXTS = (*WORDS, *TAG_FIELDS)
NUMBERS = tuple(name for name in BATCH_FIELDS if name not in TEXTS)
# Whom to call at a home, read with its fields (engine.directory.contact_text joins them):
# every search shows them with the homes it returns.
CONTACT_COLUMNS = ("intake_phone", "contact_name")
# The columns of the text load and of a sync's re-read homes: BATCH_FIELDS, then these.
ROW_COLUMNS = (*BATCH_FIELDS, *CONTACT_COLUMNS)
SELECTED = [
    COMPUTED[name] if name in COMPUTED
    else f"h.{name}::text" if name in TAG_FIELDS
    else f"h.{name}"
    for name in ROW_COLUMNS
]  # fmt: skip
FULL_LOAD = f"SELECT {', '.join(SELECTED)} FROM homes_home h WHERE h.active"  # noqa: S608

# A full load on PostgreSQL reads the numbers in PostgreSQL's binary COPY format, where
# every row of fixed-width, never-null fields has the same length: numpy reads a piece
# of them as one array, with no Python object per value. The words (names, ZIPs, states)
# come from a second COPY, as text; both are sorted by id by the client and joined on it.


# The times go into the binary load as PostgreSQL keeps them, with nothing computed per
# row (the server's costliest columns were these and the levels): microseconds and days
# since 2000-01-01, a missing one as -infinity / infinity (the extremes of the integer),
# shifted to the Unix epoch by numpy (from_binary_times).
BINARY_TIMES = {
    "updated_us": ("COALESCE(h.availability_updated_at, '-infinity')", ">i8"),
    "license_day": ("COALESCE(h.license_expires, 'infinity')", ">i4"),
}
_POSTGRES_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970
_POSTGRES_EPOCH_DAY = 10_957


def from_binary_times(columns: dict[str, np.ndarray]) -> None:
    """The binary load's times in place as the directory keeps them (engine.layout)."""
    us = columns["updated_us"].astype(np.int64)
    low, high = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    shifted = np.where((us == low) | (us == high), 0, us) + _POSTGRES_EPOCH_US
    columns["updated_us"] = np.where(
        us == low, NEVER_UPDATED_US, np.where(us == high, high, shifted)
    )
    days = columns["license_day"].astype(np.int64)
    never = days == np.iinfo(np.int32).max
    columns["license_day"] = np.where(never, NO_LICENSE_EXPIRY, days + _POSTGRES_EPOCH_DAY)


def binary_column(name: str) -> tuple[str, str]:
    """(SQL, big-endian numpy type) of one field of the binary full load, never null."""
    if name in LEVELS:
        # The level's rank in the rules' order; -1 for a value the rules do not know.
        ranks = " ".join(f"WHEN '{level}' THEN {rank}" for rank, level in enumerate(LEVELS[name]))
        return f"(CASE h.{name} {ranks} ELSE -1 END)::int2", ">i2"
    if name in FLOATS:
        return f"COALESCE(h.{name}::float8, 'NaN')", ">f8"
    if name in BINARY_TIMES:
        return BINARY_TIMES[name]
    if name == "id":
        return "h.id", ">i8"
    # The other whole numbers are counts and ages the model keeps in 32 bits or fewer
    # (integer or smallint): sent in four bytes, not cast to eight on the server.
    return f"h.{name}::int4", ">i4"


# The flags go into the binary load as one integer, bit i the i-th of FLAGS: one field
# a home where each took one (five bytes with its length), and no per-field work for
# the server (from_binary_flags sets them apart).
FLAGS = tuple(name for name in NUMBERS if name in BOOLEANS)
assert len(FLAGS) <= 31, "the flags are sent as one int4: widen it for a 32nd"
FLAGS_SQL = " | ".join(f"(h.{name}::int << {bit})" for bit, name in enumerate(FLAGS))


def from_binary_flags(columns: dict[str, np.ndarray]) -> None:
    """The binary load's packed flags in place as one boolean column each."""
    packed = columns.pop("flags")
    for bit, name in enumerate(FLAGS):
        columns[name] = (packed & (1 << bit)) != 0


# Sent one by one: every number but the flags, then the flags, in one field.
SENT = tuple(name for name in NUMBERS if name not in BOOLEANS)
BINARY = [*(binary_column(name) for name in SENT), (f"({FLAGS_SQL})", ">i4")]
# The names of the binary load's numbers, as its rows hold them (the tag sets' hashes
# follow).
BINARY_NAMES = (*SENT, "flags")
# The tag sets (JSON lists) go into the binary load as a 64-bit hash of each home's set,
# seeded afresh by every load: a national directory holds a few hundred distinct sets,
# whose text is then read once each, from one home that has it (TAG_TEXTS), instead of
# once per home. Two different sets would have to share a hash under a seed drawn after
# they were written (odds of about one in 10^13 for a thousand sets) to be confused.
HASHED = tuple(f"{field}_hash" for field in TAG_FIELDS)


def binary_load(seed: int, *, from_block: int | None = None, to_block: int | None = None) -> str:
    """The numbers of every active home (in the table's blocks from `from_block` and
    before `to_block`, when given) and its tag sets' hashes under `seed`, in
    PostgreSQL's binary COPY format, in no particular order (ordering them by id cost
    the server a third of the statement: the client sorts them, directory_copy)."""
    hashes = [f"jsonb_hash_extended(h.{field}, {int(seed)})" for field in TAG_FIELDS]
    within = "".join(
        f" AND h.ctid {test} '({int(block)},0)'::tid"
        for test, block in ((">=", from_block), ("<", to_block))
        if block is not None
    )
    return (
        f"COPY (SELECT {', '.join([*(sql for sql, _ in BINARY), *hashes])} "  # noqa: S608
        f"FROM homes_home h WHERE h.active{within}) TO STDOUT WITH (FORMAT binary)"
    )


# The block halfway through the table (the binary load is read in two halves on two
# connections, each a range of blocks its own backend scans and no other: one backend's
# work each, and two run at once). Blocks added during the load fall in the upper half.
MIDDLE_BLOCK = "SELECT pg_relation_size('homes_home') / current_setting('block_size')::bigint / 2"


# Each row: a 16-bit field count, then per field a 32-bit length and the value.
BINARY_ROW = np.dtype(
    [("fields", ">i2")]
    + [
        item
        for name, kind in [*zip(BINARY_NAMES, (kind for _, kind in BINARY), strict=True),
                           *((name, ">i8") for name in HASHED)]
        for item in ((f"{name}_length", ">i4"), (name, kind))
    ]
)  # fmt: skip
BINARY_HEADER = 19  # signature (11), flags (4), header extension length (4, zero)
# The words and contacts, as COPY text, in no particular order (matching.directory_copy
# splits them and sorts them by id, as it does the numbers).
WORDS_COPY = (
    f"COPY (SELECT h.id, {', '.join(f'h.{name}' for name in (*WORDS, *CONTACT_COLUMNS))} "  # noqa: S608
    "FROM homes_home h WHERE h.active) TO STDOUT"
)
# The tag sets of the homes named, with their hashes under the load's seed (a home
# changed since the load has another hash: then the load is read again as text).
TAG_TEXTS = (
    "SELECT h.id, "  # noqa: S608
    + ", ".join(
        f"jsonb_hash_extended(h.{field}, %(seed)s), h.{field}::text" for field in TAG_FIELDS
    )
    + " FROM homes_home h WHERE h.id = ANY(%(ids)s)"
)
OWN_TXID = "pg_current_xact_id_if_assigned()::text::bigint"
# A snapshot's bounds and our own transaction. The snapshot comes as PostgreSQL writes
# it, "xmin:xmax:xip,...", parsed by snapshot_bounds: on every search, cheaper for the server
# than taking xmax and the transactions then in progress (xip) apart in SQL.
BOUNDS = f"pg_current_snapshot()::text, {OWN_TXID}"
SNAPSHOT = f"SELECT {BOUNDS}"
# The sync's one round trip when nothing changed: a first row with the bounds of this
# statement's snapshot (the next sync starts from them; never null), then the log's
# entries the last snapshot could not see and the connection's own. Small columns
# only: planning it costs a fraction of planning a read of the homes.
CHANGES = f"""
    SELECT NULL::bigint, NULL::bigint, {BOUNDS}, NULL::bool
    UNION ALL
    SELECT home_id, pruned_below, NULL, NULL, txid = {OWN_TXID}
    FROM homes_homechange
    WHERE txid >= %(xmax)s OR txid = ANY(%(xip)s::bigint[]) OR txid = {OWN_TXID}
"""


def snapshot_bounds(snapshot: str, own: int | None) -> tuple[int, tuple[int, ...], int | None]:
    """(xmax, xip, own) of a snapshot's text, "xmin:xmax:xip,..." (xip may be empty)."""
    _, xmax, xip = snapshot.split(":")
    return int(xmax), tuple(int(txid) for txid in xip.split(",") if txid), own


# Then, only when some home changed: those homes as they are now (a home gone from the
# table has no row; an inactive one comes back with h.active unset).
CHANGED_HOMES = f"""
    SELECT h.id, h.active, {", ".join(SELECTED)} FROM homes_home h WHERE h.id = ANY(%s)
"""  # noqa: S608
# The contacts of homes the directory does not hold (inactive or gone).
CONTACTS = "SELECT id, intake_phone, contact_name FROM homes_home WHERE id = ANY(%s)"
