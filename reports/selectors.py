"""The reports: one selector each, `(*, user, date_from, date_to, state) -> Report`.

Every number is counted in the database (GROUP BY, bit operations, percentile_cont on
PostgreSQL; on SQLite, which only `make demo` uses, the percentiles are computed here)
over the user's scope (reports.scope), then suppressed (reports.suppression) before it
leaves this module: nothing below 11 reaches a page, the API or a CSV.

Counts are of children, not of searches or referrals, wherever a child could be counted
twice: twelve searches for one child must not pass as twelve children.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from core.types import RequestUser
from core.vocab import US_STATES, HomeType, Urgency
from engine.types import RULES
from matching.models import NEED_BIT, NEEDS, RULE_BIT, AgeBand, MatchSearch
from placement.models import FollowUp, Placement, Referral
from reports.linked import Published, jointly_protected
from reports.scope import Scope, report_scope
from reports.suppression import (
    SUPPRESSED_TEXT,
    suppress_statistic,
    suppress_table,
    suppress_values,
)
from reports.types import ChartSpec, Filters, Report, ReportTable
from survivors.models import Survivor

NEED_LABELS = {
    "substance_use": "Substance use",
    "own_children": "Own children",
    "pregnancy": "Pregnancy",
    "medical": "Complex medical needs",
    "mental_health": "High mental-health acuity",
    "runaway_risk": "High runaway risk",
    "juvenile_justice": "Juvenile justice involvement",
}
GENDER_LABELS = {"female": "Female", "male": "Male", "nonbinary": "Nonbinary"}
RULE_LABELS = {
    "beds": "No bed free",
    "staffing": "Staffing ratio",
    "age": "Age range",
    "gender": "Gender served",
    "substance_use": "Substance use",
    "detox": "Detox",
    "dependents": "Own children",
    "medical": "Medical level",
    "pregnancy": "Pregnancy",
    "mental_health": "Mental-health acuity",
    "runaway_risk": "Runaway risk",
    "guardianship": "Guardianship",
    "state_line": "State line (ICPC)",
    "exclusion_zone": "Exclusion zone",
    "crisis_intake": "No crisis intake",
    "license": "License",
    "juvenile_justice": "Juvenile justice",
}
TOP_HOMES = 40  # per-home tables list the busiest homes, then "All other homes"
SUPPRESSED_NOTE = (
    "Any count from 1 to 10 is withheld. In a table with totals, another count (even a "
    "large one) may be withheld too, so that the totals cannot reveal a small one; there "
    "every withheld count reads “suppressed”. Elsewhere it reads “fewer than 11”."
)
MONTHS_NOTE = (
    "Periods are whole months: the start is rounded down to the 1st and the end up to the "
    "month's last day, so that comparing two overlapping periods reveals far less."
)


def _state_label(code: str) -> str:
    return US_STATES.get(code, code or "Unknown")


def _window(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the server's time zone."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(date_from, time.min), zone)
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), zone)
    return start, end


def _pg() -> bool:
    return connection.vendor == "postgresql"


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """As PostgreSQL's percentile_cont: linear interpolation between the nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _statistic(value: float | None, n: int, *, shown: bool) -> float | None:
    """A median or percentile over n children or referrals, rounded; None (withheld) when
    n is below 11 or when the count it stands beside is itself withheld."""
    return _round(suppress_statistic(value, n)) if shown else None


@dataclass(frozen=True)
class _Query:
    """The report's scope and filters as SQL conditions on one table's columns."""

    scope: Scope
    filters: Filters

    def where(self, *, at: str, agency: str, state: str) -> tuple[str, list[Any]]:
        start, end = _window(self.filters.date_from, self.filters.date_to)
        clauses, params = [f"{at} >= %s", f"{at} < %s"], [start, end]
        if self.scope.agency_id is not None:
            clauses.append(f"{agency} = %s")
            params.append(self.scope.agency_id)
        if self.filters.state:
            clauses.append(f"{state} = %s")
            params.append(self.filters.state)
        return " AND ".join(clauses), params


def _begin(user: RequestUser, date_from: date, date_to: date, state: str | None) -> _Query:
    return _Query(
        report_scope(user), Filters(date_from=date_from, date_to=date_to, state=state or "")
    )


