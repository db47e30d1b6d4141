"""Time to placement: days from intake to the first placement, for children first placed
in the period, median and 90th percentile by custody state and by urgency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from core.vocab import Urgency
from placement.models import Placement
from reports.linked import Published, jointly_protected
from reports.query import ReportQuery, report_query
from reports.sql import DAY, Elapsed, percentile_sql
from reports.suppression import SUPPRESSED_TEXT, suppress_table
from reports.tables import MONTHS_NOTE, SUPPRESSED_NOTE, state_label, state_order, statistic, texts
from reports.types import Cell, ChartSpec, Report, ReportInfo, ReportTable

NAME = "time-to-placement"
TITLE = gettext_lazy("Time to placement")
DESCRIPTION = gettext_lazy(
    "Days from intake to first placement: median and 90th percentile, by state and urgency."
)
METHOD = (
    gettext_lazy(
        "Children whose first placement began in the period; days from the intake "
        "record's creation to the first placement's arrival. The median is the middle "
        "child's time; the 90th percentile the time by which nine in ten were placed "
        "(interpolated between the nearest children, as PostgreSQL's percentile_cont)."
    ),
    gettext_lazy(
        "An interim stay at an emergency shelter is not a placement here: a child who "
        "waited in one counts from the transfer to a long-term home."
    ),
    MONTHS_NOTE,
)
NOTES = (
    SUPPRESSED_NOTE,
    gettext_lazy(
        "A median or percentile over fewer than 11 children is not shown, nor one beside a "
        "withheld count."
    ),
)
URGENCY_WITHHELD_NOTE = gettext_lazy(
    "The table by urgency is not published for these filters: with the table by "
    "state it would reveal a withheld count."
)

Stats = tuple[int, float | None, float | None]  # children, median days, 90th percentile


def _first_placements(query: ReportQuery) -> QuerySet[Placement, Any]:
    """Each child first placed in the period: custody state, urgency, days from intake.

    A first placement is one with no earlier placement of the same child (of two begun
    at once, the one recorded first): an anti-join, which PostgreSQL runs faster than
    grouping every placement by child and joining the children to that. Interim stays
    (emergency shelters) do not count: the time runs to the long-term home."""
    earlier = Placement.objects.filter(
        Q(started_at__lt=OuterRef("started_at"))
        | Q(started_at=OuterRef("started_at"), id__lt=OuterRef("id")),
        survivor_id=OuterRef("survivor_id"),
        interim=False,
    )
    return (
        Placement.objects.filter(
            query.where(
                at="started_at", agency="survivor__agency_id", state="survivor__custody_state"
            ),
            ~Exists(earlier),
            interim=False,
        )
        .values(
            custody_state=F("survivor__custody_state"),
            urgency=F("survivor__urgency"),
            days=Elapsed("started_at", "survivor__created_at", per=DAY),
        )
        .order_by()
    )


def _count(query: ReportQuery) -> tuple[dict[str, Stats], dict[str, Stats], Stats]:
    """Children placed, median and 90th percentile days: by state, by urgency, in all.

    One query: the children first placed (the ORM's), then the three groupings over it.
    The ORM cannot group a grouped subquery and SQLite has no GROUPING SETS, so the
    outer query is written here: a WITH both databases compute once, and percentile_cont
    as each spells it (reports.sql)."""
    inner, params = _first_placements(query).query.sql_with_params()
    stats = ", ".join(
        ["COUNT(*)", *(percentile_sql("f.days", p, model=Placement) for p in (0.5, 0.9))]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH f AS ({inner})
            SELECT 0, f.custody_state, {stats} FROM f GROUP BY f.custody_state
            UNION ALL SELECT 1, f.urgency, {stats} FROM f GROUP BY f.urgency
            UNION ALL SELECT 2, NULL, {stats} FROM f
            """,
            params,
        )
        rows = cursor.fetchall()
    by_state: dict[str, Stats] = {}
    by_urgency: dict[str, Stats] = {}
    overall: Stats = (0, None, None)
    for grouping, key, n, median, p90 in rows:
        if grouping == 0:
            by_state[key] = (n, median, p90)
        elif grouping == 1:
            by_urgency[key] = (n, median, p90)
        else:
            overall = (n, median, p90)
    return by_state, by_urgency, overall


def _table(
    name: str, caption: str, header: str, groups: dict[str, Stats], overall: Stats,
    label: Callable[[str], str], order: Callable[[str], str],
) -> tuple[ReportTable, Published]:  # fmt: skip
    """Children placed with their median and 90th percentile, per group and in all; the
    rows in `order` (language-independent: suppression works by position)."""
    keys = sorted(groups, key=order)
    n_counts = [[groups[k][0]] for k in keys]
    ns = suppress_table([label(k) for k in keys], [_("Children placed")], n_counts)

    # A median or percentile is shown only beside its count: shown beside a withheld
    # one it would say that count is 11 or more, which with the totals can pin the
    # small count the cell was withheld to protect.
    def cells(n: int | None, stats: Stats) -> tuple[Cell, ...]:
        return (n, *(statistic(v, stats[0], shown=n is not None) for v in stats[1:]))

    rows = [cells(ns.cells[i][0], groups[k]) for i, k in enumerate(keys)]
    table = ReportTable(
        name=name,
        caption=caption,
        row_header=header,
        rows=(*(label(k) for k in keys), _("All")),
        columns=(_("Children placed"), _("Median days"), _("90th percentile days")),
        cells=(*rows, cells(ns.grand_total, overall)),
        unit=_("days"),
        withheld=SUPPRESSED_TEXT,
    )
    return table, Published(n_counts, ns)


def time_to_placement(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Days from intake to the first placement, for children first placed in the period:
    median and 90th percentile by custody state and by urgency."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    by_state, by_urgency, overall = _count(query)
    urgencies = {value: str(label) for value, label in Urgency.choices}
    with translation.override("en"):
        english = {value: str(label) for value, label in Urgency.choices}
    states, state_n = _table(
        "by_state",
        _("Days from intake to first placement, by custody state"),
        _("Custody state"),
        by_state,
        overall,
        state_label,
        state_order,
    )
    urgency, urgency_n = _table(
        "by_urgency",
        _("Days from intake to first placement, by urgency"),
        _("Urgency"),
        by_urgency,
        overall,
        lambda u: urgencies.get(u, u),
        lambda u: english.get(u, u),
    )
    # Both tables publish how many children were placed in all: together they must still
    # hide every withheld count.
    both = jointly_protected([state_n, urgency_n], [((0, "grand", 0), (1, "grand", 0))])
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=(states, urgency) if both else (states,),
        charts=(
            ChartSpec(
                title=states.caption,
                categories=states.rows,
                series=((_("Median days"), tuple(row[1] for row in states.cells)),),
                unit=_("days"),
                chart_id="chart-time-to-placement",
                withheld=states.withheld,
                description=_("The Median days column of the first table, as bars."),
            ),
        ),
        notes=texts(NOTES if both else (*NOTES, URGENCY_WITHHELD_NOTE)),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, time_to_placement)
