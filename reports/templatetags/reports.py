from __future__ import annotations

from django import template

from reports.suppression import SMALL_TEXT

register = template.Library()


@register.filter
def report_cell(value: int | float | None, withheld: str = SMALL_TEXT) -> str:
    """A published number as the page prints it; a withheld one as its words."""
    if value is None:
        return withheld
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"
