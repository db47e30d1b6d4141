"""The values a report is made of: plain data the page, the API and the CSV all render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Cell = int | float | None  # None: a statistic not shown (beside a count below 11)

# What a page, a chart and the CSV print for a statistic not shown (an English marker the
# page and the chart translate; the CSV writes it as it is, for programs to read).
WITHHELD_TEXT = gettext_noop("not shown")


@dataclass(frozen=True)
class Filters:
    """A validated period (whole months) and an optional custody state."""

    date_from: date
    date_to: date
    state: str = ""
    # What the user asked for, when the period was widened to whole months.
    asked_from: date | None = None
    asked_to: date | None = None

    @property
    def rounded(self) -> bool:
        return (self.asked_from not in (None, self.date_from)) or (
            self.asked_to not in (None, self.date_to)
        )

    def as_query(self) -> dict[str, str]:
        query = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.state:
            query["state"] = self.state
        return query


@dataclass(frozen=True)
class ReportTable:
    """One published table: every count already protected (reports.cellkey); a median or
    percentile not shown is None."""

    name: str
    caption: str
    row_header: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[int | None, ...] | None = None
    column_totals: tuple[int | None, ...] | None = None
    grand_total: int | None = None
    has_totals: bool = False
    unit: str = ""
    withheld: str = WITHHELD_TEXT

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "caption": self.caption,
            "row_header": self.row_header,
            "rows": list(self.rows),
            "columns": list(self.columns),
            "cells": [list(row) for row in self.cells],
            "row_totals": None if self.row_totals is None else list(self.row_totals),
            "column_totals": None if self.column_totals is None else list(self.column_totals),
            "grand_total": self.grand_total,
        }

    def body(self) -> list[tuple[str, tuple[Cell, ...], int | None]]:
        """(row label, cells, row total) for the template."""
        totals = self.row_totals or (None,) * len(self.rows)
        return list(zip(self.rows, self.cells, totals, strict=True))


@dataclass(frozen=True)
class ChartSpec:
    """What reports.charts.bar_chart draws: one table's column(s) as bars."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[Cell, ...]], ...]  # (name, values)
    unit: str = ""
    chart_id: str = "chart"
    description: str = ""
    withheld: str = WITHHELD_TEXT  # as the table the bars come from prints it


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    filters: Filters
    tables: tuple[ReportTable, ...]
    charts: tuple[ChartSpec, ...] = ()
    notes: tuple[str, ...] = ()
    method: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "filters": {
                "from": self.filters.date_from.isoformat(),
                "to": self.filters.date_to.isoformat(),
                "state": self.filters.state or None,
            },
            "tables": [table.as_dict() for table in self.tables],
            "notes": [*self.notes, *self.method],
        }


@dataclass(frozen=True)
class ReportInfo:
    """A report as the list names it, and the selector that computes it (the title and
    description lazy: read in the language of the request that lists them)."""

    title: StrOrPromise
    description: StrOrPromise
    selector: Callable[..., Report]
