"""CSV cells a spreadsheet cannot run or reorder (issue 29 finding 9): a full-width ＝
and U+202E (right-to-left override) went out unescaped."""

from __future__ import annotations

import pytest

from core.spreadsheet import csv_lines, spreadsheet_safe, spreadsheet_unescape


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "＝", "＋", "－", "＠"])
def test_it_keeps_a_formula_start_from_running_full_width_or_not(start):
    cell = spreadsheet_safe(f'{start}HYPERLINK("http://evil.example","open")')

    assert cell.startswith("'")
    assert spreadsheet_unescape(cell) == f'{start}HYPERLINK("http://evil.example","open")'


@pytest.mark.parametrize(
    "control", ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u200f", "\u061c"]
)
def test_it_drops_bidirectional_controls_that_reorder_what_a_reader_sees(control):
    assert spreadsheet_safe(f"Safe Home {control}fdp.exe") == "Safe Home fdp.exe"
    # A control hiding a formula start is dropped first, and the formula escaped.
    assert spreadsheet_safe(f"{control}=1+1") == "'=1+1"


def test_a_whole_file_carries_neither():
    text = "".join(csv_lines(["name"], [["＝cmd|' /C calc'!A0"], ["A\u202eB"]]))

    assert "\u202e" not in text
    assert "\n'＝cmd" in text
