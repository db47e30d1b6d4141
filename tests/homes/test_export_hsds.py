"""The directory as HSDS 3.0 JSON: valid against the specification's schemas, and a
confidential home's place given only as its state.

The schemas are Open Referral's, copied unchanged into tests/homes/hsds-3.0/ (the same
files as ../shared/hsds-3.0/), so the test needs no network and nothing outside the
repository. Their `$ref`s are relative file names, resolved from a local registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from rest_framework.test import APIClient

from core.vocab import CONFIDENTIAL_HOME_TYPES, HOME_TYPE_AFCARS, TRAFFICKING_SPECIFIC
from tests.factories import HomeFactory

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "hsds-3.0"
BASE = "https://hsds.invalid/schema/"


def _validator(name: str) -> Draft202012Validator:
    resources = [
        (BASE + path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT202012))
        for path in SCHEMAS.glob("*.json")
    ]
    registry = Registry().with_resources(resources)
    return Draft202012Validator(
        {"$ref": BASE + name},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


SERVICE = _validator("service.json")
PAGE = Draft202012Validator(
    json.loads((SCHEMAS / "openapi.json").read_text())["components"]["schemas"]["Page"]
)


def _export(user) -> tuple[str, dict]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/homes/export/?format=hsds")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    return text, json.loads(text)


def _services(page: dict) -> dict[str, dict]:
    return {service["name"]: service for service in page["contents"]}


def _attributes(service: dict, link_type: str) -> dict[str, str | None]:
    return {
        a["taxonomy_term"]["code"]: a.get("value")
        for a in service["attributes"]
        if a["link_type"] == link_type
    }


def test_it_validates_against_the_hsds_3_schemas(admin_user):
    for home_type in HOME_TYPE_AFCARS:
        HomeFactory(
            name=f"A {home_type}",
            home_type=home_type,
            latitude=39.1155,
            longitude=-94.6268,
            intake_phone="+1 (913) 555-0142 ext. 4",
            languages=["en", "es"],
            services=["trauma_therapy", "education"],
        )
    HomeFactory(name="Closed", home_type="group_home", active=False, intake_phone="", services=[])

    _, page = _export(admin_user)

    assert list(PAGE.iter_errors(page)) == []
    assert page["total_items"] == page["size"] == len(page["contents"]) == 7
    for service in page["contents"]:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in SERVICE.iter_errors(service)]
        assert errors == [], service["name"]
    assert _services(page)["Closed"]["status"] == "inactive"


def test_a_bad_record_fails_the_validation():
    """The validator is no rubber stamp: it follows the $refs into nested records."""
    bad = {"id": "x", "name": "A", "status": "open"}
    nested = {
        "id": "1e0b8a52-6b5b-4b8f-9d0e-8d9e0a8f6a11",
        "name": "A",
        "status": "active",
        "phones": [{"id": "1e0b8a52-6b5b-4b8f-9d0e-8d9e0a8f6a12"}],
    }

    assert {e.validator for e in SERVICE.iter_errors(bad)} >= {"enum", "format"}
    assert [e.message for e in SERVICE.iter_errors(nested)] == ["'number' is a required property"]


def test_it_carries_organization_location_phone_languages_and_capacity(admin_user):
    HomeFactory(
        name="Harbor Light Shelter",
        home_type="emergency_shelter",
        state="MO",
        zip_code="64108",
        latitude=39.0851,
        longitude=-94.5846,
        licensed_beds=12,
        available_beds=5,
        staff_on_duty=3,
        intake_phone="+1 (816) 555-0100 ext. 7",
        languages=["en", "es"],
    )

    _, page = _export(admin_user)

    service = _services(page)["Harbor Light Shelter"]
    assert service["organization"]["name"] == "Harbor Light Shelter"
    assert service["organization_id"] == service["organization"]["id"]
    assert service["phones"][0]["number"] == "+1 (816) 555-0100"
    assert service["phones"][0]["extension"] == 7
    assert [(lang["code"], lang["name"]) for lang in service["languages"]] == [
        ("en", "English"),
        ("es", "Spanish"),
    ]
    assert _attributes(service, "capacity") == {
        "licensed_beds": "12",
        "available_beds": "5",
        "staff_on_duty": "3",
    }
    assert _attributes(service, "afcars_placement_setting") == {"5": None}
    (at_location,) = service["service_at_locations"]
    location = at_location["location"]
    assert at_location["location_id"] == location["id"]
    assert (location["latitude"], location["longitude"]) == (39.0851, -94.5846)
    assert location["addresses"][0]["state_province"] == "MO"
    assert location["addresses"][0]["postal_code"] == "64108"


@pytest.mark.parametrize(("home_type", "code"), sorted(HOME_TYPE_AFCARS.items()))
def test_it_gives_each_home_its_afcars_placement_setting(admin_user, home_type, code):
    HomeFactory(name="H", home_type=home_type)

    _, page = _export(admin_user)

    (attribute,) = [
        a
        for a in _services(page)["H"]["attributes"]
        if a["link_type"] == "afcars_placement_setting"
    ]
    assert attribute["taxonomy_term"]["code"] == str(code)
    assert attribute["taxonomy_term"]["taxonomy"].startswith("AFCARS placement setting")


def test_the_trafficking_specific_types_are_confidential():
    assert TRAFFICKING_SPECIFIC <= CONFIDENTIAL_HOME_TYPES
    assert "foster" in CONFIDENTIAL_HOME_TYPES  # a family's own house


@pytest.mark.parametrize("home_type", sorted(CONFIDENTIAL_HOME_TYPES))
def test_a_confidential_homes_place_is_only_its_state(admin_user, home_type):
    HomeFactory(
        name="Quiet Harbor",
        home_type=home_type,
        state="KS",
        zip_code="67202",
        latitude=37.6872,
        longitude=-97.3301,
    )

    text, page = _export(admin_user)

    for secret in ("67202", "37.6872", "-97.3301", "37.687", "97.33"):
        assert secret not in text
    location = _services(page)["Quiet Harbor"]["service_at_locations"][0]["location"]
    assert "latitude" not in location and "longitude" not in location
    assert location["addresses"][0]["state_province"] == "KS"
    assert location["addresses"][0]["postal_code"] == ""
