"""The legal duties and children missing from care: how many duties due in the period
were done by their deadline, by duty and by month; missing-from-care episodes by month;
and placements outside ICWA's preferences by the good cause recorded."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.types import RequestUser
from core.vocab import GoodCause
from placement.models import Duty, MissingEpisode, Recommendation
from reports.cellkey import DUTY, MISSING, RECOMMENDATION, parse_ids, protected
from reports.query import ReportQuery, report_query
from reports.sql import IdList, month_number
from reports.tables import (
    MONTHS_NOTE,
    PROTECTION_NOTES,
    Pieces,
    count_table,
    statistic,
    texts,
)
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
    # ISO months ("2026-11") sort in time order in every language.
    return timezone.localtime(moment).strftime("%Y-%m") if moment else _("Unknown")


def _duties(query: ReportQuery) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Duties due in the period (protected): per kind and per month, [on time, late, not
    done]. Both tables are sums of the same pieces (agency, custody state, month, kind,
    outcome)."""
    scope = query.where(at="due_at", agency="survivor__agency_id", state="survivor__custody_state")
    rows = (
        Duty.objects.filter(scope)
        .annotate(month=TruncMonth("due_at"))
        .values(
            "id",
            "kind",
            "month",
            "completed_at",
            "due_at",
            "survivor__agency_id",
            "survivor__custody_state",
        )  # fmt: skip
        .order_by()
    )
    pieces: dict[tuple[int, str, str, str, int], list[int]] = defaultdict(list)
    for row in rows:
        outcome = _outcome(row["completed_at"], row["due_at"])
        key = (
            row["survivor__agency_id"], row["survivor__custody_state"], _month(row["month"]),
            row["kind"], outcome,
        )  # fmt: skip
        pieces[key].append(row["id"])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (_agency, _state, month, kind, outcome), ids in pieces.items():
        n = protected(DUTY, ids)
        by_kind[kind][outcome] += n
        by_month[month][outcome] += n
    return by_kind, by_month


def _episodes(query: ReportQuery) -> dict[str, list[int]]:
    """Missing episodes started in the period, per month (protected): [back, still
    missing]. One query: the episodes of each piece (agency, custody state, month, back
    or not)."""
    scope = query.where(
        at="started_at", agency="survivor__agency_id", state="survivor__custody_state"
    )
    rows = (
        MissingEpisode.objects.filter(scope)
        .annotate(month=TruncMonth("started_at"))
        .values("month", "survivor__agency_id", "survivor__custody_state")
        .annotate(
            back=IdList("id", filter=Q(returned_at__isnull=False)),
            missing=IdList("id", filter=Q(returned_at__isnull=True)),
        )
        .order_by()
    )
    episodes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        month = _month(row["month"])
        episodes[month][0] += protected(MISSING, parse_ids(row["back"]))
        episodes[month][1] += protected(MISSING, parse_ids(row["missing"]))
    return episodes


def _good_cause(query: ReportQuery) -> dict[str, int]:
    scope = query.where(
        at="created_at", agency="survivor__agency_id", state="survivor__custody_state"
    )
    rows = (
        Recommendation.objects.filter(scope & ~Q(good_cause=""))
        .values(
            "good_cause",
            "survivor__agency_id",
            "survivor__custody_state",
            month=month_number("created_at"),
        )  # fmt: skip
        .annotate(ids=IdList("id"))
        .order_by()
    )
    causes = Pieces()
    for row in rows:
        causes.add(row["good_cause"], RECOMMENDATION, row["ids"])
    return dict(causes.counts)


def duties(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Duty timeliness by duty and month, missing episodes by month, good cause by basis;
    every count protected (reports.cellkey)."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    by_kind, by_month = _duties(query)
    kinds = [k for k in Duty.Kind.values if k in by_kind]
    kind_table = count_table(
        "by_duty",
        _("Duties due in the period, by duty"),
        _("Duty"),
        [str(dict(Duty.Kind.choices)[k]) for k in kinds],
        texts(OUTCOMES),
        [by_kind[k] for k in kinds],
        unit=_("duties"),
    )
    months = sorted(by_month)
    month_table = count_table(
        "by_month", _("Duties due, by month"), _("Month"), months, texts(OUTCOMES),
        [by_month[m] for m in months], unit=_("duties"),
    )  # fmt: skip
    episodes = _episodes(query)
    episode_months = sorted(episodes)
    episode_table = count_table(
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
    cause_table = count_table(
        "good_cause",
        _("Homes chosen below ICWA's preferences, by the good cause recorded"),
        _("Good cause (25 CFR 23.132)"),
        [str(dict(GoodCause.choices)[c]) for c in cause_values],
        (_("Recommendations"),),
        [[causes[c]] for c in cause_values],
        unit=_("recommendations"),
    )
    total = month_table.grand_total or 0
    on_time = sum(row[0] for row in month_table.cells if isinstance(row[0], int))
    share = statistic(100.0 * on_time / total if total else None, total)
    shown = (
        f"{number_format(share)}%" if share is not None else _("not shown (fewer than 11 duties)")
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
        notes=(
            *texts(PROTECTION_NOTES),
            _("Done by the deadline: %(shown)s.") % {"shown": shown},
        ),
        method=texts(METHOD),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, duties)
