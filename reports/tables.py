"""The pieces every report lays its numbers out with: labels, protected tables and
statistics, and the notes that explain them.

Every count reaching here is already a sum of protected pieces (reports.cellkey); a
table's totals are the sums of its cells, so a table adds up as printed and publishes
nothing its cells do not."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext, gettext_lazy

from core.vocab import US_STATES
from reports.cellkey import parse_ids, protected
from reports.types import ReportTable

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The smallest count a median, a percentile or a share is shown beside.
STATISTIC_FROM = 11

# Lazy: read in the language of the page, API answer or CSV that shows them. The page
# says the same in its own words (templates/reports/report.html, "How the numbers are
# protected"); the API and the CSV's readers get these.
PROTECTED_NOTE = gettext_lazy(
    "Every count is protected by the cell-key method: the records are counted in pieces "
    "(one month, agency, custody state and category each) and each piece is moved by up "
    "to 2 (a piece of one record by up to 1), the same way every time the same records "
    "are counted. Every number shown, totals included, is a sum of those pieces, so "
    "comparing periods, states or reports cannot give any count exactly: each piece "
    "could be at least three different numbers. Zero is shown as zero."
)
ACCURACY_NOTE = gettext_lazy(
    "The moves average out: a number made of k pieces is off by at most 2k and usually "
    "by less than the square root of 2k (a year of one state and category, twelve "
    "pieces: usually within 5)."
)
STATISTIC_NOTE = gettext_lazy(
    "A median, percentile or share is shown only beside a count of 11 or more."
)
MONTHS_NOTE = gettext_lazy(
    "Periods are whole months: the start is rounded down to the 1st and the end up to the "
    "month's last day."
)
PROTECTION_NOTES = (PROTECTED_NOTE, ACCURACY_NOTE)


def state_label(code: str) -> str:
    return US_STATES.get(code, code or gettext("Unknown"))


def state_order(code: str) -> str:
    """Where a state's row goes: by its English name, in every language, so a table reads
    in the same order whatever the language."""
    return US_STATES.get(code, code or "Unknown")


def texts(items: Iterable[StrOrPromise]) -> tuple[str, ...]:
    """Lazy notes read now, in the language of the request that shows the report."""
    return tuple(str(item) for item in items)


def statistic(value: float | None, n: int | None) -> float | None:
    """A median, percentile or share, rounded; None (not shown) beside a protected count
    below 11. The count decides from what is published, so showing it says nothing new."""
    if value is None or n is None or n < STATISTIC_FROM:
        return None
    return round(value, 1)


class Pieces:
    """Protected counts summed by any key: `add(key, kind, ids)` protects one piece (the
    ids a report's query listed for it) and adds it to `key`'s count."""

    def __init__(self) -> None:
        self.counts: dict[Any, int] = defaultdict(int)

    def add(self, key: object, kind: str, ids: str | Iterable[int] | None) -> int:
        records = parse_ids(ids) if ids is None or isinstance(ids, str) else list(ids)
        n = protected(kind, records) if records else 0
        self.counts[key] += n
        return n

    def __getitem__(self, key: object) -> int:
        return self.counts.get(key, 0)


def count_table(
    name: str, caption: str, row_header: str, rows: Sequence[str], columns: Sequence[str],
    counts: Sequence[Sequence[int]], *, unit: str,
) -> ReportTable:  # fmt: skip
    """A table of protected counts with its row, column and grand totals (their sums).
    A row whose protected counts are all 0 is left out, as a row with no records is."""
    kept = [(label, list(row)) for label, row in zip(rows, counts, strict=True) if any(row)]
    cells = tuple(tuple(row) for _, row in kept)
    return ReportTable(
        name=name,
        caption=caption,
        row_header=row_header,
        rows=tuple(label for label, _ in kept),
        columns=tuple(columns),
        cells=cells,
        row_totals=tuple(sum(row) for row in cells),
        column_totals=tuple(sum(row[j] for row in cells) for j in range(len(columns))),
        grand_total=sum(map(sum, cells)),
        has_totals=True,
        unit=unit,
    )