def _table(
    name: str, caption: str, row_header: str, rows: Sequence[str], columns: Sequence[str],
    counts: Sequence[Sequence[int]], *, unit: str = "children",
) -> ReportTable:  # fmt: skip
    """An additive table (rows and columns sum to published totals), suppressed."""
    return ReportTable.from_suppressed(
        name=name,
        caption=caption,
        row_header=row_header,
        table=suppress_table(list(rows), list(columns), [list(row) for row in counts]),
        unit=unit,
    )


# ---------------------------------------------------------------------------------------
# Unmet need


def unmet_need(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Children with no feasible home: by state, state x age band, state x gender, need.

    Each child counts once, as of their last search with no feasible home in the period."""
    query = _begin(user, date_from, date_to, state)
    table = MatchSearch._meta.db_table
    where, params = query.where(at="at", agency="agency_id", state="state")
    needs = ", ".join(
        f"SUM(CASE WHEN (s.need_flags & {NEED_BIT[need]}) <> 0 THEN 1 ELSE 0 END)" for need in NEEDS
    )
    rows = _fetch(
        f"""
        SELECT s.state, s.age_band, s.gender, COUNT(*), SUM(g.searches), {needs}
        FROM (SELECT MAX(id) AS id, COUNT(*) AS searches FROM {table}
              WHERE {where} AND feasible_count = 0 GROUP BY survivor_id) g
        JOIN {table} s ON s.id = g.id
        GROUP BY s.state, s.age_band, s.gender
        """,
        params,
    )
    by_age: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_gender: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    searches: dict[str, int] = defaultdict(int)
    need_counts = [0] * len(NEEDS)
    for state_code, band, gender, children, n_searches, *per_need in rows:
        by_age[state_code][band] += children
        by_gender[state_code][gender] += children
        searches[state_code] += int(n_searches)
        need_counts = [a + int(b) for a, b in zip(need_counts, per_need, strict=True)]
    states = sorted(by_age, key=_state_label)
    labels = [_state_label(code) for code in states]
    bands, genders = list(AgeBand), list(GENDER_LABELS)
    age_counts = [[by_age[code][band] for band in bands] for code in states]
    gender_counts = [[by_gender[code][g] for g in genders] for code in states]
    ages = suppress_table(labels, [band.label for band in bands], age_counts)
    by_gender_table = suppress_table(labels, [GENDER_LABELS[g] for g in genders], gender_counts)
    age_table = ReportTable.from_suppressed(
        name="state_by_age_band",
        caption="Children with no feasible home, by custody state and age band",
        row_header="Custody state",
        table=ages,
        unit="children",
    )
    notes = [SUPPRESSED_NOTE]
    tables = [age_table]
    # Both tables publish the children per state: together they must still hide every
    # withheld count, or the table by gender would undo the suppression by age band.
    links = [((0, "row", i), (1, "row", i)) for i in range(len(states))]
    if jointly_protected(
        [Published(age_counts, ages), Published(gender_counts, by_gender_table)],
        [*links, ((0, "grand", 0), (1, "grand", 0))],
    ):
        tables.append(
            ReportTable.from_suppressed(
                name="state_by_gender",
                caption="Children with no feasible home, by custody state and gender",
                row_header="Custody state",
                table=by_gender_table,
                unit="children",
            )
        )
    else:
        notes.append(
            "The table by gender is not published for these filters: with the table by "
            "age band it would reveal a withheld count."
        )
    children_by_state = age_table.row_totals or ()
    state_table = ReportTable(
        name="by_state",
        caption="Children and searches with no feasible home, by custody state",
        row_header="Custody state",
        rows=tuple(labels),
        columns=("Children", "Searches"),
        cells=tuple(
            (children, searches[code] if children is not None else None)
            for code, children in zip(states, children_by_state, strict=True)
        ),
        unit="children",
        withheld=SUPPRESSED_TEXT,
    )
    need_table = ReportTable(
        name="by_need",
        caption="Children with no feasible home, by need (a child can count under several)",
        row_header="Need",
        rows=tuple(NEED_LABELS[need] for need in NEEDS),
        columns=("Children",),
        cells=tuple((v,) for v in suppress_values(list(NEEDS), need_counts)),
        unit="children",
    )
    return Report(
        name="unmet-need",
        title=REPORTS["unmet-need"].title,
        description=REPORTS["unmet-need"].description,
        filters=query.filters,
        tables=(state_table, *tables, need_table),
        charts=(
            ChartSpec(
                title=state_table.caption,
                categories=state_table.rows,
                series=(("Children", tuple(row[0] for row in state_table.cells)),),
                unit="children",
                chart_id="chart-unmet-need",
                withheld=state_table.withheld,
                description="The Children column of the first table, as bars.",
            ),
        ),
        notes=tuple(notes),
        method=(
            "A search has no feasible home when every home in the directory failed at least "
            "one rule. Each child counts once, in the state, age band and gender of their "
            "last such search in the period; Searches counts all of them.",
            "A child can count under several needs, so the needs do not add up to the total.",
            MONTHS_NOTE,
        ),
    )


# ---------------------------------------------------------------------------------------
# What blocks children


def blocking_rules(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Per rule, the children it alone kept from a home (a near miss) and the children it
    excluded homes for at all, among searches with no feasible home; and rule x state."""
    query = _begin(user, date_from, date_to, state)
    table = MatchSearch._meta.db_table
    where, params = query.where(at="at", agency="agency_id", state="state")
    # Per child (and state): the rules over all their searches with nothing feasible.
    if _pg():
        sums = ", ".join(
            f"SUM((sole & {RULE_BIT[r]} <> 0)::int), SUM((blocked & {RULE_BIT[r]} <> 0)::int)"
            for r in RULES
        )
        rows = _fetch(
            f"""
            SELECT state, {sums} FROM (
                SELECT survivor_id, state, bit_or(sole_rules) AS sole,
                       bit_or(blocked_rules) AS blocked
                FROM {table} WHERE {where} AND feasible_count = 0
                GROUP BY survivor_id, state) c
            GROUP BY state
            """,
            params,
        )
    else:
        children: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        for survivor_id, state_code, sole, blocked in _fetch(
            f"SELECT survivor_id, state, sole_rules, blocked_rules FROM {table} "
            f"WHERE {where} AND feasible_count = 0",
            params,
        ):
            bits = children[(survivor_id, state_code)]
            bits[0] |= sole
            bits[1] |= blocked
        per_state: dict[str, list[int]] = defaultdict(lambda: [0] * (2 * len(RULES)))
        for (_, state_code), (sole, blocked) in children.items():
            counts = per_state[state_code]
            for i, rule in enumerate(RULES):
                counts[2 * i] += bool(sole & RULE_BIT[rule])
                counts[2 * i + 1] += bool(blocked & RULE_BIT[rule])
        rows = [(code, *counts) for code, counts in per_state.items()]
    states = sorted((row[0] for row in rows), key=_state_label)
    counts = {row[0]: [int(v or 0) for v in row[1:]] for row in rows}
    sole_totals = [sum(counts[code][2 * i] for code in states) for i in range(len(RULES))]
    # Rule x state: each rule's row adds up to its "blocked at all" total (a child has one
    # custody state per search), so each row is protected with its total.
    cells, totals = [], []
    for i, rule in enumerate(RULES):
        row = suppress_table(
            [RULE_LABELS[rule]], [_state_label(c) for c in states],
            [[counts[code][2 * i + 1] for code in states]],
        )  # fmt: skip
        cells.append(tuple(row.cells[0]))
        totals.append(row.row_totals[0] if row.row_totals else None)
    rule_state = ReportTable(
        name="rule_by_state",
        caption="Children a rule excluded homes for, by custody state",
        row_header="Rule",
        rows=tuple(RULE_LABELS[r] for r in RULES),
        columns=tuple(_state_label(c) for c in states),
        cells=tuple(cells),
        row_totals=tuple(totals),
        has_totals=True,
        unit="children",
        withheld=SUPPRESSED_TEXT,
    )
    sole = suppress_values(list(RULES), sole_totals)
    by_rule = ReportTable(
        name="by_rule",
        caption="Children with no feasible home: what each rule blocked",
        row_header="Rule",
        rows=rule_state.rows,
        columns=("Alone blocked a home (near miss)", "Blocked homes at all"),
        cells=tuple(zip(sole, totals, strict=True)),
        unit="children",
        withheld=SUPPRESSED_TEXT,
    )
    return Report(
        name="blocking-rules",
        title=REPORTS["blocking-rules"].title,
        description=REPORTS["blocking-rules"].description,
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
                unit="children",
                chart_id="chart-blocking-rules",
                withheld=by_rule.withheld,
                description="Both columns of the first table, as bars.",
            ),
        ),
        notes=(SUPPRESSED_NOTE,),
        method=(
            "Among searches where no home was feasible. A near miss: a home that failed "
            "this rule and no other; relaxing that one rule would have given the child a "
            "home. A child counts once per rule, and under every rule that blocked them, "
            "so the rules do not add up.",
            "Searches recorded before these reports began kept which rules excluded homes, "
            "but not which excluded a home alone, except when a single rule excluded every "
            "home that failed: older near misses are undercounted.",
            MONTHS_NOTE,
        ),
    )


