"""Unmet need: children with no feasible home, by state, age band, gender and need.

Each child counts once, as of their last search with no feasible home in the period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from core.vocab import NEED_LABELS, Gender
from matching.models import NEED_BIT, NEEDS, AgeBand, MatchSearch
from reports.linked import Published, jointly_protected
from reports.query import ReportQuery, report_query
from reports.suppression import SUPPRESSED_TEXT, SuppressedTable, suppress_table, suppress_values
from reports.tables import MONTHS_NOTE, SUPPRESSED_NOTE, state_label, state_order, texts
from reports.types import ChartSpec, Report, ReportInfo, ReportTable

NAME = "unmet-need"
TITLE = gettext_lazy("Unmet need")
DESCRIPTION = gettext_lazy(
    "Children and searches with no feasible home, by state, age band, gender and need."
)
METHOD = (
    gettext_lazy(
        "A search has no feasible home when every home in the directory failed at least "
        "one rule. Each child counts once, in the state, age band and gender of their "
        "last such search in the period; Searches counts all of them."
    ),
    gettext_lazy("A child can count under several needs, so the needs do not add up to the total."),
    MONTHS_NOTE,
)
GENDER_WITHHELD_NOTE = gettext_lazy(
    "The table by gender is not published for these filters: with the table by "
    "age band it would reveal a withheld count."
)


@dataclass
class _Counts:
    """Children per state by age band and by gender, searches per state, children per need."""

    by_age: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    by_gender: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    searches: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    needs: list[int] = field(default_factory=lambda: [0] * len(NEEDS))


def _count(query: ReportQuery) -> _Counts:
    """One query: each child's last search with nothing feasible, with how many there were,
    grouped by that search's state, age band and gender.

    The ORM cannot group over a grouped subquery, so the outer SELECT is written here;
    it is plain SQL both databases run, around the ORM's query for the conditions."""
    last = (
        MatchSearch.objects.filter(
            query.where(at="at", agency="agency_id", state="state"), feasible_count=0
        )
        .values("survivor_id")
        .annotate(last_id=Max("id"), searches=Count("id"))
        .values("last_id", "searches")
        .order_by()
    )
    inner, params = last.query.sql_with_params()
    needs = ", ".join(
        f"SUM(CASE WHEN (s.need_flags & {NEED_BIT[need]}) <> 0 THEN 1 ELSE 0 END)" for need in NEEDS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.state, s.age_band, s.gender, COUNT(*), SUM(g.searches), {needs}
            FROM ({inner}) g JOIN {MatchSearch._meta.db_table} s ON s.id = g.last_id
            GROUP BY s.state, s.age_band, s.gender
            """,
            params,
        )
        rows = cursor.fetchall()
    counts = _Counts()
    for state, band, gender, children, searches, *per_need in rows:
        counts.by_age[state][band] = counts.by_age[state].get(band, 0) + children
        counts.by_gender[state][gender] = counts.by_gender[state].get(gender, 0) + children
        counts.searches[state] += int(searches)
        counts.needs = [a + int(b) for a, b in zip(counts.needs, per_need, strict=True)]
    return counts


def _by_state(states: list[str], ages: ReportTable, searches: dict[str, int]) -> ReportTable:
    """Children and searches per state; the children as the table by age band shows them."""
    children_by_state = ages.row_totals or ()
    return ReportTable(
        name="by_state",
        caption=_("Children and searches with no feasible home, by custody state"),
        row_header=_("Custody state"),
        rows=tuple(state_label(code) for code in states),
        columns=(_("Children"), _("Searches")),
        cells=tuple(
            (children, searches[code] if children is not None else None)
            for code, children in zip(states, children_by_state, strict=True)
        ),
        unit=_("children"),
        withheld=SUPPRESSED_TEXT,
    )


def _by_age_and_gender(
    states: list[str], counts: _Counts
) -> tuple[ReportTable, ReportTable | None]:
    """Children per state by age band, and by gender when the two tables together still
    hide every withheld count (both publish the children per state): else None."""
    labels = [state_label(code) for code in states]
    bands, genders = list(AgeBand), list(Gender)
    age_counts = [[counts.by_age[code].get(band, 0) for band in bands] for code in states]
    gender_counts = [[counts.by_gender[code].get(g, 0) for g in genders] for code in states]
    ages = suppress_table(labels, [str(band.label) for band in bands], age_counts)
    by_gender = suppress_table(labels, [str(g.label) for g in genders], gender_counts)
    links = [((0, "row", i), (1, "row", i)) for i in range(len(states))]
    protected = jointly_protected(
        [Published(age_counts, ages), Published(gender_counts, by_gender)],
        [*links, ((0, "grand", 0), (1, "grand", 0))],
    )
    by_age = _table(
        "age_band", _("Children with no feasible home, by custody state and age band"), ages
    )
    if not protected:
        return by_age, None
    return by_age, _table(
        "gender", _("Children with no feasible home, by custody state and gender"), by_gender
    )


def _table(by: str, caption: str, table: SuppressedTable) -> ReportTable:
    return ReportTable.from_suppressed(
        name=f"state_by_{by}",
        caption=caption,
        row_header=_("Custody state"),
        table=table,
        unit=_("children"),
    )


def _by_need(needs: list[int]) -> ReportTable:
    return ReportTable(
        name="by_need",
        caption=_("Children with no feasible home, by need (a child can count under several)"),
        row_header=_("Need"),
        rows=tuple(str(NEED_LABELS[need]) for need in NEEDS),
        columns=(_("Children"),),
        cells=tuple((v,) for v in suppress_values(list(NEEDS), needs)),
        unit=_("children"),
    )


def unmet_need(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Children with no feasible home: by state, state x age band, state x gender, need."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    counts = _count(query)
    states = sorted(counts.by_age, key=state_order)
    ages, genders = _by_age_and_gender(states, counts)
    by_state = _by_state(states, ages, counts.searches)
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=(by_state, ages, *((genders,) if genders else ()), _by_need(counts.needs)),
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
        notes=texts((SUPPRESSED_NOTE, *(() if genders else (GENDER_WITHHELD_NOTE,)))),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, unmet_need)
