"""Placement outcomes: follow-ups due in the period, at 30 and 90 days, by home type and
outcome; a placement that ended before its day counts through its discharge."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from core.vocab import HomeType
from placement.models import FollowUp
from reports.query import ReportQuery, report_query
from reports.suppression import suppress_values
from reports.tables import MONTHS_NOTE, SUPPRESSED_NOTE, additive_table, texts
from reports.types import ChartSpec, Report, ReportInfo

NAME = "outcomes"
TITLE = gettext_lazy("Placement outcomes")
DESCRIPTION = gettext_lazy("How placements stood at 30 and 90 days, by home type.")
METHOD = (
    gettext_lazy(
        "Follow-ups due in the period with an outcome recorded. A placement that ended "
        "before its 30th or 90th day counts through its discharge reason (a runaway as "
        "ran away, a planned move as moved as planned, an interim stay at an emergency "
        "shelter ended by the transfer to a long-term home as moved on from the interim stay)."
    ),
    MONTHS_NOTE,
)
DAYS = (30, 90)

Counts = dict[int, dict[str, dict[str, int]]]  # day -> home type -> outcome -> follow-ups


def _count(query: ReportQuery) -> tuple[Counts, int]:
    """Follow-ups per day, home type and outcome; and how many a discharge filled."""
    scope = query.where(
        at="due_at",
        agency="placement__survivor__agency_id",
        state="placement__survivor__custody_state",
    )
    rows = (
        FollowUp.objects.filter(scope & ~Q(outcome=""))
        .values_list("day", "placement__home__home_type", "outcome")
        .annotate(n=Count("id"), from_discharge=Count("id", filter=Q(from_discharge=True)))
        .order_by()
    )
    counts: Counts = defaultdict(lambda: defaultdict(dict))
    from_discharge = 0
    for day, home_type, outcome, n, discharged in rows:
        counts[day][home_type][outcome] = n
        from_discharge += discharged
    return counts, from_discharge


def outcomes(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Follow-ups due in the period, at 30 and 90 days, by home type x outcome; a placement
    that ended before its day counts through its discharge (`from_discharge`)."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    counts, from_discharge = _count(query)
    types = [t for t in HomeType.values if any(t in counts[d] for d in DAYS)]
    type_labels = [str(dict(HomeType.choices)[t]) for t in types]
    outcome_values = list(FollowUp.Outcome)
    tables = [
        additive_table(
            f"day_{day}",
            _("Placements at %(day)s days, by home type and outcome") % {"day": day},
            _("Home type"),
            type_labels,
            [str(o.label) for o in outcome_values],
            [[counts[day][t].get(o.value, 0) for o in outcome_values] for t in types],
            unit=_("placements"),
        )
        for day in DAYS
    ]
    discharged = suppress_values(["from discharge"], [from_discharge])[0]
    shown = _("fewer than 11") if discharged is None and from_discharge else str(from_discharge)
    ninety = tables[1]
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=tuple(tables),
        charts=(
            ChartSpec(
                title=ninety.caption,
                categories=ninety.rows,
                series=tuple(
                    (column, tuple(row[i] for row in ninety.cells))
                    for i, column in enumerate(ninety.columns)
                ),
                unit=_("placements"),
                chart_id="chart-outcomes",
                withheld=ninety.withheld,
                description=_("The 90-day table, one bar per outcome."),
            ),
        ),
        notes=(
            str(SUPPRESSED_NOTE),
            _("Of these follow-ups, %(shown)s were filled from a discharge before the day came.")
            % {"shown": shown},
        ),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, outcomes)
