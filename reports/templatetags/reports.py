from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

from reports.types import WITHHELD_TEXT

register = template.Library()


@register.filter
def report_cell(value: int | float | None, withheld: str = WITHHELD_TEXT) -> str:
    """A published number as the page's language writes it (1,234.5 or 1.234,5); a
    statistic not shown as its words, translated (`withheld` is the English marker)."""
    if value is None:
        return gettext(withheld)
    if isinstance(value, float) and not value.is_integer():
        return number_format(value, 1, force_grouping=True)
    return number_format(int(value), force_grouping=True)
