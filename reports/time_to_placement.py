"""Time to placement: days from intake to the first placement, for children first placed
in the period, median and 90th percentile by custody state and by urgency."""

from __future__ import annotations

from collections import defaultdict
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
from reports.cellkey import CHILD, parse_ids, protected
from reports.query import ReportQuery, report_query
from reports.sql import DAY, Elapsed, id_list_sql, month_number, percentile_sql
from reports.tables import (
    MONTHS_NOTE,
    PROTECTION_NOTES,
    STATISTIC_NOTE,
    state_label,
    state_order,
    statistic,
    texts,
)
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
NOTES = (*PROTECTION_NOTES, STATISTIC_NOTE)

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
            "survivor_id",
            custody_state=F("survivor__custody_state"),
            urgency=F("survivor__urgency"),
            days=Elapsed("started_at", "survivor__created_at", per=DAY),
            agency=F("survivor__agency_id"),
            month=month_number("started_at"),
        )
        .order_by()
    )


def _count(query: ReportQuery) -> tuple[dict[str, Stats], dict[str, Stats], Stats]:
    """Children placed (protected), median and 90th percentile days: by state, by
    urgency, in all.

    Two queries over the children first placed (the ORM's): the medians of the three
    groupings, and the children of each piece (agency, month, state, urgency) that
    reports.cellkey protects; every count is the sum of its protected pieces. The ORM
    cannot group a grouped subquery and SQLite has no GROUPING SETS, so the outer
    queries are written here, in SQL both databases run (reports.sql)."""
    inner, params = _first_placements(query).query.sql_with_params()
    stats = ", ".join(percentile_sql("f.days", p, model=Placement) for p in (0.5, 0.9))
    ids = id_list_sql("f.survivor_id", model=Placement)
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
        cursor.execute(
            f"""
            WITH f AS ({inner})
            SELECT f.custody_state, f.urgency, {ids} FROM f
            GROUP BY f.agency, f.month, f.custody_state, f.urgency
            """,
            params,
        )
        pieces = cursor.fetchall()
    state_n: dict[str, int] = defaultdict(int)
    urgency_n: dict[str, int] = defaultdict(int)
    for state, urgency, children in pieces:
        n = protected(CHILD, parse_ids(children))
        state_n[state] += n
        urgency_n[urgency] += n
    by_state: dict[str, Stats] = {}
    by_urgency: dict[str, Stats] = {}
    overall: Stats = (sum(state_n.values()), None, None)
    for grouping, key, median, p90 in rows:
        if grouping == 0:
            by_state[key] = (state_n[key], median, p90)
        elif grouping == 1:
            by_urgency[key] = (urgency_n[key], median, p90)
        else:
            overall = (overall[0], median, p90)
    return by_state, by_urgency, overall


def _table(
    name: str, caption: str, header: str, groups: dict[str, Stats], overall: Stats,
    label: Callable[[str], str], order: Callable[[str], str],
) -> ReportTable:  # fmt: skip
    """Children placed (protected) with their median and 90th percentile, per group and
    in all, the rows in `order`; a group whose protected count is 0 is left out."""
    keys = sorted((k for k in groups if groups[k][0]), key=order)

    def cells(stats: Stats) -> tuple[Cell, ...]:
        return (stats[0], *(statistic(v, stats[0]) for v in stats[1:]))

    return ReportTable(
        name=name,
        caption=caption,
        row_header=header,
        rows=(*(label(k) for k in keys), _("All")),
        columns=(_("Children placed"), _("Median days"), _("90th percentile days")),
        cells=(*(cells(groups[k]) for k in keys), cells(overall)),
        unit=_("days"),
    )


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
    states = _table(
        "by_state",
        _("Days from intake to first placement, by custody state"),
        _("Custody state"),
        by_state,
        overall,
        state_label,
        state_order,
    )
    urgency = _table(
        "by_urgency",
        _("Days from intake to first placement, by urgency"),
        _("Urgency"),
        by_urgency,
        overall,
        lambda u: urgencies.get(u, u),
        lambda u: english.get(u, u),
    )
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=(states, urgency),
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
        notes=texts(NOTES),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, time_to_placement)
