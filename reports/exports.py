"""A report as CSV: one line per published number (table, row, column, value), exactly
the cells the page shows; a withheld one reads "suppressed", never its count."""

from __future__ import annotations

from collections.abc import Iterator

from core.spreadsheet import csv_lines
from reports.suppression import SUPPRESSED_TEXT
from reports.types import Cell, Report

HEADER = ["report", "table", "row", "column", "value"]
TOTAL = "Total"


def _value(cell: Cell) -> object:
    return SUPPRESSED_TEXT if cell is None else cell


def report_csv_rows(report: Report) -> Iterator[list[object]]:
    for table in report.tables:
        for label, cells, row_total in table.body():
            for column, cell in zip(table.columns, cells, strict=True):
                yield [report.name, table.name, label, column, _value(cell)]
            if table.has_totals:
                yield [report.name, table.name, label, TOTAL, _value(row_total)]
        if table.column_totals is not None:
            for column, cell in zip(table.columns, table.column_totals, strict=True):
                yield [report.name, table.name, TOTAL, column, _value(cell)]
            yield [report.name, table.name, TOTAL, TOTAL, _value(table.grand_total)]


def report_csv(report: Report) -> Iterator[str]:
    return csv_lines(HEADER, report_csv_rows(report))


def report_filename(report: Report) -> str:
    f = report.filters
    state = f"-{f.state}" if f.state else ""
    return f"harbor-{report.name}-{f.date_from:%Y-%m}-to-{f.date_to:%Y-%m}{state}.csv"
