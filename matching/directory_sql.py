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
SELECTED = [
    COMPUTED[name] if name in COMPUTED
    else f"h.{name}::text" if name in TAG_FIELDS
    else f"h.{name}"
    for name in BATCH_FIELDS
]  # fmt: skip
FULL_LOAD = f"SELECT {', '.join(SELECTED)} FROM homes_home h WHERE h.active"  # noqa: S608

# A full load on PostgreSQL reads the numbers in PostgreSQL's binary COPY format, where
# every row of fixed-width, never-null fields has the same length: numpy reads 250,000
# of them as one array, with no Python object per value. The words (names, ZIPs, states,
# tag sets) come from a second, text query; both are ordered by id and joined on it.


def binary_column(name: str) -> tuple[str, str]:
    """(SQL, big-endian numpy type) of one field of the binary full load, never null."""
    if name in LEVELS:
        # The level's rank in the rules' order; -1 for a value the rules do not know.
        levels = ", ".join(f"'{level}'" for level in LEVELS[name])
        return f"COALESCE(array_position(ARRAY[{levels}], h.{name}::text) - 1, -1)::int8", ">i8"
    if name in FLOATS:
        return f"COALESCE(h.{name}::float8, 'NaN')", ">f8"
    if name in COMPUTED:
        return f"({COMPUTED[name]})::int8", ">i8"
    if name in BOOLEANS:
        return f"h.{name}", "?"
    return f"h.{name}::int8", ">i8"


BINARY = [binary_column(name) for name in NUMBERS]
BINARY_LOAD = (
    f"COPY (SELECT {', '.join(sql for sql, _ in BINARY)} FROM homes_home h "  # noqa: S608
    "WHERE h.active ORDER BY h.id) TO STDOUT WITH (FORMAT binary)"
)
# Each row: a 16-bit field count, then per field a 32-bit length and the value.
BINARY_ROW = np.dtype(
    [("fields", ">i2")]
    + [
        item
        for name, (_, kind) in zip(NUMBERS, BINARY, strict=True)
        for item in ((f"{name}_length", ">i4"), (name, kind))
    ]
)
BINARY_HEADER = 19  # signature (11), flags (4), header extension length (4, zero)
TEXT_LOAD = (
    f"SELECT h.id, {', '.join(f'h.{name}' for name in WORDS)}, "  # noqa: S608
    f"{', '.join(f'h.{name}::text' for name in TAG_FIELDS)} "
    "FROM homes_home h WHERE h.active ORDER BY h.id"
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
CONTACTS = "SELECT id, intake_phone, contact_name FROM homes_home WHERE id = ANY(%s)"
