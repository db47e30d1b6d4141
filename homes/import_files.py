"""A directory file (CSV or XLSX) read at the door, and the template it is made from.

The columns are homes.columns' (the export's, so an exported file imports back).
`read_table` checks the file (extension, size, readable, header) so a bad file is a 400
naming `file` at once (ImportFileError); homes.imports then checks and stores its rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext

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
            gettext(
                "%(name)r is not a .csv or .xlsx file: save the sheet as CSV (UTF-8) or Excel "
                "workbook (.xlsx)."
            )
            % {"name": name[:80]}
        )
    return suffix


def _decode_csv(content: bytes) -> str:
    if b"\x00" in content[:65536]:
        raise ImportFileError(gettext("This is not a CSV file (it holds binary data)."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            gettext("This CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")
        ) from None


def _csv_rows(content: bytes) -> Iterator[list[object]]:
    text = _decode_csv(content)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), strict=True)
    except csv.Error as error:
        raise ImportFileError(
            gettext("This CSV file cannot be read: %(error)s.") % {"error": error}
        ) from None


def _xlsx_rows(content: bytes) -> Iterator[list[object]]:
    """The first sheet's rows, read by calamine (Rust): 10,000 homes in under a second
    where openpyxl took 15 to 40. Its XML reader expands no entities; the unpacked size
    and the text the cells would expand to (check_xlsx_expansion) are checked first, as
    calamine copies a shared string into every cell that uses it."""
    from python_calamine import CalamineWorkbook

    if not content.startswith(b"PK\x03\x04"):
        raise ImportFileError(gettext("This is not an Excel workbook (.xlsx) file."))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > XLSX_UNPACKED_MAX:
                raise ImportFileError(gettext("This workbook unpacks to too much data to import."))
            check_xlsx_expansion(archive)
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        if not book.sheet_names:
            return
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ImportFileError:
        raise
    except Exception:  # a damaged or foreign zip fails in many ways
        raise ImportFileError(gettext("This Excel workbook (.xlsx) cannot be read.")) from None
    for row in rows:
        # calamine gives "" for an empty cell and a float for every number: whole numbers
        # come back as the integers a person typed.
        yield [int(cell) if isinstance(cell, float) and cell.is_integer() else cell for cell in row]


# --- What a workbook would expand to -------------------------------------------------
#
# A workbook's shared strings are stored once and referenced by index, so a 7 KB file
# holding one 4 MB string used in 100 cells unpacks within every size limit yet
# becomes 400 MB of text once a reader copies the string into each cell. Before any
# reader builds cells, the workbook's XML is streamed (64 KB at a time, nothing kept
# but one length per shared string) and the file is refused if one cell would hold
# more than XLSX_CELL_TEXT_MAX characters, all its cells together more than
# XLSX_TEXT_MAX, or a cell would lie beyond the rows and columns an import can hold
# (a reader lays a sheet out as a dense grid up to its last cell).

XLSX_CELL_TEXT_MAX = 10_000  # characters in one cell: a home's longest text is far shorter
XLSX_TEXT_MAX = 32 * 1024 * 1024  # characters in all the cells of the workbook together
XLSX_SHARED_STRINGS_MAX = 1_000_000  # distinct shared strings (one int each is kept)
XLSX_COLUMNS_MAX = 200  # the template has about 30
XLSX_ROWS_MAX = MAX_ROWS + 1_000  # the homes, the header and some blank rows
_CHUNK = 64 * 1024


class _TooLarge(Exception):
    pass


def _stream_xml(archive: zipfile.ZipFile, name: str, parser: Any) -> None:
    """Feed one part of the workbook to an expat parser without reading it whole. A
    document type declaration (where entities would be declared) is refused."""

    def refuse_doctype(*_: object) -> None:
        raise ImportFileError(
            gettext("This Excel workbook (.xlsx) declares XML entities: save it again.")
        )

    parser.StartDoctypeDeclHandler = refuse_doctype
    with archive.open(name) as part:
        while chunk := part.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag.rsplit(":", 1)[-1]


def _shared_string_lengths(archive: zipfile.ZipFile, name: str) -> array[int]:
    """The length in characters of each shared string, refusing any above the cell cap."""
    from xml.parsers import expat

    lengths: array[int] = array("I")
    state = {"in_t": False, "current": 0, "total": 0}
    parser = expat.ParserCreate(namespace_separator="}")

    def start(tag: str, _attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "si":
            state["current"] = 0
        elif local == "t":
            state["in_t"] = True

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "t":
            state["in_t"] = False
        elif local == "si":
            if len(lengths) >= XLSX_SHARED_STRINGS_MAX:
                raise _TooLarge
            lengths.append(state["current"])

    def text(data: str) -> None:
        if state["in_t"]:
            state["current"] += len(data)
            state["total"] += len(data)
            if state["current"] > XLSX_CELL_TEXT_MAX or state["total"] > XLSX_TEXT_MAX:
                raise _TooLarge

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _stream_xml(archive, name, parser)
    return lengths


_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _check_sheet(archive: zipfile.ZipFile, name: str, shared: array[int], total: int) -> int:
    """The characters the sheet's cells would hold, added to `total`; _TooLarge when a
    cell, the total or the sheet's extent is past its limit."""
    from xml.parsers import expat

    state: dict[str, Any] = {"kind": "", "in_value": False, "digits": "", "cell": 0}
    state["total"] = total
    parser = expat.ParserCreate(namespace_separator="}")

    def add(count: int) -> None:
        state["cell"] += count
        state["total"] += count
        if state["cell"] > XLSX_CELL_TEXT_MAX or state["total"] > XLSX_TEXT_MAX:
            raise _TooLarge

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "c":
            state["kind"], state["cell"] = attrs.get("t", "n"), 0
            match = _CELL_REF.match(attrs.get("r", "A1"))
            if match is None:
                raise _TooLarge
            if _column_number(match[1]) > XLSX_COLUMNS_MAX or int(match[2]) > XLSX_ROWS_MAX:
                raise _TooLarge
        elif local in ("v", "t"):
            state["in_value"], state["digits"] = True, ""
        elif local == "row" and int(attrs.get("r", "1") or "1") > XLSX_ROWS_MAX:
            raise _TooLarge
        elif local == "dimension":
            # The extent the reader will lay out: "A1:AD20001".
            for ref in attrs.get("ref", "A1").split(":"):
                match = _CELL_REF.match(ref)
                if match and (
                    _column_number(match[1]) > XLSX_COLUMNS_MAX or int(match[2]) > XLSX_ROWS_MAX
                ):
                    raise _TooLarge

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "v" and state["kind"] == "s":
            digits = state["digits"].strip()
            index = int(digits) if digits.isascii() and digits.isdigit() else -1
            add(shared[index] if 0 <= index < len(shared) else 0)
        if local in ("v", "t"):
            state["in_value"] = False

    def text(data: str) -> None:
        if not state["in_value"]:
            return
        if state["kind"] == "s":
            if len(state["digits"]) < 12:
                state["digits"] += data
        else:
            add(len(data))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _stream_xml(archive, name, parser)
    return int(state["total"])


