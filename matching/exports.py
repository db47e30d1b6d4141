"""Search results as files people download and open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from matching.engine import Miss

EXCLUDED_COLUMNS = ["home_id", "home", "state", "distance_miles", "failed_rules", "reasons"]


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or carriage
    return) would be run as a formula, so it gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Line:
    """csv.writer writes into this; each row is handed on at once."""

    def write(self, text: str) -> str:
        return text


def excluded_csv(misses: Iterable[Miss]) -> Iterator[str]:
    """The excluded list as CSV text, a row at a time (a streamed download). It starts
    with a byte-order mark so a spreadsheet reads it as UTF-8 ("13–18", accents)."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(EXCLUDED_COLUMNS)
    for miss in misses:
        yield writer.writerow(
            [
                miss.home.id,
                spreadsheet_safe(miss.home.name),
                miss.home.state,
                "" if miss.distance_miles is None else miss.distance_miles,
                " ".join(f.rule for f in miss.failed),
                spreadsheet_safe("; ".join(f.reason for f in miss.failed)),
            ]
        )
