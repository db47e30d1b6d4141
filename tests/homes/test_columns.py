"""The directory's spreadsheet columns: what the export writes, the import reads back."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.spreadsheet import spreadsheet_safe, spreadsheet_unescape
from homes.columns import (
    COLUMNS,
    HEADERS,
    IMPORT_COLUMNS,
    check_headers,
    harbor_id,
    read_row,
    write_row,
)
from homes.models import Home
from homes.services import PROFILE_FIELDS

COLUMN = {c.header: c for c in COLUMNS}


def _home(**fields) -> Home:
    values = {
        "pk": 41,
        "name": "Lighthouse House",
        "home_type": "crisis_stabilization",
        "state": "KS",
        "zip_code": "66101",
        "latitude": 39.1155,
        "longitude": -94.6268,
        "licensed_beds": 8,
        "available_beds": 3,
        "staff_on_duty": 2,
        "genders_served": ["female", "nonbinary"],
        "languages": ["en", "es"],
        "services": ["trauma_therapy", "education"],
        "accepts_parenting": True,
        "max_dependents": 2,
        "intake_phone": "+1 (913) 555-0142 ext. 4",
        "contact_name": "Maria Lopez",
        "license_number": "KS-RC-1044",
        "license_expires": datetime.date(2027, 3, 31),
    }
    values.update(fields)
    return Home(**values)


def _cells(home: Home) -> dict[str, str]:
    """A home's row as a spreadsheet file holds it: escaped against formulas."""
    return {h: spreadsheet_safe(cell) for h, cell in zip(HEADERS, write_row(home), strict=True)}


def test_it_has_a_column_per_profile_field_then_afcars():
    assert [c.field for c in IMPORT_COLUMNS] == PROFILE_FIELDS
    assert HEADERS[0] == "external_id"
    assert HEADERS[-1] == "afcars_setting"
    assert {"available_beds", "staff_on_duty"} <= set(HEADERS)
    assert [c.header for c in COLUMNS if c.field] == [c.field for c in COLUMNS if c.field]


def test_it_writes_lists_booleans_dates_and_codes():
    row = dict(zip(HEADERS, write_row(_home()), strict=True))

    assert row["languages"] == "en;es"
    assert row["genders_served"] == "female;nonbinary"
    assert row["accepts_parenting"] == "yes"
    assert row["detox_on_site"] == "no"
    assert row["license_expires"] == "2027-03-31"
    assert row["home_type"] == "crisis_stabilization"
    assert row["afcars_setting"] == "5"
    assert row["latitude"] == "39.1155"


def test_it_writes_a_harbor_key_for_a_home_without_external_id():
    assert write_row(_home(external_id=""))[0] == "harbor-41"
    assert write_row(_home(external_id="KS-0007"))[0] == "KS-0007"
    assert harbor_id("harbor-41") == 41
    assert harbor_id("KS-0007") is None
    assert harbor_id("harbor-x") is None


def test_it_reads_back_what_it_writes():
    home = _home(name="=Hope House", contact_name="@maria", license_number="-1")
    data = read_row(_cells(home))

    expected = {name: getattr(home, name) for name in PROFILE_FIELDS}
    assert data == expected | {"external_id": "harbor-41"}


def test_it_reads_vocabulary_by_label_in_any_case():
    cells = _cells(_home())
    cells |= {
        "home_type": "Safe home",
        "state": "kansas",
        "languages": "English; Spanish, vi",
        "services": "Trauma therapy;LEGAL ADVOCACY",
        "genders_served": "Female",
        "mental_health_max": "High",
    }
    data = read_row(cells)

    assert data["home_type"] == "safe_home"
    assert data["state"] == "KS"
    assert data["languages"] == ["en", "es", "vi"]
    assert data["services"] == ["trauma_therapy", "legal_advocacy"]
    assert data["genders_served"] == ["female"]
    assert data["mental_health_max"] == "high"


