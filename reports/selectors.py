"""The reports, one module each, and the two reads the pages and the API make of them.

Every number is counted in the database over the user's scope (reports.scope), with
one query path on PostgreSQL and SQLite (reports.sql), then protected
(reports.cellkey) before it leaves the report's module: nothing exact reaches a
page, the API or a CSV.

Counts are of children, not of searches or referrals, wherever a child could be counted
twice: twelve searches for one child must not pass as twelve children.
"""

from __future__ import annotations

from core.types import RequestUser
from reports import (
    blocking_rules,
    duties,
    outcomes,
    referral_answers,
    time_to_placement,
    unmet_need,
)
from reports.scope import report_scope
from reports.types import Filters, Report, ReportInfo

REPORTS: dict[str, ReportInfo] = {
    module.NAME: module.INFO
    for module in (
        unmet_need,
        blocking_rules,
        time_to_placement,
        referral_answers,
        outcomes,
        duties,
    )
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
