"""Placement outcomes: follow-ups due in the period, at 30 and 90 days, by home type and
outcome; a placement that ended before its day counts through its discharge."""

from __future__ import annotations

from datetime import date

from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from core.vocab import HomeType
from placement.models import FollowUp
from reports.cellkey import FOLLOW_UP
from reports.query import ReportQuery, report_query
from reports.sql import IdList, month_number
from reports.tables import MONTHS_NOTE, PROTECTION_NOTES, Pieces, count_table, texts
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


def _count(query: ReportQuery) -> tuple[Pieces, Pieces]:
    """Follow-ups (protected) per (day, home type, outcome); and how many a discharge
    filled, per day. One query: the follow-ups of each piece (agency, custody state,
    month, day, home type, outcome) listed for reports.cellkey."""
    scope = query.where(
        at="due_at",
        agency="placement__survivor__agency_id",
        state="placement__survivor__custody_state",
    )
    rows = (
        FollowUp.objects.filter(scope & ~Q(outcome=""))
        .values_list(
            "day",
            "placement__home__home_type",
            "outcome",
            F("placement__survivor__agency_id"),
            F("placement__survivor__custody_state"),
            month_number("due_at"),
        )  # fmt: skip
        .annotate(ids=IdList("id"), discharged=IdList("id", filter=Q(from_discharge=True)))
        .order_by()
    )
    counts, from_discharge = Pieces(), Pieces()
    for day, home_type, outcome, _agency, _state, _month, ids, discharged in rows:
        counts.add((day, home_type, outcome), FOLLOW_UP, ids)
        from_discharge.add(day, FOLLOW_UP, discharged)
    return counts, from_discharge


def outcomes(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Follow-ups due in the period, at 30 and 90 days, by home type x outcome; a placement
    that ended before its day counts through its discharge (`from_discharge`)."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    counts, from_discharge = _count(query)
    types = list(HomeType.values)  # count_table leaves out a type with nothing counted
    type_labels = [str(dict(HomeType.choices)[t]) for t in types]
    outcome_values = list(FollowUp.Outcome)
    tables = [
        count_table(
            f"day_{day}",
            _("Placements at %(day)s days, by home type and outcome") % {"day": day},
            _("Home type"),
            type_labels,
            [str(o.label) for o in outcome_values],
            [[counts[(day, t, o.value)] for o in outcome_values] for t in types],
            unit=_("placements"),
        )
        for day in DAYS
    ]
    shown = sum(from_discharge[day] for day in DAYS)
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
            *texts(PROTECTION_NOTES),
            _("Of these follow-ups, %(shown)s were filled from a discharge before the day came.")
            % {"shown": shown},
        ),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, outcomes)
