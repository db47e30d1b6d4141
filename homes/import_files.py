"""A directory file (CSV or XLSX) read at the door, and the template it is made from.

The columns are homes.columns' (the export's, so an exported file imports back).
`read_table` checks the file (extension, size, readable, header) so a bad file is a 400
naming `file` at once (ImportFileError); homes.imports then checks and stores its rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from homes import columns
from homes.models import Home

FORMATS = ("csv", "xlsx")
MAX_ROWS = 20_000
# An XLSX is a zip: refuse one that would unpack to more than this (a zip bomb).
XLSX_UNPACKED_MAX = 200 * 1024 * 1024


class ImportFileError(ValidationError):
    """The file itself cannot be imported: a 400 naming `file`."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": [message]})


def max_bytes() -> int:
    return settings.HOME_IMPORT_MAX_BYTES


# --- Reading a file ------------------------------------------------------------------


def file_format(name: str) -> str:
    """ "csv" or "xlsx" from the file's name, or ImportFileError."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in FORMATS:
        raise ImportFileError(
            f"{name[:80]!r} is not a .csv or .xlsx file: save the sheet as CSV (UTF-8) or "
            "Excel workbook (.xlsx)."
        )
    return suffix


def _decode_csv(content: bytes) -> str:
    if b"\x00" in content[:65536]:
        raise ImportFileError("This is not a CSV file (it holds binary data).")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "This CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
        ) from None


def _csv_rows(content: bytes) -> Iterator[list[object]]:
    text = _decode_csv(content)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), strict=True)
    except csv.Error as error:
        raise ImportFileError(f"This CSV file cannot be read: {error}.") from None


def _xlsx_rows(content: bytes) -> Iterator[list[object]]:
    """The first sheet's rows, read by calamine (Rust): 10,000 homes in under a second
    where openpyxl took 15 to 40. Its XML reader expands no entities, so a crafted
    workbook cannot blow up; the unpacked size is checked first all the same."""
    from python_calamine import CalamineWorkbook

    if not content.startswith(b"PK\x03\x04"):
        raise ImportFileError("This is not an Excel workbook (.xlsx) file.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > XLSX_UNPACKED_MAX:
                raise ImportFileError("This workbook unpacks to too much data to import.")
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        if not book.sheet_names:
            return
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ImportFileError:
        raise
    except Exception:  # a damaged or foreign zip fails in many ways
        raise ImportFileError("This Excel workbook (.xlsx) cannot be read.") from None
    for row in rows:
        # calamine gives "" for an empty cell and a float for every number: whole numbers
        # come back as the integers a person typed.
        yield [int(cell) if isinstance(cell, float) and cell.is_integer() else cell for cell in row]


def _blank(cells: list[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


@dataclass
class Table:
    headers: list[str]
    # (row number as a spreadsheet shows it, header -> cell)
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)


def read_table(*, name: str, content: bytes, head_only: bool = False) -> Table:
    """The file's header and non-blank rows, or ImportFileError saying what is wrong.
    With `head_only`, only up to the first home (the check at the door: reading a large
    workbook twice would double the wait)."""
    kind = file_format(name)
    if not content:
        raise ImportFileError("The file is empty.")
    if len(content) > max_bytes():
        raise ImportFileError(too_large_message())
    raw = _csv_rows(content) if kind == "csv" else _xlsx_rows(content)
    table: Table | None = None
    for number, cells in enumerate(raw, start=1):
        if table is None:
            if _blank(cells):
                continue
            headers = [columns._text(cell) for cell in cells]
            while headers and not headers[-1]:
                headers.pop()
            try:
                columns.check_headers(headers)
            except ValidationError as error:
                raise ImportFileError(" ".join(error.messages)) from None
            table = Table(headers)
            continue
        if _blank(cells):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} homes: split it.")
        table.rows.append((number, dict(zip(table.headers, cells, strict=False))))
        if head_only:
            break
    if table is None:
        raise ImportFileError("The file is empty: its first row must be the template's headers.")
    if not table.rows:
        raise ImportFileError("The file has the headers but no homes below them.")
    return table


def too_large_message() -> str:
    return f"The file is larger than {max_bytes() // (1024 * 1024)} MB: split it into parts."


# --- The template --------------------------------------------------------------------


def example_home() -> Home:
    return Home(
        external_id="KS-0001",
        name="Example Safe Home",
        home_type="safe_home",
        state="KS",
        zip_code="66101",
        licensed_beds=6,
        available_beds=2,
        staff_on_duty=2,
        residents_per_staff=3,
        min_age=12,
        max_age=17,
        genders_served=["female", "nonbinary"],
        substance_use_accepted="in_recovery",
        medical_level="routine",
        mental_health_max="moderate",
        accepts_state_wards=True,
        accepts_parent_placements=True,
        intake_24_7=True,
        languages=["en", "es"],
        services=["trauma_therapy", "education"],
        intake_phone="(913) 555-0142",
        contact_name="Maria Lopez",
        license_number="KS-RCC-0042",
        license_expires=dt.date(2027, 3, 31),
    )


def template_headers() -> list[str]:
    return [c.header for c in columns.IMPORT_COLUMNS]


def template_row() -> list[str]:
    home = example_home()
    return [c.write(home) for c in columns.IMPORT_COLUMNS]


def template_csv() -> bytes:
    from core.spreadsheet import csv_lines

    return "".join(csv_lines(template_headers(), [template_row()])).encode("utf-8")


def template_xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Homes"
    sheet.append(template_headers())
    # Every cell as text (a ZIP keeps its leading zero); none starts like a formula.
    sheet.append(template_row())
    for cell in sheet[2]:
        cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
