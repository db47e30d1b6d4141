"""Unmet need: children with no feasible home, by state, age band, gender and need.

Each child counts once a month, as of their last search with no feasible home that month."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from django.db import connection
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from core.vocab import NEED_LABELS, Gender
from matching.models import NEED_BIT, NEEDS, AgeBand, MatchSearch
from reports.cellkey import CHILD, SEARCH
from reports.query import ReportQuery, report_query
from reports.sql import IdList, id_list_sql, month_number
from reports.tables import (
    MONTHS_NOTE,
    PROTECTION_NOTES,
    Pieces,
    count_table,
    state_label,
    state_order,
    texts,
)
from reports.types import ChartSpec, Report, ReportInfo, ReportTable

NAME = "unmet-need"
TITLE = gettext_lazy("Unmet need")
DESCRIPTION = gettext_lazy(
    "Children and searches with no feasible home, by state, age band, gender and need."
)
METHOD = (
    gettext_lazy(
        "A search has no feasible home when every home in the directory failed at least "
        "one rule. Each child counts once a month, in the state, age band and gender of "
        "their last such search that month; Searches counts all of them."
    ),
    gettext_lazy("A child can count under several needs, so the needs do not add up to the total."),
    MONTHS_NOTE,
)


def _count(query: ReportQuery) -> tuple[Pieces, Pieces, Pieces]:
    """Children (protected) per (state, age band, gender); searches per state; children
    per need. Each child counts once per month, as of their last search with nothing
    feasible that month.

    One query: each child's last such search per month (the ORM's, with the month's
    searches listed), then the children of each piece (agency, month, state, age band,
    gender) listed for reports.cellkey, with their searches and, per need, those who
    have it. The ORM cannot group over a grouped subquery, so the outer SELECT is written
    here; it is plain SQL both databases run, around the ORM's query."""
    # A child's piece is the state of her last search of the month: the state asked for
    # picks pieces (outside), so that a child counts in the same piece whatever the filter.
    every_state = replace(query, filters=replace(query.filters, state=""))
    last = (
        MatchSearch.objects.filter(
            every_state.where(at="at", agency="agency_id", state="state"), feasible_count=0
        )
        .values("survivor_id", month=month_number("at"))
        .annotate(last_id=Max("id"), search_ids=IdList("id"))
        .values("last_id", "month", "search_ids")
        .order_by()
    )
    inner, params = last.query.sql_with_params()
    children = id_list_sql("s.survivor_id", model=MatchSearch)
    needs = ", ".join(
        id_list_sql(
            f"CASE WHEN (s.need_flags & {NEED_BIT[need]}) <> 0 THEN s.survivor_id END",
            model=MatchSearch,
        )
        for need in NEEDS
    )
    searches = id_list_sql("g.search_ids", model=MatchSearch)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.state, s.age_band, s.gender, {children}, {searches}, {needs}
            FROM ({inner}) g JOIN {MatchSearch._meta.db_table} s ON s.id = g.last_id
            {"WHERE s.state = %s" if query.filters.state else ""}
            GROUP BY s.agency_id, g.month, s.state, s.age_band, s.gender
            """,
            (*params, *((query.filters.state,) if query.filters.state else ())),
        )
        rows = cursor.fetchall()
    by_cell, by_search, by_need = Pieces(), Pieces(), Pieces()
    for state, band, gender, child_ids, search_ids, *per_need in rows:
        by_cell.add((state, band, gender), CHILD, child_ids)
        by_search.add(state, SEARCH, search_ids)
        for need, ids in zip(NEEDS, per_need, strict=True):
            by_need.add(need, CHILD, ids)
    return by_cell, by_search, by_need


def _state_table(
    by: str, caption: str, states: list[str], columns: list[tuple[str, str]],
    counts: Callable[[str, str], int],
) -> ReportTable:  # fmt: skip
    return count_table(
        f"state_by_{by}",
        caption,
        _("Custody state"),
        [state_label(code) for code in states],
        [label for _value, label in columns],
        [[counts(code, value) for value, _label in columns] for code in states],
        unit=_("children"),
    )


def unmet_need(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Children with no feasible home: by state, state x age band, state x gender, need."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    by_cell, by_search, by_need = _count(query)
    states = sorted({state for state, _band, _gender in by_cell.counts}, key=state_order)
    bands = [(str(band.value), str(band.label)) for band in AgeBand]
    sexes = [(str(g.value), str(g.label)) for g in Gender]
    ages = _state_table(
        "age_band", _("Children with no feasible home, by custody state and age band"),
        states, bands, lambda code, band: sum(by_cell[(code, band, g)] for g, _l in sexes),
    )  # fmt: skip
    genders = _state_table(
        "gender", _("Children with no feasible home, by custody state and gender"),
        states, sexes, lambda code, gender: sum(by_cell[(code, b, gender)] for b, _l in bands),
    )  # fmt: skip
    by_state = ReportTable(
        name="by_state",
        caption=_("Children and searches with no feasible home, by custody state"),
        row_header=_("Custody state"),
        rows=ages.rows,
        columns=(_("Children"), _("Searches")),
        cells=tuple(
            (children, by_search[code])
            for code, children in zip(
                [code for code in states if state_label(code) in ages.rows],
                ages.row_totals or (),
                strict=True,
            )
        ),
        unit=_("children"),
    )
    needs = ReportTable(
        name="by_need",
        caption=_("Children with no feasible home, by need (a child can count under several)"),
        row_header=_("Need"),
        rows=tuple(str(NEED_LABELS[need]) for need in NEEDS),
        columns=(_("Children"),),
        cells=tuple((by_need[need],) for need in NEEDS),
        unit=_("children"),
    )
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=(by_state, ages, genders, needs),
        charts=(
            ChartSpec(
                title=by_state.caption,
                categories=by_state.rows,
                series=((_("Children"), tuple(row[0] for row in by_state.cells)),),
                unit=_("children"),
                chart_id="chart-unmet-need",
                withheld=by_state.withheld,
                description=_("The Children column of the first table, as bars."),
            ),
        ),
        notes=texts(PROTECTION_NOTES),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, unmet_need)
