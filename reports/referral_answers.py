"""Referral answers: per home, referrals made in the period, how they were answered
(declines by reason code), median hours to answer, and holds that expired."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import Case, Count, F, Q, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from placement.models import Referral
from reports.query import report_query
from reports.sql import HOUR, Elapsed, Percentile
from reports.suppression import SUPPRESSED_TEXT, suppress_values
from reports.tables import MONTHS_NOTE, SUPPRESSED_NOTE, additive_table, statistic, texts
from reports.types import ChartSpec, Report, ReportInfo, ReportTable

NAME = "referral-answers"
TITLE = gettext_lazy("Referral answers")
DESCRIPTION = gettext_lazy(
    "Per home: referrals, how they were answered, decline reasons, answer time and expired holds."
)
TOP_HOMES = 40  # per-home tables list the busiest homes, then "All other homes"
NOTES = (
    SUPPRESSED_NOTE,
    gettext_lazy(
        "A median over fewer than 11 answered referrals is not shown, nor one whose "
        "number of answers the first table withholds; expired holds are shown only where "
        "that table shows the home's accepted referrals."
    ),
)


def _method() -> tuple[str, ...]:
    return (
        _(
            "Referrals made in the period, counted by how the home answered. Accepted "
            "includes referrals that became placements and holds that later expired. "
            "Not answered: still pending, or withdrawn before the home answered."
        ),
        _(
            "The %(top)s homes with the most referrals are listed; the rest are added "
            "together. Home names are not personal data; the counts are suppressed."
        )
        % {"top": TOP_HOMES},
        str(MONTHS_NOTE),
    )


REASONS = list(Referral.ReasonCode)
ANSWERED = Q(answered_at__isnull=False)


def _per_home(scope: Q) -> list[Mapping[str, Any]]:
    """Referrals per home, busiest first: made, accepted, expired, answered, declined by
    each reason (`r_<code>`)."""
    aggregates = {
        "referrals": Count("id"),
        "accepted": Count("id", filter=ANSWERED & Q(reason_code="")),
        "expired": Count("id", filter=Q(status=Referral.Status.EXPIRED)),
        "answered": Count("id", filter=ANSWERED),
        **{
            f"r_{r.value}": Count("id", filter=Q(status="declined", reason_code=r)) for r in REASONS
        },
    }
    return list(
        Referral.objects.filter(scope)
        .values("home_id", "home__name")
        .annotate(**aggregates)
        .order_by(F("referrals").desc(), "home__name", "home_id")
    )


def _answer_hours(scope: Q, top: Sequence[int]) -> dict[int | None, float | None]:
    """Median hours to answer for each of the `top` homes, and (key None) for the rest."""
    rows = (
        Referral.objects.filter(scope, ANSWERED)
        .annotate(key=Case(When(home_id__in=list(top), then=F("home_id")), default=None))
        .values("key")
        .annotate(median=Percentile(Elapsed("answered_at", "created_at", per=HOUR), 0.5))
        .order_by()
    )
    return {row["key"]: row["median"] for row in rows}


def _answers(top: list[Mapping[str, Any]], rest: list[Mapping[str, Any]]) -> ReportTable:
    """Referrals by home and answer: the top homes, then the rest added together."""

    def split(row: Mapping[str, Any]) -> list[int]:
        declined = [row[f"r_{r.value}"] for r in REASONS]
        return [row["accepted"], *declined, row["referrals"] - row["accepted"] - sum(declined)]

    labels = [f"{row['home__name']} (#{row['home_id']})" for row in top]
    counts = [split(row) for row in top]
    if rest:
        labels.append(_("All other homes (%(n)s)") % {"n": len(rest)})
        counts.append([sum(col) for col in zip(*(split(row) for row in rest), strict=True)])
    columns = [
        _("Accepted"),
        *(_("Declined: %(reason)s") % {"reason": str(r.label).lower()} for r in REASONS),
        _("Not answered"),
    ]
    return additive_table(
        "answers_by_home", _("Referrals by home and answer"), _("Home"), labels, columns, counts,
        unit=_("referrals"),
    )  # fmt: skip


def _timing(
    answers: ReportTable, top: list[Mapping[str, Any]], rest: list[Mapping[str, Any]],
    hours: dict[int | None, float | None],
) -> ReportTable:  # fmt: skip
    """Median hours to answer and holds expired, per row of `answers`.

    Nothing here may tell more about a withheld count of the first table. A median says
    its home had 11 answers or more: shown only where the answers are known from that
    table anyway (the total and "Not answered" both shown). An expired hold was accepted
    first: 11 or more expired says 11 or more accepted, so a count is shown only where
    Accepted is (or when it is 0, which says nothing)."""
    expired = [row["expired"] for row in top]
    answered = [row["answered"] for row in top]
    medians = [hours.get(row["home_id"]) for row in top]
    if rest:
        expired.append(sum(row["expired"] for row in rest))
        answered.append(sum(row["answered"] for row in rest))
        medians.append(hours.get(None))
    cells = []
    for i, (median, n, shown_expired) in enumerate(
        zip(medians, answered, suppress_values(answers.rows, expired), strict=True)
    ):
        total, not_answered = (answers.row_totals or ())[i], answers.cells[i][-1]
        accepted_shown = answers.cells[i][0] is not None
        cells.append(
            (
                statistic(median, n, shown=total is not None and not_answered is not None),
                shown_expired if shown_expired == 0 or accepted_shown else None,
            )
        )
    return ReportTable(
        name="answer_time_by_home",
        caption=_("Hours to answer a referral, and holds that expired, by home"),
        row_header=_("Home"),
        rows=answers.rows,
        columns=(_("Median hours to answer"), _("Holds expired")),
        cells=tuple(cells),
        unit=_("hours"),
        withheld=SUPPRESSED_TEXT,
    )


def referral_answers(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Per home: referrals made in the period, how they were answered (declines by reason
    code), median hours to answer, and holds that expired."""
    query = report_query(user=user, date_from=date_from, date_to=date_to, state=state)
    scope = query.where(
        at="created_at", agency="survivor__agency_id", state="survivor__custody_state"
    )
    rows = _per_home(scope)
    top, rest = rows[:TOP_HOMES], rows[TOP_HOMES:]
    answers = _answers(top, rest)
    timing = _timing(answers, top, rest, _answer_hours(scope, [row["home_id"] for row in top]))
    return Report(
        name=NAME,
        title=str(TITLE),
        description=str(DESCRIPTION),
        filters=query.filters,
        tables=(answers, timing),
        charts=(
            ChartSpec(
                title=answers.caption,
                categories=answers.rows,
                series=((_("Total"), tuple(answers.row_totals or ())),),
                unit=_("referrals"),
                chart_id="chart-referral-answers",
                withheld=answers.withheld,
                description=_("Referrals per home: the Total column of the first table, as bars."),
            ),
        ),
        notes=texts(NOTES),
        method=_method(),
    )


INFO = ReportInfo(TITLE, DESCRIPTION, referral_answers)