def test_it_reads_what_a_spreadsheet_makes_of_cells():
    read = {h: c.read for h, c in COLUMN.items()}

    assert read["licensed_beds"](8.0) == 8
    assert read["licensed_beds"](" 8 ") == 8
    assert read["latitude"](39) == 39.0
    assert read["zip_code"]("6614") == "06614"  # leading zero dropped by the spreadsheet
    assert read["zip_code"](6614) == "06614"
    assert read["license_expires"]("3/31/2027") == datetime.date(2027, 3, 31)
    assert read["license_expires"](datetime.datetime(2027, 3, 31, 0, 0)) == datetime.date(
        2027, 3, 31
    )
    assert read["intake_24_7"](True) is True
    assert read["intake_24_7"]("TRUE") is True
    assert read["intake_24_7"]("1") is True
    assert read["intake_phone"](9135550142) == "9135550142"


def test_it_fills_an_empty_cell_with_the_fields_default():
    read = {h: c.read for h, c in COLUMN.items()}

    assert read["residents_per_staff"]("") == 3
    assert read["accepts_state_wards"](None) is True
    assert read["latitude"]("") is None
    assert read["license_expires"]("") is None
    assert read["external_id"]("") == ""
    assert read["languages"]("") == []


@pytest.mark.parametrize(
    ("header", "cell", "message"),
    [
        ("name", "", "may not be empty"),
        ("home_type", "Safe hom", "'Safe hom' is not a home type"),
        ("state", "Kansass", "not a state"),
        ("zip_code", "661O1", "not a 5-digit ZIP code"),
        ("zip_code", "66²01", "not a 5-digit ZIP code"),  # a digit to Python, not to a ZIP
        ("licensed_beds", "eight", "'eight' is not a whole number"),
        ("licensed_beds", "-2", "negative"),
        ("licensed_beds", "2.5", "not a whole number"),
        ("latitude", "north", "not a number"),
        ("latitude", "nan", "finite"),
        ("intake_24_7", "maybe", "'maybe' is not yes or no"),
        ("license_expires", "31/3/2027", "not a date"),
        ("license_expires", "2027-02-30", "not a date"),
        ("languages", "English; Klingon", "Unknown languages: 'Klingon'"),
        ("services", "yoga", "Unknown services: 'yoga'"),
        ("name", "x" * 201, "too long: at most 200"),
    ],
)
def test_it_refuses_a_bad_cell_saying_what_is_wrong(header, cell, message):
    cells = _cells(_home()) | {header: cell}

    with pytest.raises(ValidationError) as refused:
        read_row(cells)

    errors = refused.value.message_dict
    assert list(errors) == [header]
    assert message in errors[header][0]


def test_it_gathers_every_bad_cell_of_a_row():
    cells = _cells(_home()) | {"home_type": "castle", "available_beds": "lots"}

    with pytest.raises(ValidationError) as refused:
        read_row(cells)

    assert set(refused.value.message_dict) == {"home_type", "available_beds"}


def test_it_takes_the_headers_in_any_order_and_afcars_or_not():
    check_headers(reversed(HEADERS))
    check_headers([h for h in HEADERS if h != "afcars_setting"])


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([h for h in HEADERS if h != "zip_code"], "Missing columns: zip_code."),
        ([*HEADERS, "notes"], "Unknown columns: 'notes'."),
        ([*HEADERS, "name"], "Columns given twice: name."),
        (["Name", "Type", "Beds"], "Missing columns: external_id, name"),
    ],
)
def test_it_refuses_a_wrong_header_row(headers, message):
    with pytest.raises(ValidationError) as refused:
        check_headers(headers)

    assert message in refused.value.messages[0]


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1 913", "-3", "@SUM(A1)", "\tx", "'", "'=x", "plain"]
)
def test_escaping_a_cell_can_be_undone(text):
    escaped = spreadsheet_safe(text)

    assert escaped[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert spreadsheet_unescape(escaped) == text