def check_xlsx_expansion(archive: zipfile.ZipFile) -> None:
    """ImportFileError if the workbook's cells would expand past the limits above."""
    names = archive.namelist()
    shared_names = [n for n in names if n.lower().endswith("sharedstrings.xml")]
    sheets = [n for n in names if n.lower().startswith("xl/worksheets/") and n.endswith(".xml")]
    try:
        shared: array[int] = array("I")
        for name in shared_names:
            shared.extend(_shared_string_lengths(archive, name))
        total = 0
        for name in sheets:
            total = _check_sheet(archive, name, shared, total)
    except _TooLarge:
        raise ImportFileError(too_much_text_message()) from None
    except ImportFileError:
        raise
    except Exception:  # malformed XML, a part that is not there
        raise ImportFileError(gettext("This Excel workbook (.xlsx) cannot be read.")) from None


def too_much_text_message() -> str:
    return gettext(
        "This workbook would expand to too much text to import: a cell may hold at most "
        "%(cell)s characters, all cells together %(total)s million, in at most %(rows)s "
        "rows and %(columns)s columns."
    ) % {
        "cell": f"{XLSX_CELL_TEXT_MAX:,}",
        "total": XLSX_TEXT_MAX // (1024 * 1024),
        "rows": f"{XLSX_ROWS_MAX:,}",
        "columns": XLSX_COLUMNS_MAX,
    }


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
        raise ImportFileError(gettext("The file is empty."))
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
            raise ImportFileError(
                gettext("The file has more than %(most)s homes: split it.")
                % {"most": number_format(MAX_ROWS, force_grouping=True)}
            )
        table.rows.append((number, dict(zip(table.headers, cells, strict=False))))
        if head_only:
            break
    if table is None:
        raise ImportFileError(
            gettext("The file is empty: its first row must be the template's headers.")
        )
    if not table.rows:
        raise ImportFileError(gettext("The file has the headers but no homes below them."))
    return table


def too_large_message() -> str:
    return gettext("The file is larger than %(mb)s MB: split it into parts.") % {
        "mb": max_bytes() // (1024 * 1024)
    }


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


def template_rows(homes: Iterable[Home] | None = None) -> list[list[str]]:
    """The example home's row, or one row per home given (a home admin's own, as they
    are now, each with the external id a re-import matches on)."""
    if homes is None:
        return [template_row()]
    return [[c.write(home) for c in columns.IMPORT_COLUMNS] for home in homes]


def template_csv(homes: Iterable[Home] | None = None) -> bytes:
    from core.spreadsheet import csv_lines

    return "".join(csv_lines(template_headers(), template_rows(homes))).encode("utf-8")


def template_xlsx(homes: Iterable[Home] | None = None) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Homes"
    sheet.append(template_headers())
    # Every cell as text (a ZIP keeps its leading zero); none starts like a formula.
    for number, row in enumerate(template_rows(homes), start=2):
        sheet.append(row)
        for cell in sheet[number]:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