# ---------------------------------------------------------------------------------------
# Time to placement


def time_to_placement(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Days from intake to the first placement, for children first placed in the period:
    median and 90th percentile by custody state and by urgency."""
    query = _begin(user, date_from, date_to, state)
    placements, survivors = Placement._meta.db_table, Survivor._meta.db_table
    where, params = query.where(at="f.first_at", agency="s.agency_id", state="s.custody_state")
    firsts = (
        f"SELECT survivor_id, MIN(started_at) AS first_at FROM {placements} GROUP BY survivor_id"
    )
    if _pg():
        rows = _fetch(
            f"""
            SELECT s.custody_state, s.urgency, GROUPING(s.custody_state), GROUPING(s.urgency),
                   COUNT(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY d.days),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY d.days)
            FROM ({firsts}) f
            JOIN {survivors} s ON s.id = f.survivor_id
            CROSS JOIN LATERAL (
                SELECT EXTRACT(EPOCH FROM f.first_at - s.created_at) / 86400.0 AS days) d
            WHERE {where}
            GROUP BY GROUPING SETS ((s.custody_state), (s.urgency), ())
            """,
            params,
        )
        by_state = {r[0]: (r[4], r[5], r[6]) for r in rows if not r[2] and r[3]}
        by_urgency = {r[1]: (r[4], r[5], r[6]) for r in rows if r[2] and not r[3]}
        overall = next(((r[4], r[5], r[6]) for r in rows if r[2] and r[3]), (0, None, None))
    else:
        days: dict[str, list[float]] = defaultdict(list)
        urgency_days: dict[str, list[float]] = defaultdict(list)
        every: list[float] = []
        for code, urgency, first_at, created_at in _fetch(
            f"SELECT s.custody_state, s.urgency, f.first_at, s.created_at FROM ({firsts}) f "
            f"JOIN {survivors} s ON s.id = f.survivor_id WHERE {where}",
            params,
        ):
            value = (_as_datetime(first_at) - _as_datetime(created_at)).total_seconds() / 86400
            days[code].append(value)
            urgency_days[urgency].append(value)
            every.append(value)

        def stats(values: list[float]) -> tuple[int, float | None, float | None]:
            return len(values), percentile(values, 0.5), percentile(values, 0.9)

        by_state = {code: stats(v) for code, v in days.items()}
        by_urgency = {code: stats(v) for code, v in urgency_days.items()}
        overall = stats(every)
    tables, published = [], []
    for name, caption, header, groups, label in (
        ("by_state", "Days from intake to first placement, by custody state", "Custody state",
         by_state, _state_label),
        ("by_urgency", "Days from intake to first placement, by urgency", "Urgency",
         by_urgency, lambda u: dict(Urgency.choices).get(u, u)),
    ):  # fmt: skip
        keys = sorted(groups, key=label)
        n_counts = [[groups[k][0]] for k in keys]
        ns = suppress_table([label(k) for k in keys], ["Children placed"], n_counts)
        published.append(Published(n_counts, ns))
        # A median or percentile is shown only beside its count: shown beside a withheld
        # one it would say that count is 11 or more, which with the totals can pin the
        # small count the cell was withheld to protect.
        cells = [
            (
                ns.cells[i][0],
                _statistic(groups[k][1], groups[k][0], shown=ns.cells[i][0] is not None),
                _statistic(groups[k][2], groups[k][0], shown=ns.cells[i][0] is not None),
            )
            for i, k in enumerate(keys)
        ]
        cells.append(
            (
                ns.grand_total,
                _statistic(overall[1], overall[0], shown=ns.grand_total is not None),
                _statistic(overall[2], overall[0], shown=ns.grand_total is not None),
            )
        )
        tables.append(
            ReportTable(
                name=name,
                caption=caption,
                row_header=header,
                rows=(*(label(k) for k in keys), "All"),
                columns=("Children placed", "Median days", "90th percentile days"),
                cells=tuple(cells),
                unit="days",
                withheld=SUPPRESSED_TEXT,
            )
        )
    notes = [
        SUPPRESSED_NOTE,
        "A median or percentile over fewer than 11 children is not shown, nor one beside a "
        "withheld count.",
    ]
    # Both tables publish how many children were placed in all: together they must still
    # hide every withheld count.
    if not jointly_protected(published, [((0, "grand", 0), (1, "grand", 0))]):
        tables.pop()
        notes.append(
            "The table by urgency is not published for these filters: with the table by "
            "state it would reveal a withheld count."
        )
    first = tables[0]
    return Report(
        name="time-to-placement",
        title=REPORTS["time-to-placement"].title,
        description=REPORTS["time-to-placement"].description,
        filters=query.filters,
        tables=tuple(tables),
        charts=(
            ChartSpec(
                title=first.caption,
                categories=first.rows,
                series=(("Median days", tuple(row[1] for row in first.cells)),),
                unit="days",
                chart_id="chart-time-to-placement",
                withheld=first.withheld,
                description="The Median days column of the first table, as bars.",
            ),
        ),
        notes=tuple(notes),
        method=(
            "Children whose first placement began in the period; days from the intake "
            "record's creation to the first placement's arrival. The median is the middle "
            "child's time; the 90th percentile the time by which nine in ten were placed "
            "(interpolated between the nearest children, as PostgreSQL's percentile_cont).",
            MONTHS_NOTE,
        ),
    )


def _as_datetime(value: Any) -> datetime:
    # SQLite hands back text from a raw query.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


# ---------------------------------------------------------------------------------------
# Referral answers


def referral_answers(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Per home: referrals made in the period, how they were answered (declines by reason
    code), median hours to answer, and holds that expired."""
    query = _begin(user, date_from, date_to, state)
    scope = Q(created_at__gte=_window(date_from, date_to)[0]) & Q(
        created_at__lt=_window(date_from, date_to)[1]
    )
    if query.scope.agency_id is not None:
        scope &= Q(survivor__agency_id=query.scope.agency_id)
    if query.filters.state:
        scope &= Q(survivor__custody_state=query.filters.state)
    reasons = list(Referral.ReasonCode)
    answered = Q(answered_at__isnull=False)
    aggregates = {
        "referrals": Count("id"),
        "accepted": Count("id", filter=answered & Q(reason_code="")),
        "expired": Count("id", filter=Q(status=Referral.Status.EXPIRED)),
        "answered": Count("id", filter=answered),
        **{
            f"r_{r.value}": Count("id", filter=Q(status="declined", reason_code=r)) for r in reasons
        },
    }
    rows = list(
        Referral.objects.filter(scope)
        .values("home_id", "home__name")
        .annotate(**aggregates)
        .order_by("-referrals", "home__name", "home_id")
    )
    top, rest = rows[:TOP_HOMES], rows[TOP_HOMES:]
    hours = _answer_hours(scope, [row["home_id"] for row in top])
    labels = [f"{row['home__name']} (#{row['home_id']})" for row in top]
    columns = ["Accepted", *(f"Declined: {r.label.lower()}" for r in reasons), "Not answered"]

    def split(row: dict[str, Any]) -> list[int]:
        declined = [row[f"r_{r.value}"] for r in reasons]
        return [row["accepted"], *declined, row["referrals"] - row["accepted"] - sum(declined)]

    counts = [split(row) for row in top]
    if rest:
        labels.append(f"All other homes ({len(rest)})")
        counts.append([sum(col) for col in zip(*(split(row) for row in rest), strict=True)])
    answers = _table(
        "answers_by_home", "Referrals by home and answer", "Home", labels, columns, counts,
        unit="referrals",
    )  # fmt: skip
    expired = [row["expired"] for row in top]
    answered_n = [row["answered"] for row in top]
    medians = [hours.get(row["home_id"]) for row in top]
    if rest:
        expired.append(sum(row["expired"] for row in rest))
        answered_n.append(sum(row["answered"] for row in rest))
        medians.append(hours.get(None))
    expired_shown = suppress_values(labels, expired)
    # Nothing here may tell more about a withheld count of the first table. A median
    # says its home had 11 answers or more: shown only where the answers are known
    # from that table anyway (the total and "Not answered" both shown). An expired hold
    # was accepted first: 11 or more expired says 11 or more accepted, so a count is
    # shown only where Accepted is (or when it is 0, which says nothing).
    timing_cells = []
    for i, (median, n, shown_expired) in enumerate(
        zip(medians, answered_n, expired_shown, strict=True)
    ):
        total, not_answered = answers.row_totals[i], answers.cells[i][-1]
        accepted_shown = answers.cells[i][0] is not None
        timing_cells.append(
            (
                _statistic(median, n, shown=total is not None and not_answered is not None),
                shown_expired if shown_expired == 0 or accepted_shown else None,
            )
        )
    timing = ReportTable(
        name="answer_time_by_home",
        caption="Hours to answer a referral, and holds that expired, by home",
        row_header="Home",
        rows=tuple(labels),
        columns=("Median hours to answer", "Holds expired"),
        cells=tuple(timing_cells),
        unit="hours",
        withheld=SUPPRESSED_TEXT,
    )
    return Report(
        name="referral-answers",
        title=REPORTS["referral-answers"].title,
        description=REPORTS["referral-answers"].description,
        filters=query.filters,
        tables=(answers, timing),
        charts=(
            ChartSpec(
                title=answers.caption,
                categories=answers.rows,
                series=(("Total", tuple(answers.row_totals or ())),),
                unit="referrals",
                chart_id="chart-referral-answers",
                withheld=answers.withheld,
                description="Referrals per home: the Total column of the first table, as bars.",
            ),
        ),
        notes=(
            SUPPRESSED_NOTE,
            "A median over fewer than 11 answered referrals is not shown, nor one whose "
            "number of answers the first table withholds; expired holds are shown only where "
            "that table shows the home's accepted referrals.",
        ),
        method=(
            "Referrals made in the period, counted by how the home answered. Accepted "
            "includes referrals that became placements and holds that later expired. "
            "Not answered: still pending, or withdrawn before the home answered.",
            f"The {TOP_HOMES} homes with the most referrals are listed; the rest are added "
            "together. Home names are not personal data; the counts are suppressed.",
            MONTHS_NOTE,
        ),
    )


