"""What blocks children: per matching rule, among searches with no feasible home, the
children it alone kept from a home (a near miss) and the children it blocked at all."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from core.vocab import RULE_LABELS
from engine.types import RULES
from matching.models import RULE_BIT, MatchSearch
from reports.query import ReportQuery, report_query
from reports.sql import BitOr
from reports.suppression import SUPPRESSED_TEXT, suppress_table, suppress_values
from reports.tables import MONTHS_NOTE, SUPPRESSED_NOTE, state_label, state_order, texts
from reports.types import ChartSpec, Report, ReportInfo, ReportTable

NAME = "blocking-rules"
TITLE = gettext_lazy("What blocks children")
DESCRIPTION = gettext_lazy(
    "For each matching rule, the children it alone kept from a home and the children "
    "it blocked at all."
)
METHOD = (
    gettext_lazy(
        "Among searches where no home was feasible. A near miss: a home that failed "
        "this rule and no other; relaxing that one rule would have given the child a "
        "home. A child counts once per rule, and under every rule that blocked them, "
        "so the rules do not add up."
    ),
    gettext_lazy(
        "Searches recorded before these reports began kept which rules excluded homes, "
        "but not which excluded a home alone, except when a single rule excluded every "
        "home that failed: older near misses are undercounted."
    ),
    MONTHS_NOTE,
)


def _count(query: ReportQuery) -> dict[str, tuple[list[int], list[int]]]:
    """Per custody state, for each rule (in RULES order): the children it alone excluded
    a home for, and the children it excluded homes for at all, over all their searches
    with nothing feasible (a child counts once per rule and state).

    One query: the rules per child and state (the ORM's), counted per state around it;
    the ORM cannot group a grouped subquery, so the outer SELECT is written here, in SQL
    both databases run."""
    per_child = (
        MatchSearch.objects.filter(
            query.where(at="at", agency="agency_id", state="state"), feasible_count=0
        )
        .values("survivor_id", "state")
        .annotate(sole=BitOr("sole_rules"), blocked=BitOr("blocked_rules"))
        .order_by()
    )
    inner, params = per_child.query.sql_with_params()
    sums = ", ".join(
        f"SUM(CASE WHEN (c.{bits} & {RULE_BIT[rule]}) <> 0 THEN 1 ELSE 0 END)"
        for bits in ("sole", "blocked")
        for rule in RULES
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.state, {sums} FROM ({inner}) c GROUP BY c.state", params)
        rows = cursor.fetchall()
    n = len(RULES)
    return {
        row[0]: ([int(v) for v in row[1 : 1 + n]], [int(v) for v in row[1 + n :]]) for row in rows
    }


def _by_state(states: list[str], blocked: dict[str, list[int]]) -> ReportTable:
    """Rule x state: each rule's row adds up to its "blocked at all" total (a child has
    one custody state per search), so each row is protected with its total."""
    columns = [state_label(code) for code in states]
    cells, totals = [], []
    for i, rule in enumerate(RULES):
        row = suppress_table(
            [str(RULE_LABELS[rule])], columns, [[blocked[code][i] for code in states]]
        )
        cells.append(tuple(row.cells[0]))
        totals.append(row.row_totals[0] if row.row_totals else None)
    return ReportTable(
        name="rule_by_state",
        caption=_("Children a rule excluded homes for, by custody state"),
        row_header=_("Rule"),
        rows=tuple(str(RULE_LABELS[rule]) for rule in RULES),
        columns=tuple(columns),
        cells=tuple(cells),
        row_totals=tuple(totals),
        has_totals=True,
        unit=_("children"),
        withheld=SUPPRESSED_TEXT,
    )


def blocking_rules(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Per rule, the children it alone kept from a home (a near miss) and the children it
    excluded homes for at all, among searches with no feasible home; and rule x state."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    counts = _count(query)
    states = sorted(counts, key=state_order)
    rule_state = _by_state(states, {code: counts[code][1] for code in states})
    sole_totals = [sum(counts[code][0][i] for code in states) for i in range(len(RULES))]
    by_rule = ReportTable(
        name="by_rule",
        caption=_("Children with no feasible home: what each rule blocked"),
        row_header=_("Rule"),
        rows=rule_state.rows,
        columns=(_("Alone blocked a home (near miss)"), _("Blocked homes at all")),
        cells=tuple(
            zip(suppress_values(list(RULES), sole_totals), rule_state.row_totals or (), strict=True)
        ),
        unit=_("children"),
        withheld=SUPPRESSED_TEXT,
    )
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=(by_rule, rule_state),
        charts=(
            ChartSpec(
                title=by_rule.caption,
                categories=by_rule.rows,
                series=tuple(
                    (column, tuple(row[i] for row in by_rule.cells))
                    for i, column in enumerate(by_rule.columns)
                ),
                unit=_("children"),
                chart_id="chart-blocking-rules",
                withheld=by_rule.withheld,
                description=_("Both columns of the first table, as bars."),
            ),
        ),
        notes=texts((SUPPRESSED_NOTE,)),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, blocking_rules)
