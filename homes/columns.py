"""The directory's spreadsheet columns: one ordered list for the CSV export and the import.

Each column is a home's profile field (homes.services.PROFILE_FIELDS, in the model's
order), headed by the field's name so a file explains itself, then `afcars_setting`,
which the export writes and the import ignores. A column writes a cell as text and reads
one back: lists joined with ";", booleans "yes"/"no", dates ISO (2026-05-01), vocabulary
as codes. A reader takes what the writer writes and also what people type: vocabulary
by label ("Safe home", "Spanish", "Kansas"), "true"/"1", a US date (5/1/2026), and the
numbers, dates and booleans an XLSX cell holds. A bad cell raises a ValidationError
whose message says what is wrong; `read_row` gathers them by column header.

`external_id` is the key a re-import matches on. A home entered by hand has none: the
export writes `harbor-<id>` for it (`harbor_id` reads the id back), so every exported
row names its home and re-importing an exported file updates instead of duplicating.

Cells are escaped against formulas (core.spreadsheet) by the writer of the file, and a
reader takes the escape off, so an escaped "'=Hope House" reads back as "=Hope House".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, gettext_noop

from core.spreadsheet import spreadsheet_unescape
from core.vocab import (
    AFCARS_SETTINGS,
    HOME_TYPE_AFCARS,
    LANGUAGE_NAMES,
    US_STATES,
    Gender,
    Service,
    clean_tribes,
    validate_tribes,
)
from homes.models import Home

HARBOR_ID_PREFIX = "harbor-"
LIST_SEPARATOR = ";"
_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")

Writer = Callable[[Home], str]
Reader = Callable[[object], Any]


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: the Home field it fills (None: export only), its header,
    how a home's cell is written, and how a cell is read (None: ignored on import)."""

    header: str
    field: str | None
    write: Writer
    read: Reader | None


def harbor_id(external_id: str) -> int | None:
    """The home id in an exported `harbor-<id>` key, else None (a key from elsewhere)."""
    if external_id.startswith(HARBOR_ID_PREFIX):
        rest = external_id[len(HARBOR_ID_PREFIX) :]
        if rest.isascii() and rest.isdigit() and len(rest) < 10:
            return int(rest)
    return None


def _text(value: object) -> str:
    """A cell as trimmed text: None is "", an XLSX number 12.0 is "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return spreadsheet_unescape(str(value).strip()).strip()


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _blank(field: models.Field) -> Any:
    """What an empty cell means: the field's default, "" or None if it may be empty."""
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if field.blank:
        return ""
    raise ValidationError(gettext("Required: this cell may not be empty."))


# --- writers -------------------------------------------------------------------------


def _write_plain(name: str) -> Writer:
    def write(home: Home) -> str:
        value = getattr(home, name)
        return "" if value is None else str(value)

    return write


def _write_bool(name: str) -> Writer:
    return lambda home: "yes" if getattr(home, name) else "no"


def _write_date(name: str) -> Writer:
    def write(home: Home) -> str:
        value = getattr(home, name)
        return value.isoformat() if value else ""

    return write


def _write_list(name: str) -> Writer:
    return lambda home: LIST_SEPARATOR.join(getattr(home, name) or [])


def _write_external_id(home: Home) -> str:
    return home.external_id or f"{HARBOR_ID_PREFIX}{home.pk}"


def _write_afcars(home: Home) -> str:
    return str(HOME_TYPE_AFCARS.get(home.home_type, ""))


# --- readers -------------------------------------------------------------------------


def _read_text(field: models.Field) -> Reader:
    def read(value: object) -> str:
        text = _text(value)
        if not text:
            return _blank(field)
        if field.max_length and len(text) > field.max_length:
            raise ValidationError(
                gettext("%(value)s is too long: at most %(most)s characters.")
                % {"value": _short(text), "most": field.max_length}
            )
        return text

    return read


def _read_zip(field: models.Field) -> Reader:
    def read(value: object) -> str:
        text = _text(value)
        if not text:
            return _blank(field)
        # A spreadsheet drops a ZIP's leading zeros (06614 -> 6614); the model then checks
        # that the ZIP exists and lies in the home's state.
        if text.isascii() and text.isdigit() and 3 <= len(text) < 5:
            text = text.zfill(5)
        if not (len(text) == 5 and text.isascii() and text.isdigit()):
            raise ValidationError(
                gettext("%(value)s is not a 5-digit ZIP code.") % {"value": _short(text)}
            )
        return text

    return read


