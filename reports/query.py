"""What every report counts over: the user's agencies (reports.scope), the period (whole
months, in the server's time zone) and the custody state, as ORM conditions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from core.types import RequestUser
from reports.scope import Scope, report_scope
from reports.types import Filters


def window(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the server's time zone."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(date_from, time.min), zone)
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), zone)
    return start, end


@dataclass(frozen=True)
class ReportQuery:
    scope: Scope
    filters: Filters

    def where(self, *, at: str, agency: str, state: str) -> Q:
        """The rows whose `at` falls in the period, of the user's agencies, of the state
        asked for: each argument names the field (a lookup path) to test."""
        start, end = window(self.filters.date_from, self.filters.date_to)
        condition = Q(**{f"{at}__gte": start, f"{at}__lt": end})
        if self.scope.agency_id is not None:
            condition &= Q(**{agency: self.scope.agency_id})
        if self.filters.state:
            condition &= Q(**{state: self.filters.state})
        return condition


def report_query(
    *, user: RequestUser, date_from: date, date_to: date, state: str | None
) -> ReportQuery:
    """The user's scope (Forbidden for a role that never reads reports) and the filters."""
    return ReportQuery(
        report_scope(user), Filters(date_from=date_from, date_to=date_to, state=state or "")
    )