def _answer_hours(scope: Q, top: Sequence[int]) -> dict[int | None, float | None]:
    """Median hours to answer for each of the `top` homes, and (key None) for the rest."""
    answered = Referral.objects.filter(scope, answered_at__isnull=False).values_list(
        "home_id", "answered_at", "created_at"
    )
    if _pg():
        sql, params = answered.order_by().query.sql_with_params()
        rows = _fetch(
            f"""
            SELECT CASE WHEN q.home_id = ANY(%s) THEN q.home_id END AS k,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY EXTRACT(EPOCH FROM q.answered - q.created) / 3600.0)
            FROM ({sql}) q(home_id, answered, created) GROUP BY k
            """,
            [list(top), *params],
        )
        return dict(rows)
    top_ids = set(top)
    hours: dict[int | None, list[float]] = defaultdict(list)
    for home_id, answered_at, created in answered:
        key = home_id if home_id in top_ids else None
        hours[key].append((answered_at - created).total_seconds() / 3600)
    return {key: percentile(values, 0.5) for key, values in hours.items()}


# ---------------------------------------------------------------------------------------
# Outcomes


def outcomes(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None = None
) -> Report:
    """Follow-ups due in the period, at 30 and 90 days, by home type x outcome; a placement
    that ended before its day counts through its discharge (`from_discharge`)."""
    query = _begin(user, date_from, date_to, state)
    start, end = _window(date_from, date_to)
    scope = Q(due_at__gte=start, due_at__lt=end) & ~Q(outcome="")
    if query.scope.agency_id is not None:
        scope &= Q(placement__survivor__agency_id=query.scope.agency_id)
    if query.filters.state:
        scope &= Q(placement__survivor__custody_state=query.filters.state)
    rows = (
        FollowUp.objects.filter(scope)
        .values_list("day", "placement__home__home_type", "outcome")
        .annotate(n=Count("id"), from_discharge=Count("id", filter=Q(from_discharge=True)))
        .order_by()
    )
    counts: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    from_discharge = 0
    for day, home_type, outcome, n, discharged in rows:
        counts[day][home_type][outcome] = n
        from_discharge += discharged
    types = [t for t in HomeType.values if any(t in counts[d] for d in (30, 90))]
    type_labels = [dict(HomeType.choices)[t] for t in types]
    outcome_values = list(FollowUp.Outcome)
    tables = [
        _table(
            f"day_{day}",
            f"Placements at {day} days, by home type and outcome",
            "Home type",
            type_labels,
            [o.label for o in outcome_values],
            [[counts[day][t].get(o.value, 0) for o in outcome_values] for t in types],
            unit="placements",
        )
        for day in (30, 90)
    ]
    discharged = suppress_values(["from discharge"], [from_discharge])[0]
    shown = "fewer than 11" if discharged is None and from_discharge else str(from_discharge)
    ninety = tables[1]
    return Report(
        name="outcomes",
        title=REPORTS["outcomes"].title,
        description=REPORTS["outcomes"].description,
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
                unit="placements",
                chart_id="chart-outcomes",
                withheld=ninety.withheld,
                description="The 90-day table, one bar per outcome.",
            ),
        ),
        notes=(
            SUPPRESSED_NOTE,
            f"Of these follow-ups, {shown} were filled from a discharge before the day came.",
        ),
        method=(
            "Follow-ups due in the period with an outcome recorded. A placement that ended "
            "before its 30th or 90th day counts through its discharge reason (a runaway as "
            "ran away, a planned move as moved as planned).",
            MONTHS_NOTE,
        ),
    )


