"""The home directory as files that leave Harbor: CSV (the import's columns) and HSDS 3.0.

Both are generators of text a StreamingHttpResponse sends as they go: homes are read
in batches by id (keyset), so memory stays flat however large the directory.

HSDS 3.0 (Open Referral's Human Services Data Specification) is written as its API's
`GET /services?full=true` answer: one page whose `contents` are fully nested services,
one per home, each with its organization (the home as a provider), its phones (the
intake line), languages, a service_at_location with its location, and attributes:
- the AFCARS placement-setting code of its home type (taxonomy "AFCARS placement
  setting", 45 CFR 1355 Appendix A);
- its capacity: HSDS 3.0 has no capacity object (`service_capacity` and `unit` came in
  3.1), so licensed beds, available beds and staff on duty are attributes of a Harbor
  "capacity" taxonomy, their number the attribute's value;
- its home type and the services it offers (Harbor taxonomies).
Harbor keeps no street address or city: a location's address carries the state, the ZIP
and the country, with `address_1` and `city` empty. A confidential home's
(core.vocab.CONFIDENTIAL_HOME_TYPES) location is its state only: no ZIP, no
coordinates. Ids are UUIDs derived from the home's id, so an export is stable.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from audit.services import audit_record
from core.spreadsheet import csv_lines
from core.types import Actor
from core.vocab import (
    AFCARS_SETTINGS,
    CONFIDENTIAL_HOME_TYPES,
    HOME_TYPE_AFCARS,
    LANGUAGE_NAMES,
    US_STATES,
    HomeType,
    Service,
)
from homes.columns import HEADERS, write_row
from homes.models import Home

EXPORT_FORMATS = ("csv", "hsds")
BATCH = 2000
# All ids of an export derive from this namespace and the home's id.
HSDS_NAMESPACE = uuid.UUID("6a0c3f8e-2f7d-5b9e-9a61-3c1d2b8e4f10")
AFCARS_TAXONOMY = "AFCARS placement setting (45 CFR 1355, Appendix A)"
AFCARS_TERM_URI = (
    "https://www.ecfr.gov/current/title-45/part-1355/appendix-Appendix%20A%20to%20Part%201355"
)


def homes_in_batches(
    batch: int | None = None, homes: QuerySet[Home] | None = None
) -> Iterator[Home]:
    """Every home (of `homes`), by id, `batch` rows per query (no cursor held open
    between them)."""
    batch = batch or BATCH
    homes = Home.objects.all() if homes is None else homes
    last = 0
    while True:
        rows = list(homes.filter(pk__gt=last).order_by("pk")[:batch])
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].pk


def home_export_record(*, actor: Actor, format: str, homes: int, ip: str | None) -> None:
    """The audit entry of a directory export: who, when, which format, how many homes."""
    audit_record(
        actor=actor,
        action="home.export",
        object_type="homes.home",
        after={"format": format, "homes": homes},
        ip=ip,
    )


# --- CSV ------------------------------------------------------------------------------


def directory_csv(homes: QuerySet[Home] | None = None) -> Iterator[str]:
    """The directory (or `homes`: a home admin's own) as CSV (homes.columns), BOM first,
    cells escaped against formulas. Each row carries the home's `external_id` (or the
    `harbor-<id>` that stands for it), the key a re-import matches on."""
    return csv_lines(HEADERS, (write_row(home) for home in homes_in_batches(homes=homes)))


# --- HSDS 3.0 -------------------------------------------------------------------------


def _id(*parts: object) -> str:
    return str(uuid.uuid5(HSDS_NAMESPACE, "/".join(str(p) for p in parts)))


def _term(taxonomy: str, code: str, name: str, description: str) -> dict[str, Any]:
    term: dict[str, Any] = {
        "id": _id("taxonomy_term", taxonomy, code),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": taxonomy,
    }
    if taxonomy == AFCARS_TAXONOMY:
        term["term_uri"] = AFCARS_TERM_URI
    return term


def _attribute(
    service_id: str, link_type: str, term: dict[str, Any], value: object = None
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "id": _id("attribute", service_id, term["id"]),
        "link_id": service_id,
        "link_type": link_type,
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    if value is not None:
        attribute["value"] = str(value)
    return attribute


_CAPACITY = {
    "licensed_beds": ("Licensed beds", "Beds the home is licensed for."),
    "available_beds": (
        "Available beds",
        "Beds free now for a new child (beds held for children on their way excluded).",
    ),
    "staff_on_duty": ("Staff on duty", "Staff on duty now."),
}


def _phone(service_id: str, number: str) -> dict[str, Any]:
    main, _, extension = number.lower().partition("ext")
    phone: dict[str, Any] = {
        "id": _id("phone", service_id),
        "service_id": service_id,
        "number": main.strip(),
        "type": "voice",
        "description": "Intake line",
    }
    digits = "".join(ch for ch in extension if ch in "0123456789")
    if digits:
        phone["extension"] = int(digits)
    return phone


def _location(home: Home, location_id: str) -> dict[str, Any]:
    state = US_STATES.get(home.state, home.state)
    address: dict[str, Any] = {
        "id": _id("address", home.pk),
        "location_id": location_id,
        "address_1": "",
        "city": "",
        "state_province": home.state,
        "postal_code": "",
        "country": "US",
        "address_type": "physical",
    }
    location: dict[str, Any] = {
        "id": location_id,
        "location_type": "physical",
        "addresses": [address],
    }
    if home.home_type in CONFIDENTIAL_HOME_TYPES:
        location["name"] = f"Confidential location in {state}"
        location["description"] = (
            "A confidential home for trafficking survivors or a family's home: "
            "only its state is published."
        )
        return location
    location["name"] = f"{home.name}, {state}"
    address["postal_code"] = home.zip_code
    if home.latitude is not None and home.longitude is not None:
        location["latitude"] = home.latitude
        location["longitude"] = home.longitude
    return location


def hsds_service(home: Home) -> dict[str, Any]:
    """One home as a fully nested HSDS 3.0 service."""
    service_id = _id("service", home.pk)
    organization_id = _id("organization", home.pk)
    location_id = _id("location", home.pk)
    home_type = HomeType(home.home_type)
    genders = ", ".join(home.genders_served) or "none recorded"
    service: dict[str, Any] = {
        "id": service_id,
        "organization_id": organization_id,
        "name": home.name,
        "description": f"{home_type.label}: residential care for young people "
        f"aged {home.min_age} to {home.max_age}.",
        "status": "active" if home.active else "inactive",
        "eligibility_description": f"Ages {home.min_age} to {home.max_age}; genders: {genders}.",
        "minimum_age": home.min_age,
        "maximum_age": home.max_age,
        "application_process": (
            "Referral by a case worker through Harbor"
            + ("; intake 24 hours a day, 7 days a week." if home.intake_24_7 else ".")
        ),
        "organization": {
            "id": organization_id,
            "name": home.name,
            "description": f"{home_type.label} in {US_STATES.get(home.state, home.state)}.",
        },
        "phones": [_phone(service_id, home.intake_phone)] if home.intake_phone else [],
        "languages": [
            {
                "id": _id("language", service_id, code),
                "service_id": service_id,
                "name": LANGUAGE_NAMES.get(code, code),
                "code": code,
            }
            for code in home.languages
        ],
        "service_at_locations": [
            {
                "id": _id("service_at_location", home.pk),
                "service_id": service_id,
                "location_id": location_id,
                "location": _location(home, location_id),
            }
        ],
        "attributes": _attributes(home, service_id),
    }
    if home.modified_at:
        service["last_modified"] = home.modified_at.astimezone(dt.UTC).isoformat()
    if home.profile_confirmed_at:
        service["assured_date"] = home.profile_confirmed_at.date().isoformat()
    return service


def _attributes(home: Home, service_id: str) -> list[dict[str, Any]]:
    """The service's attributes: its AFCARS setting, home type, capacity and services."""
    home_type = HomeType(home.home_type)
    afcars = HOME_TYPE_AFCARS[home.home_type]
    attributes = [
        _attribute(
            service_id,
            "afcars_placement_setting",
            _term(
                AFCARS_TAXONOMY,
                str(afcars),
                AFCARS_SETTINGS[afcars],
                f"AFCARS current placement setting {afcars}: {AFCARS_SETTINGS[afcars]}.",
            ),
        ),
        _attribute(
            service_id,
            "home_type",
            _term("Harbor home type", home.home_type, str(home_type.label), f"{home_type.label}."),
        ),
    ]
    for code, (name, description) in _CAPACITY.items():
        attributes.append(
            _attribute(
                service_id,
                "capacity",
                _term("Harbor capacity", code, name, description),
                getattr(home, code),
            )
        )
    for code in home.services:
        label = str(Service(code).label)
        attributes.append(
            _attribute(
                service_id, "service_offered", _term("Harbor services", code, label, label + ".")
            )
        )
    return attributes


def directory_hsds(total: int) -> Iterator[str]:
    """The directory as one HSDS 3.0 page of full services, a home at a time. `total` is
    the home count taken when the export began (the page's `total_items`)."""
    head = {
        "total_items": total,
        "total_pages": 1,
        "page_number": 1,
        "size": total,
        "first_page": True,
        "last_page": True,
        "empty": total == 0,
    }
    yield json.dumps(head)[:-1] + ', "contents": ['
    separator = ""
    for home in homes_in_batches():
        yield separator + json.dumps(hsds_service(home), ensure_ascii=False)
        separator = ","
    yield "]}\n"
