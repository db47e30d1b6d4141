"""The reports' disclosure method, written again from its definition (README, "Reports:
the cell-key method") so that the tests check the reports against the definition rather
than against the code under test:

- a record's key: HMAC-SHA-256 of "<kind>:<id>" under REPORT_CELL_KEY (unset: the
  HMAC-SHA-256 of "harbor.reports.cell-key" under SECRET_KEY), its first four bytes as
  a big-endian number;
- a piece's key: the sum of its records' keys modulo 2**32;
- a piece of n records is published as n, moved by the key: an empty piece by nothing,
  one record by (-1, 0, +1)[key % 3], more by (-2, -1, 0, +1, +2)[key % 5], never below 0;
- every number shown is the sum of the pieces (one per agency, month, state and category)
  it covers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings


def _secret() -> bytes:
    if settings.REPORT_CELL_KEY:
        return settings.REPORT_CELL_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"harbor.reports.cell-key", "sha256").digest()


def piece(kind: str, records: Iterable[object]) -> int:
    """One piece as published: `records` are model instances or ids."""
    ids = [getattr(r, "pk", r) for r in records]
    if not ids:
        return 0
    secret = _secret()
    key = 0
    for record_id in ids:
        digest = hmac.new(secret, f"{kind}:{record_id}".encode(), hashlib.sha256).digest()
        key = (key + int.from_bytes(digest[:4], "big")) % 2**32
    moves = (-1, 0, 1) if len(ids) == 1 else (-2, -1, 0, 1, 2)
    return max(0, len(ids) + moves[key % len(moves)])


def pieces(kind: str, *groups: Iterable[object]) -> int:
    """A number made of several pieces: the sum of each published."""
    return sum(piece(kind, group) for group in groups)


def possible(published: int) -> set[int]:
    """Every count a piece published as `published` could hold."""
    return {
        n for n in range(published + 3) if any(piece_outcome(n, k) == published for k in range(15))
    }


def piece_outcome(n: int, key: int) -> int:
    if n == 0:
        return 0
    moves = (-1, 0, 1) if n == 1 else (-2, -1, 0, 1, 2)
    return max(0, n + moves[key % len(moves)])
