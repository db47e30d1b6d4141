"""Reports in a real browser (issue 14): a supervisor opens each report, the chart's bars
and value labels agree with the table, the CSV holds the numbers the tables show (both
protected by the cell-key method), axe finds nothing serious, and nothing scrolls
sideways at 375 px (the tables scroll inside their frame).

Screenshots: /work/shots/report-<name>.png (desktop) and report-<name>-phone.png."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from reports.selectors import REPORTS
from reports.types import WITHHELD_TEXT
from tests.browser.conftest import DESKTOP, PHONE, axe_serious, sign_in
from tests.reports.conftest import history  # noqa: F401  (the hand-built history)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots")
QUERY = "?from=2026-01-01&to=2026-12-31"
WITHHELD = {WITHHELD_TEXT}

# Every table on the page as {caption: {"columns": [...], "rows": {label: [cell text]}}}.
READ_TABLES = """() => Object.fromEntries([...document.querySelectorAll('table.report-table')]
  .map(t => [t.querySelector('caption').textContent.trim(), {
    columns: [...t.querySelectorAll('thead th')].slice(1).map(th => th.textContent.trim()),
    rows: Object.fromEntries([...t.querySelectorAll('tbody tr')]
      .filter(tr => tr.querySelector('th'))
      .map(tr => [tr.querySelector('th').textContent.trim(),
                  [...tr.querySelectorAll('td')].map(td => td.textContent.trim())]))}]))"""
# Every bar and every "withheld" label of the charts: its chart's title (the caption of
# the table it draws), series, category, and value or words.
READ_CHARTS = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => [
  ...[...svg.querySelectorAll('rect.chart-bar')].map(bar => ({
    chart: svg.querySelector('title').textContent,
    series: bar.dataset.series, category: bar.dataset.category, value: bar.dataset.value,
    label: bar.nextElementSibling && bar.nextElementSibling.textContent})),
  ...[...svg.querySelectorAll('text.chart-suppressed')].map(text => ({
    chart: svg.querySelector('title').textContent,
    series: text.dataset.series, category: text.dataset.category, value: null,
    label: text.textContent}))])"""


def _number(text: str) -> float:
    return float(text.replace(",", "").split()[0])


def _agrees(mark: dict, tables: dict) -> bool:
    """The chart's table has the bar's series as a column and its category as a row, with
    the same number as the bar and its label (or the same words where it is withheld)."""
    table = tables[mark["chart"]]
    cell = table["rows"][mark["category"]][table["columns"].index(mark["series"])]
    if mark["value"] is None:
        return cell == mark["label"] and cell in WITHHELD
    return cell not in WITHHELD and _number(cell) == float(mark["value"]) == _number(mark["label"])


@pytest.mark.parametrize("name", list(REPORTS))
def test_a_supervisor_reads_each_report_chart_table_and_csv(open_page, history, name):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    page = open_page(DESKTOP)
    sign_in(page, "bob")
    page.click("nav[aria-label=Main] >> text=Reports")
    page.click(f"text={REPORTS[name].title}")
    page.goto(f"/reports/{name}/{QUERY}")
    page.wait_for_selector("svg.chart")

    tables, marks = page.evaluate(READ_TABLES), page.evaluate(READ_CHARTS)
    assert tables and marks
    disagree = [mark for mark in marks if not _agrees(mark, tables)]
    assert not disagree, disagree

    with page.expect_download() as download:
        page.click("text=Download CSV")
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows

    # Every number of the tables' bodies (their Total column too) is in the CSV, and
    # nothing else is, but the totals row: the same protected numbers.
    def value(text: str) -> str:
        return text if text in WITHHELD else str(_number(text))

    shown = sorted(value(cell) for t in tables.values() for r in t["rows"].values() for cell in r)
    exported = sorted(value(row["value"]) for row in rows if row["row"] != "Total")
    assert shown == exported

    assert axe_serious(page, f"report-{name}") == []
    page.screenshot(path=str(SHOTS / f"report-{name}.png"), full_page=True)

    phone = open_page(PHONE)
    sign_in(phone, "bob")
    phone.goto(f"/reports/{name}/{QUERY}")
    phone.wait_for_selector("svg.chart")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    assert axe_serious(phone, f"report-{name}-phone") == []
    phone.screenshot(path=str(SHOTS / f"report-{name}-phone.png"), full_page=True)
