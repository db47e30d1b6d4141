"""The cell-key method: every count a report publishes is a sum of protected pieces.

Why not suppression. Withholding each table's counts below 11 protects one table; an
attacker who asks for January-March and January-February, or for every state and then
for all but one, subtracts and gets the withheld count back. Any method that publishes
each table on its own fails the same way: noise drawn afresh per table is averaged away,
and bounded noise drawn per published cell is pinned by intersecting the many
differences (month m = (a..m) - (a..m-1) for every start a) that nested periods give.

What is published instead. The records a report counts are cut into *pieces*: one per
agency, calendar month, custody state and table category (a home, an outcome, an age
band and gender, a rule...), the finest cells any filter can ask for. Each piece's
count is nudged once, by the cell-key method:

- every record (a child, a referral, a follow-up, a duty...) has a permanent key, the
  HMAC-SHA-256 of its kind and id under `settings.REPORT_CELL_KEY` (`record_key`);
- a piece's key is the sum of its records' keys modulo 2**32 (`piece_key`), so the same
  records always make the same key, whichever report, table or filter counts them;
- its nudge is read from a fixed table (`NUDGES`) by the count and the key: 0 for an
  empty piece (zero is published as zero), -1, 0 or +1 for a piece of one record, and
  -2 to +2 for any larger one, each equally likely, never below zero (`protected`).

Every number a page, the API, a chart or the CSV shows is then the sum of the protected
pieces it covers: a table's cells, its totals, a whole year or one month, one state or
all of them. So a difference of two reports is exactly the difference of their protected
pieces, itself a sum of protected pieces: however many periods, states and reports an
attacker puts together, they learn the protected pieces and nothing more, and each
piece alone leaves at least three counts possible (`possible_counts`): a published 1 can
be 1, 2 or 3. No count from 1 to 10 is ever pinned; tests/reports/test_differencing.py
plays that attacker.

What it costs. The nudges average zero (the table is symmetric, and a one-record piece
is nudged by at most one so that it never goes below zero), so totals carry no bias: a
number made of k non-empty pieces is off by at most 2k and typically (one standard
deviation) by sqrt(2k): a state's year of one category, twelve pieces, typically within
5; and because totals are sums of the cells shown, every table adds up as printed.

The key must stay the same for the life of the data: a new key nudges every piece
afresh, a second independent look at each count. `settings.REPORT_CELL_KEY` (unset:
derived from SECRET_KEY) is meant to be set once in production and kept.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

MODULUS = 2**32
# The nudge of a piece of `count` records: NUDGES[min(count, 2)][key % len(...)].
NUDGES: dict[int, tuple[int, ...]] = {
    0: (0,),
    1: (-1, 0, 1),
    2: (-2, -1, 0, 1, 2),
}
SPREAD = 2  # the largest nudge of any piece

# The kinds of record, each keyed apart: the same child is the same record in every report.
CHILD = "child"
SEARCH = "search"
REFERRAL = "referral"
FOLLOW_UP = "follow-up"
DUTY = "duty"
MISSING = "missing-episode"
RECOMMENDATION = "recommendation"


def _secret() -> bytes:
    configured = getattr(settings, "REPORT_CELL_KEY", "") or ""
    if configured:
        return configured.encode()
    secret_key = str(settings.SECRET_KEY).encode()
    return hmac.new(secret_key, b"harbor.reports.cell-key", "sha256").digest()


@lru_cache(maxsize=200_000)
def _record_key(secret: bytes, kind: str, record_id: int) -> int:
    digest = hmac.new(secret, f"{kind}:{record_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def record_key(kind: str, record_id: int) -> int:
    """A record's permanent key in [0, 2**32): HMAC-SHA-256 of "kind:id", first 4 bytes."""
    return _record_key(_secret(), kind, int(record_id))


def piece_key(kind: str, record_ids: Iterable[int]) -> int:
    """The sum of the records' keys modulo 2**32."""
    secret = _secret()
    return sum(_record_key(secret, kind, int(i)) for i in record_ids) % MODULUS


def nudge(count: int, key: int) -> int:
    row = NUDGES[min(count, 2)]
    return row[key % len(row)]


def protected(kind: str, record_ids: Iterable[int]) -> int:
    """The published count of one piece: its records counted, then nudged by its key."""
    ids = list(record_ids)
    return max(0, len(ids) + nudge(len(ids), piece_key(kind, ids)))


def parse_ids(text: str | None) -> list[int]:
    """The ids a report's query lists for a piece ("12,40,7"; None when there are none)."""
    if not text:
        return []
    return [int(part) for part in str(text).split(",") if part]


def possible_counts(published: int) -> tuple[int, ...]:
    """Every true count that could be published as `published` (what an attacker who knows
    NUDGES and sees one piece can say): never a single count from 1 upwards."""
    return tuple(
        n
        for n in range(max(0, published - SPREAD), published + SPREAD + 1)
        if any(max(0, n + move) == published for move in NUDGES[min(n, 2)])
    )
