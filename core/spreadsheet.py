"""Cells of the CSV files people download and open in a spreadsheet, and read back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

# A cell starting with one of these is run as a formula by a spreadsheet ("=HYPERLINK(...)");
# a leading apostrophe is escaped too, so that unescaping gives back exactly what was written.
# Their full-width forms (＝ ＋ － ＠) are turned into formulas too by spreadsheets in
# East Asian locales, which fold them to the ASCII ones on entry.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_ESCAPED_STARTS = (*_FORMULA_STARTS, "'")

# Bidirectional controls (embeddings, overrides, isolates, marks) make a cell display
# reversed or reordered text ("exe.pdf" shown for "fdp.exe", digits of a count swapped):
# they carry no meaning a directory or a report needs, so they are dropped.
_BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)

# A byte-order mark first, so a spreadsheet reads the file as UTF-8 ("13–18", accents).
BOM = "\ufeff"


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (full-width or not, or
    a tab or carriage return) would be run as a formula, so it gets a leading apostrophe;
    bidirectional controls are dropped."""
    text = "" if value is None else str(value).translate(_BIDI_CONTROLS)
    return "'" + text if text[:1] in _ESCAPED_STARTS else text


def spreadsheet_unescape(text: str) -> str:
    """The cell `spreadsheet_safe` was given: its leading apostrophe taken off again."""
    if len(text) > 1 and text[0] == "'" and text[1] in _ESCAPED_STARTS:
        return text[1:]
    return text


class _Line:
    """csv.writer writes into this; each row is handed on at once."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text a row at a time (a streamed download), BOM first; every cell escaped."""
    import csv

    writer = csv.writer(_Line())
    yield BOM + writer.writerow([spreadsheet_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row])