# ---------------------------------------------------------------------------------------
# The list


@dataclass(frozen=True)
class ReportInfo:
    title: str
    description: str
    selector: Callable[..., Report]


REPORTS: dict[str, ReportInfo] = {
    "unmet-need": ReportInfo(
        "Unmet need",
        "Children and searches with no feasible home, by state, age band, gender and need.",
        unmet_need,
    ),
    "blocking-rules": ReportInfo(
        "What blocks children",
        "For each matching rule, the children it alone kept from a home and the children "
        "it blocked at all.",
        blocking_rules,
    ),
    "time-to-placement": ReportInfo(
        "Time to placement",
        "Days from intake to first placement: median and 90th percentile, by state and urgency.",
        time_to_placement,
    ),
    "referral-answers": ReportInfo(
        "Referral answers",
        "Per home: referrals, how they were answered, decline reasons, answer time and "
        "expired holds.",
        referral_answers,
    ),
    "outcomes": ReportInfo(
        "Placement outcomes",
        "How placements stood at 30 and 90 days, by home type.",
        outcomes,
    ),
}


def report_list(*, user: RequestUser) -> list[tuple[str, ReportInfo]]:
    """The reports a user may read (all of them, or Forbidden)."""
    report_scope(user)
    return list(REPORTS.items())


def report_get(*, user: RequestUser, name: str, filters: Filters) -> Report:
    """One report; KeyError for a name that is not a report."""
    info = REPORTS[name]
    return info.selector(
        user=user, date_from=filters.date_from, date_to=filters.date_to, state=filters.state
    )
