"""A report as CSV: one line per published number (table, row, column, value), exactly
the cells the page shows, protected as there (reports.cellkey); a median not shown reads
"not shown".

What a program reads stays the same in every language: the header (`report`, `table`,
`row`, `column`, `value`, names like the API's fields), the report's and the table's
names (codes) and the value column (a plain number, "1234.5", or the marker
"not shown"). What a person reads follows the language of the request, as on the page:
the row and column labels, "Total" among them. A script that matches labels asks in one
language (Accept-Language, or its user's profile)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext

from core.spreadsheet import csv_lines
from reports.types import WITHHELD_TEXT, Cell, Report

HEADER = ["report", "table", "row", "column", "value"]


def _value(cell: Cell) -> object:
    return WITHHELD_TEXT if cell is None else cell


def report_csv_rows(report: Report) -> Iterator[list[object]]:
    total = gettext("Total")
    for table in report.tables:
        for label, cells, row_total in table.body():
            for column, cell in zip(table.columns, cells, strict=True):
                yield [report.name, table.name, label, column, _value(cell)]
            if table.has_totals:
                yield [report.name, table.name, label, total, _value(row_total)]
        if table.column_totals is not None:
            for column, cell in zip(table.columns, table.column_totals, strict=True):
                yield [report.name, table.name, total, column, _value(cell)]
            yield [report.name, table.name, total, total, _value(table.grand_total)]


def report_csv(report: Report) -> Iterator[str]:
    return csv_lines(HEADER, report_csv_rows(report))


def report_filename(report: Report) -> str:
    f = report.filters
    state = f"-{f.state}" if f.state else ""
    return f"harbor-{report.name}-{f.date_from:%Y-%m}-to-{f.date_to:%Y-%m}{state}.csv"
