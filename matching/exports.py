"""Search results as files people download and open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from core.spreadsheet import csv_lines
from engine import Miss

EXCLUDED_COLUMNS = ["home_id", "home", "state", "distance_miles", "failed_rules", "reasons"]


def excluded_csv(misses: Iterable[Miss]) -> Iterator[str]:
    """The excluded list as CSV text, a row at a time (a streamed download), every cell
    escaped against formulas (core.spreadsheet)."""
    return csv_lines(
        EXCLUDED_COLUMNS,
        (
            [
                miss.home.id,
                miss.home.name,
                miss.home.state,
                "" if miss.distance_miles is None else miss.distance_miles,
                " ".join(f.rule for f in miss.failed),
                "; ".join(f.reason for f in miss.failed),
            ]
            for miss in misses
        ),
    )
