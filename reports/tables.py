"""The pieces every report lays its numbers out with: labels, suppressed tables and
statistics, and the notes that explain them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from core.vocab import US_STATES
from reports.suppression import suppress_statistic, suppress_table
from reports.types import ReportTable

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Lazy: read in the language of the page, API answer or CSV that shows them.
SUPPRESSED_NOTE = gettext_lazy(
    "Any count from 1 to 10 is withheld. In a table with totals, another count (even a "
    "large one) may be withheld too, so that the totals cannot reveal a small one; there "
    "every withheld count reads “suppressed”. Elsewhere it reads “fewer than 11”."
)
MONTHS_NOTE = gettext_lazy(
    "Periods are whole months: the start is rounded down to the 1st and the end up to the "
    "month's last day, so that comparing two overlapping periods reveals far less."
)


# reports.suppression is pure Python (no Django): its words for a withheld number stay
# English there, markers the tables carry and the CSV writes as they are; a page or a
# chart shows them through gettext, so makemessages finds them here.
WITHHELD_WORDS = (gettext_noop("fewer than 11"), gettext_noop("suppressed"))


def state_label(code: str) -> str:
    return US_STATES.get(code, code or gettext("Unknown"))


def state_order(code: str) -> str:
    """Where a state's row goes: by its English name, in every language. Suppression picks
    the cells it withholds by position, so a table read in Spanish must hold its rows in
    the same order as in English: two patterns of the same counts would reveal more."""
    return US_STATES.get(code, code or "Unknown")


def texts(items: Iterable[StrOrPromise]) -> tuple[str, ...]:
    """Lazy notes read now, in the language of the request that shows the report."""
    return tuple(str(item) for item in items)


def statistic(value: float | None, n: int, *, shown: bool) -> float | None:
    """A median or percentile over n children or referrals, rounded; None (withheld) when
    n is below 11 or when the count it stands beside is itself withheld."""
    value = suppress_statistic(value, n) if shown else None
    return None if value is None else round(value, 1)


def additive_table(
    name: str, caption: str, row_header: str, rows: Sequence[str], columns: Sequence[str],
    counts: Sequence[Sequence[int]], *, unit: str = "children",
) -> ReportTable:  # fmt: skip
    """An additive table (rows and columns sum to published totals), suppressed."""
    return ReportTable.from_suppressed(
        name=name,
        caption=caption,
        row_header=row_header,
        table=suppress_table(list(rows), list(columns), [list(row) for row in counts]),
        unit=unit,
    )