def _read_int(field: models.Field) -> Reader:
    def read(value: object) -> int | None:
        if isinstance(value, bool):
            raise ValidationError(gettext("%(value)s is not a whole number.") % {"value": value})
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            text = _text(value)
            if not text:
                return _blank(field)
            try:
                number = int(text)
            except ValueError:
                raise ValidationError(
                    gettext("%(value)s is not a whole number.") % {"value": _short(text)}
                ) from None
        if number < 0:
            raise ValidationError(
                gettext("%(value)s is negative: give 0 or more.") % {"value": number}
            )
        if number > 2147483647:
            raise ValidationError(gettext("%(value)s is too large.") % {"value": number})
        return number

    return read


def _read_float(field: models.Field) -> Reader:
    def read(value: object) -> float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            text = _text(value)
            if not text:
                return _blank(field)
            try:
                number = float(text)
            except ValueError:
                raise ValidationError(
                    gettext("%(value)s is not a number.") % {"value": _short(text)}
                ) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValidationError(gettext("Give a finite number."))
        return number

    return read


def _read_bool(field: models.Field) -> Reader:
    def read(value: object) -> bool:
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if not text:
            return _blank(field)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError(gettext("%(value)s is not yes or no.") % {"value": _short(text)})

    return read


def _read_date(field: models.Field) -> Reader:
    def read(value: object) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _text(value)
        if not text:
            return _blank(field)
        try:
            us = _US_DATE.match(text)
            if us:
                month, day, year = (int(part) for part in us.groups())
                return dt.date(year, month, day)
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                gettext("%(value)s is not a date: give it as 2026-05-01 (or 5/1/2026).")
                % {"value": _short(text)}
            ) from None

    return read


