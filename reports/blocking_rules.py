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
from reports.cellkey import CHILD
from reports.query import ReportQuery, report_query
from reports.sql import BitOr, id_list_sql, month_number
from reports.tables import MONTHS_NOTE, PROTECTION_NOTES, Pieces, state_label, state_order, texts
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
        "home. A child counts once per rule and month, and under every rule that "
        "blocked them, so the rules do not add up."
    ),
    gettext_lazy(
        "Searches recorded before these reports began kept which rules excluded homes, "
        "but not which excluded a home alone, except when a single rule excluded every "
        "home that failed: older near misses are undercounted."
    ),
    MONTHS_NOTE,
)


def _count(query: ReportQuery) -> tuple[Pieces, Pieces]:
    """Per (rule, custody state), protected: the children the rule alone excluded a home
    for, and the children it excluded homes for at all, over their searches with nothing
    feasible (a child counts once per rule, state and month).

    One query: the rules per child, state and month (the ORM's), then per piece (agency,
    month, state) the children each rule blocked, listed for reports.cellkey. The ORM
    cannot group a grouped subquery, so the outer SELECT is written here, in SQL both
    databases run."""
    per_child = (
        MatchSearch.objects.filter(
            query.where(at="at", agency="agency_id", state="state"), feasible_count=0
        )
        .values("survivor_id", "state", "agency_id", month=month_number("at"))
        .annotate(sole=BitOr("sole_rules"), blocked=BitOr("blocked_rules"))
        .order_by()
    )
    inner, params = per_child.query.sql_with_params()
    lists = ", ".join(
        id_list_sql(
            f"CASE WHEN (c.{bits} & {RULE_BIT[rule]}) <> 0 THEN c.survivor_id END",
            model=MatchSearch,
        )
        for bits in ("sole", "blocked")
        for rule in RULES
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.state, {lists} FROM ({inner}) c GROUP BY c.agency_id, c.month, c.state",
            params,
        )
        rows = cursor.fetchall()
    sole, blocked = Pieces(), Pieces()
    n = len(RULES)
    for state, *ids in rows:
        for i, rule in enumerate(RULES):
            sole.add((rule, state), CHILD, ids[i])
            blocked.add((rule, state), CHILD, ids[n + i])
    return sole, blocked


def blocking_rules(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Per rule, the children it alone kept from a home (a near miss) and the children it
    excluded homes for at all, among searches with no feasible home; and rule x state."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    sole, blocked = _count(query)
    # A state is a column when a published count says so: one whose pieces all read 0
    # would tell that some child was counted there after all.
    counted = [*blocked.counts.items(), *sole.counts.items()]
    states = sorted({state for (_rule, state), n in counted if n}, key=state_order)
    per_state = [[blocked[(rule, code)] for code in states] for rule in RULES]
    rule_state = ReportTable(
        name="rule_by_state",
        caption=_("Children a rule excluded homes for, by custody state"),
        row_header=_("Rule"),
        rows=tuple(str(RULE_LABELS[rule]) for rule in RULES),
        columns=tuple(state_label(code) for code in states),
        cells=tuple(tuple(row) for row in per_state),
        row_totals=tuple(sum(row) for row in per_state),
        has_totals=True,
        unit=_("children"),
    )
    by_rule = ReportTable(
        name="by_rule",
        caption=_("Children with no feasible home: what each rule blocked"),
        row_header=_("Rule"),
        rows=rule_state.rows,
        columns=(_("Alone blocked a home (near miss)"), _("Blocked homes at all")),
        cells=tuple(
            (sum(sole[(rule, code)] for code in states), sum(row))
            for rule, row in zip(RULES, per_state, strict=True)
        ),
        unit=_("children"),
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
        notes=texts(PROTECTION_NOTES),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, blocking_rules)
