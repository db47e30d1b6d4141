"""The one validator of a report's filters, shared by the page's form and the API's
serializer, so both refuse the same input with the same message per field."""

from __future__ import annotations

import calendar
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.vocab import US_STATES
from reports.types import Filters

MAX_MONTHS = 60  # five years: longer periods are slow and add little
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def default_period(today: date) -> tuple[date, date]:
    """The last twelve whole months, this one included."""
    return _add_months(month_start(today), -11), month_end(today)


def report_filters(
    *, date_from: date | None, date_to: date | None, state: str | None, today: date | None = None
) -> Filters:
    """Validate and round to whole months: `from` down to the 1st, `to` up to the month's
    end (differencing two overlapping periods then reveals far less).

    Raises ValidationError with a message per field ("from", "to", "state")."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    for name, value in (("from", date_from), ("to", date_to)):
        if value is not None and not EARLIEST <= value <= LATEST:
            errors[name] = [
                _("Give a date between %(first)s and %(last)s.")
                % {"first": EARLIEST.year, "last": LATEST.year}
            ]
    state = (state or "").strip().upper()
    if state and state not in US_STATES:
        errors["state"] = [
            _("%(state)s is not a USPS state code (two letters, e.g. KS).")
            % {"state": repr(state[:10])}
        ]
    if errors:
        raise ValidationError(errors)
    asked_from, asked_to = date_from, date_to
    if date_to is None:
        date_to = max(today, date_from) if date_from else today
    if date_from is None:
        date_from = default_period(date_to)[0]
    if date_from > date_to:
        raise ValidationError({"from": [_("The start of the period is after its end.")]})
    start, end = month_start(date_from), month_end(date_to)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > MAX_MONTHS:
        raise ValidationError(
            {
                "to": [
                    _("The period is %(months)s months long; give at most %(most)s (five years).")
                    % {"months": months, "most": MAX_MONTHS}
                ]
            }
        )
    return Filters(
        date_from=start, date_to=end, state=state, asked_from=asked_from, asked_to=asked_to
    )


def _add_months(day: date, months: int) -> date:
    """The 1st of the month `months` after (or before) `day`'s."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, 1)