def _lookup(choices: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Codes and labels, case-folded, to the code."""
    table: dict[str, str] = {}
    for code, label in choices:
        table[str(label).casefold()] = code
    for code, _label in choices:
        table[code.casefold()] = code
    return table


def _example(choices: list[tuple[str, str]]) -> str:
    code, label = choices[0]
    return gettext("e.g. %(code)s or %(label)s") % {"code": code, "label": label}


def _read_choice(field: models.Field, what: str, choices: list[tuple[str, str]]) -> Reader:
    table = _lookup(choices)

    def read(value: object) -> str:
        text = " ".join(_text(value).split())
        if not text:
            return _blank(field)
        code = table.get(text.casefold())
        if code is None:
            raise ValidationError(
                gettext("%(value)s is not a %(what)s: give a code or a name, %(example)s.")
                % {"value": _short(text), "what": gettext(what), "example": _example(choices)}
            )
        return code

    return read


def _read_list(field: models.Field, what: str, choices: list[tuple[str, str]]) -> Reader:
    table = _lookup(choices)

    def read(value: object) -> list[str]:
        text = _text(value)
        if not text:
            return _blank(field)
        codes: list[str] = []
        unknown: list[str] = []
        for part in text.replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR):
            word = " ".join(part.split())
            if not word:
                continue
            code = table.get(word.casefold())
            if code is None:
                unknown.append(_short(word))
            elif code not in codes:
                codes.append(code)
        if unknown:
            raise ValidationError(
                gettext(
                    "Unknown %(what)s: %(values)s. Give codes or names separated by "
                    '"%(separator)s", %(example)s.'
                )
                % {
                    "what": gettext(what),
                    "values": ", ".join(unknown),
                    "separator": LIST_SEPARATOR,
                    "example": _example(choices),
                }
            )
        return codes

    return read


def _read_tribes(field: models.Field) -> Reader:
    """Tribes by name, separated by LIST_SEPARATOR (a tribe's name may hold a comma)."""

    def read(value: object) -> list[str]:
        names = clean_tribes(_text(value).split(LIST_SEPARATOR))
        try:
            validate_tribes(names)
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from None
        return names

    return read


# --- the columns ---------------------------------------------------------------------

_CHOICE_WHAT = {
    "home_type": gettext_noop("home type"),
    "state": gettext_noop("state"),
    "substance_use_accepted": gettext_noop("substance use level"),
    "medical_level": gettext_noop("medical level"),
    "mental_health_max": gettext_noop("mental health acuity"),
}
_LISTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "genders_served": (
        gettext_noop("genders"),
        [(value, str(label)) for value, label in Gender.choices],
    ),
    # English and Spanish first: the example a message gives.
    "languages": (
        gettext_noop("languages"),
        sorted(LANGUAGE_NAMES.items(), key=lambda item: (item[0] not in ("en", "es"), item)),
    ),
    "services": (
        gettext_noop("services"),
        [(value, str(label)) for value, label in Service.choices],
    ),
}


def _column(field: models.Field) -> Column:
    name = field.name
    write: Writer = _write_plain(name)
    if name == "external_id":
        return Column(name, name, _write_external_id, _read_text(field))
    if name == "zip_code":
        return Column(name, name, write, _read_zip(field))
    if name == "state":
        return Column(name, name, write, _read_choice(field, "state", sorted(US_STATES.items())))
    if name == "approving_tribes":
        return Column(name, name, _write_list(name), _read_tribes(field))
    if name in _LISTS:
        what, choices = _LISTS[name]
        return Column(name, name, _write_list(name), _read_list(field, what, choices))
    if field.choices:
        what = _CHOICE_WHAT.get(name, name.replace("_", " "))
        choices = [(str(value), str(label)) for value, label in field.flatchoices]
        return Column(name, name, write, _read_choice(field, what, choices))
    if isinstance(field, models.BooleanField):
        return Column(name, name, _write_bool(name), _read_bool(field))
    if isinstance(field, models.DateField):
        return Column(name, name, _write_date(name), _read_date(field))
    if isinstance(field, models.IntegerField):
        return Column(name, name, write, _read_int(field))
    if isinstance(field, models.FloatField):
        return Column(name, name, write, _read_float(field))
    if isinstance(field, models.CharField):
        return Column(name, name, write, _read_text(field))
    raise TypeError(f"homes.columns has no column for {type(field).__name__} {name}")


# The profile fields as homes.services.PROFILE_FIELDS lists them (a test checks they agree).
_PROFILE_FIELDS = [
    f
    for f in Home._meta.get_fields()
    if isinstance(f, models.Field) and f.editable and not f.auto_created and f.name != "id"
]
AFCARS_COLUMN = Column("afcars_setting", None, _write_afcars, None)
COLUMNS: list[Column] = [*(_column(f) for f in _PROFILE_FIELDS), AFCARS_COLUMN]
HEADERS: list[str] = [c.header for c in COLUMNS]
# What an import reads; the others (afcars_setting) may be present and are ignored.
IMPORT_COLUMNS: list[Column] = [c for c in COLUMNS if c.read is not None]
EXPORT_ONLY_HEADERS = frozenset(c.header for c in COLUMNS if c.read is None)
AFCARS_NOTE = "; ".join(f"{code} {label}" for code, label in AFCARS_SETTINGS.items())


def write_row(home: Home) -> list[str]:
    """A home's cells, in HEADERS' order (not yet escaped against formulas)."""
    return [column.write(home) for column in COLUMNS]


def check_headers(headers: Iterable[object]) -> None:
    """A file's header row names every import column once and nothing unknown; the order
    is free. Raises a ValidationError saying which headers are missing or unknown."""
    seen = [_text(h) for h in headers]
    known = set(HEADERS)
    problems: list[str] = []
    missing = [c.header for c in IMPORT_COLUMNS if c.header not in seen]
    unknown = [h for h in seen if h and h not in known]
    doubled = sorted({h for h in seen if h and seen.count(h) > 1})
    if missing:
        problems.append(gettext("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(
            gettext("Unknown columns: %(columns)s.")
            % {"columns": ", ".join(_short(h) for h in unknown[:10])}
        )
    if doubled:
        problems.append(
            gettext("Columns given twice: %(columns)s.") % {"columns": ", ".join(doubled)}
        )
    if problems:
        problems.append(gettext("The first row must be the template's headers."))
        raise ValidationError(" ".join(problems))


def read_row(row: Mapping[str, object]) -> dict[str, Any]:
    """One row (header -> cell) as model field values, every import column filled.

    Raises a ValidationError {header: [message]} naming each bad cell; export-only and
    unknown headers are ignored (check_headers refuses unknown ones first).
    """
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for column in IMPORT_COLUMNS:
        assert column.read is not None and column.field is not None
        try:
            data[column.field] = column.read(row.get(column.header))
        except ValidationError as error:
            errors[column.header] = error.messages
    if errors:
        raise ValidationError(errors)
    return data
