"""Referral answers: per home, referrals made in the period, how they were answered
(declines by reason code), median hours to answer, and holds that expired."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, CharField, F, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import RequestUser
from placement.models import Referral
from reports.cellkey import REFERRAL
from reports.query import report_query
from reports.sql import HOUR, Elapsed, IdList, Percentile, month_number
from reports.tables import MONTHS_NOTE, PROTECTION_NOTES, Pieces, count_table, statistic, texts
from reports.types import ChartSpec, Report, ReportInfo, ReportTable

NAME = "referral-answers"
TITLE = gettext_lazy("Referral answers")
DESCRIPTION = gettext_lazy(
    "Per home: referrals, how they were answered, decline reasons, answer time and expired holds."
)
TOP_HOMES = 40  # per-home tables list the busiest homes, then "All other homes"
NOTES = (
    *PROTECTION_NOTES,
    gettext_lazy(
        "A median is shown only for a home with 11 answered referrals or more, as counted "
        "in the first table."
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
            "together. Home names are not personal data; the counts are protected."
        )
        % {"top": TOP_HOMES},
        str(MONTHS_NOTE),
    )


REASONS = list(Referral.ReasonCode)
NOT_ANSWERED = "not_answered"
ANSWERED = Q(answered_at__isnull=False)


@dataclass
class _Home:
    home_id: int
    name: str
    counts: list[int]  # protected, in COLUMNS order
    expired: int  # protected

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def answered(self) -> int:
        return sum(self.counts[:-1])


def _per_home(scope: Q) -> list[_Home]:
    """Referrals per home (protected), busiest first: by answer, and holds expired.

    One query: the referrals of each piece (agency, month, custody state, home, answer)
    listed for
    reports.cellkey, and those of them whose hold expired."""
    answer = Case(
        When(ANSWERED & Q(reason_code=""), then=Value("accepted")),
        When(status=Referral.Status.DECLINED, reason_code__in=REASONS, then=F("reason_code")),
        default=Value(NOT_ANSWERED),
        output_field=CharField(),
    )
    rows = (
        Referral.objects.filter(scope)
        .values(
            "home_id",
            "home__name",
            agency=F("survivor__agency_id"),
            state=F("survivor__custody_state"),
            month=month_number("created_at"),
            answer=answer,
        )  # fmt: skip
        .annotate(ids=IdList("id"), expired=IdList("id", filter=Q(status=Referral.Status.EXPIRED)))
        .order_by()
    )
    keys = ["accepted", *(r.value for r in REASONS), NOT_ANSWERED]
    counts, expired = Pieces(), Pieces()
    names: dict[int, str] = {}
    for row in rows:
        names[row["home_id"]] = row["home__name"]
        counts.add((row["home_id"], row["answer"]), REFERRAL, row["ids"])
        expired.add(row["home_id"], REFERRAL, row["expired"])
    homes = [
        _Home(home_id, name, [counts[(home_id, k)] for k in keys], expired[home_id])
        for home_id, name in names.items()
    ]
    homes.sort(key=lambda h: (-h.total, h.name, h.home_id))
    return [home for home in homes if home.total]


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


def _answers(top: list[_Home], rest: list[_Home]) -> ReportTable:
    """Referrals by home and answer: the top homes, then the rest added together."""
    labels = [f"{home.name} (#{home.home_id})" for home in top]
    counts = [home.counts for home in top]
    if rest:
        labels.append(_("All other homes (%(n)s)") % {"n": len(rest)})
        counts.append([sum(col) for col in zip(*(home.counts for home in rest), strict=True)])
    columns = [
        _("Accepted"),
        *(_("Declined: %(reason)s") % {"reason": str(r.label).lower()} for r in REASONS),
        _("Not answered"),
    ]
    return count_table(
        "answers_by_home", _("Referrals by home and answer"), _("Home"), labels, columns, counts,
        unit=_("referrals"),
    )  # fmt: skip


def _timing(
    answers: ReportTable, top: list[_Home], rest: list[_Home],
    hours: dict[int | None, float | None],
) -> ReportTable:  # fmt: skip
    """Median hours to answer (beside 11 answers or more, as protected) and holds that
    expired (protected), per row of `answers`."""
    rows = [(hours.get(home.home_id), home.answered, home.expired) for home in top]
    if rest:
        rows.append((hours.get(None), sum(h.answered for h in rest), sum(h.expired for h in rest)))
    return ReportTable(
        name="answer_time_by_home",
        caption=_("Hours to answer a referral, and holds that expired, by home"),
        row_header=_("Home"),
        rows=answers.rows,
        columns=(_("Median hours to answer"), _("Holds expired")),
        cells=tuple((statistic(median, n), expired) for median, n, expired in rows),
        unit=_("hours"),
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
    homes = _per_home(scope)
    top, rest = homes[:TOP_HOMES], homes[TOP_HOMES:]
    answers = _answers(top, rest)
    timing = _timing(answers, top, rest, _answer_hours(scope, [home.home_id for home in top]))
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
