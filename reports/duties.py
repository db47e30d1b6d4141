"""The legal duties and children missing from care: how many duties due in the period
were done by their deadline, by duty and by month; missing-from-care episodes by month;
and placements outside ICWA's preferences by the good cause recorded."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.types import RequestUser
from core.vocab import GoodCause
from placement.models import Duty, MissingEpisode, Recommendation
from reports.query import ReportQuery, report_query
from reports.tables import MONTHS_NOTE, SUPPRESSED_NOTE, additive_table, statistic, texts
from reports.types import ChartSpec, Report, ReportInfo

NAME = "duties"
TITLE = gettext_lazy("Legal duties and missing children")
DESCRIPTION = gettext_lazy(
    "Reports to law enforcement, NCMEC and HHS and tribes' notices done on time, by duty and "
    "month; children missing from care by month; placements outside ICWA's preferences."
)
METHOD = (
    gettext_lazy(
        "Duties whose deadline fell in the period: done by the deadline, done late, or not "
        "recorded as done. Episodes of a child missing from care by the month she went "
        "missing: back, or still missing. Recommendations for a child ICWA covers made in the "
        "period below a preferred home that could take her, by the basis of good cause."
    ),
    MONTHS_NOTE,
)
OUTCOMES = (gettext_lazy("On time"), gettext_lazy("Late"), gettext_lazy("Not done"))


def _outcome(completed_at: datetime | None, due_at: datetime) -> int:
    if completed_at is None:
        return 2
    return 0 if completed_at <= due_at else 1


def _month(moment) -> str:
    # ISO months ("2026-11") sort in time order in every language; the rows are sorted
    # on them, and suppression works by position.
    return timezone.localtime(moment).strftime("%Y-%m") if moment else _("Unknown")


def _duties(query: ReportQuery) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Duties due in the period: per kind and per month, [on time, late, not done]."""
    scope = query.where(at="due_at", agency="survivor__agency_id", state="survivor__custody_state")
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = (
        Duty.objects.filter(scope)
        .annotate(month=TruncMonth("due_at"))
        .values("kind", "month", "completed_at", "due_at")
        .order_by()
    )
    for row in rows:
        outcome = _outcome(row["completed_at"], row["due_at"])
        by_kind[row["kind"]][outcome] += 1
        by_month[_month(row["month"])][outcome] += 1
    return by_kind, by_month


def _episodes(query: ReportQuery) -> dict[str, list[int]]:
    """Missing episodes started in the period, per month: [back, still missing]."""
    scope = query.where(
        at="started_at", agency="survivor__agency_id", state="survivor__custody_state"
    )
    rows = (
        MissingEpisode.objects.filter(scope)
        .annotate(month=TruncMonth("started_at"))
        .values("month")
        .annotate(
            back=Count("id", filter=Q(returned_at__isnull=False)),
            missing=Count("id", filter=Q(returned_at__isnull=True)),
        )
        .order_by("month")
    )
    return {_month(row["month"]): [row["back"], row["missing"]] for row in rows}


def _good_cause(query: ReportQuery) -> dict[str, int]:
    scope = query.where(
        at="created_at", agency="survivor__agency_id", state="survivor__custody_state"
    )
    rows = (
        Recommendation.objects.filter(scope & ~Q(good_cause=""))
        .values("good_cause")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["good_cause"]: row["n"] for row in rows}


def duties(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Duty timeliness by duty and month, missing episodes by month, good cause by basis;
    every count from 1 to 10 withheld, with the cells the totals could give it away by."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    by_kind, by_month = _duties(query)
    kinds = [k for k in Duty.Kind.values if k in by_kind]
    kind_table = additive_table(
        "by_duty",
        _("Duties due in the period, by duty"),
        _("Duty"),
        [str(dict(Duty.Kind.choices)[k]) for k in kinds],
        texts(OUTCOMES),
        [by_kind[k] for k in kinds],
        unit=_("duties"),
    )
    months = sorted(by_month)
    month_table = additive_table(
        "by_month", _("Duties due, by month"), _("Month"), months, texts(OUTCOMES),
        [by_month[m] for m in months], unit=_("duties"),
    )  # fmt: skip
    episodes = _episodes(query)
    episode_months = sorted(episodes)
    episode_table = additive_table(
        "missing",
        _("Children missing from care, by the month they went missing"),
        _("Month"),
        episode_months,
        (pgettext("missing from care", "Back"), _("Still missing")),
        [episodes[m] for m in episode_months],
        unit=_("episodes"),
    )
    causes = _good_cause(query)
    cause_values = [c for c in GoodCause.values if c in causes]
    cause_table = additive_table(
        "good_cause",
        _("Homes chosen below ICWA's preferences, by the good cause recorded"),
        _("Good cause (25 CFR 23.132)"),
        [str(dict(GoodCause.choices)[c]) for c in cause_values],
        (_("Recommendations"),),
        [[causes[c]] for c in cause_values],
        unit=_("recommendations"),
    )
    total = sum(sum(counts) for counts in by_kind.values())
    on_time = sum(counts[0] for counts in by_kind.values())
    share = statistic(
        100.0 * on_time / total if total else None, total, shown=month_table.grand_total is not None
    )
    shown = (
        f"{number_format(share)}%" if share is not None else _("withheld (fewer than 11 duties)")
    )
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=(kind_table, month_table, episode_table, cause_table),
        charts=(
            ChartSpec(
                title=month_table.caption,
                categories=month_table.rows,
                series=tuple(
                    (column, tuple(row[i] for row in month_table.cells))
                    for i, column in enumerate(month_table.columns)
                ),
                unit=_("duties"),
                chart_id="chart-duties",
                withheld=month_table.withheld,
                description=_("One bar per month and outcome."),
            ),
        ),
        notes=(str(SUPPRESSED_NOTE), _("Done by the deadline: %(shown)s.") % {"shown": shown}),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, duties)
