"""One exception handler, two body shapes, and never a 500 for bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.errors import Conflict, Forbidden, NotFound
from survivors.models import Survivor

pytestmark = pytest.mark.postgres

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}
FORBIDDEN = "You do not have permission to perform this action."


def raising(exc: Exception):
    class Boom(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def post(self, request):
            raise exc

    return Boom.as_view()


@pytest.mark.parametrize(
    "exc,status,body",
    [
        (
            Conflict("No bed left at Lighthouse House.", code="no_bed_left"),
            409,
            {"detail": "No bed left at Lighthouse House.", "code": "no_bed_left"},
        ),
        (
            Conflict("Refer only after the MDT approved."),
            409,
            {"detail": "Refer only after the MDT approved.", "code": "conflict"},
        ),
        (NotFound(), 404, {"detail": "Not found.", "code": "not_found"}),
        (Http404("No Survivor matches the given query."), 404, NOT_FOUND),
        (Survivor.DoesNotExist(), 404, NOT_FOUND),
        (PermissionDenied(), 403, {"detail": FORBIDDEN, "code": "permission_denied"}),
        (Forbidden("No."), 403, {"detail": "No.", "code": "permission_denied"}),
        (
            ValidationError({"available_beds": ["Too many."], "__all__": ["Both wrong."]}),
            400,
            {"available_beds": ["Too many."], "non_field_errors": ["Both wrong."]},
        ),
        (ValidationError("Whole thing wrong."), 400, {"non_field_errors": ["Whole thing wrong."]}),
        (IntegrityError("duplicate key"), 409, None),
        (DataError("integer out of range"), 400, None),
    ],
)
def test_it_maps_each_error_to_its_status_and_shape(exc, status, body):
    response = raising(exc)(APIRequestFactory().post("/x/"))

    assert response.status_code == status
    if body is not None:
        assert response.data == body
    elif status == 409:
        assert response.data["code"] == "conflict"
        assert "duplicate key" not in response.data["detail"]  # no database internals
    else:
        assert list(response.data) == ["non_field_errors"]


def test_it_answers_malformed_json_with_400(alice, client_for):
    response = client_for(alice).post(
        "/api/v1/survivors/", '{"case_number": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert response.json()["non_field_errors"][0].startswith("JSON parse error")


def test_it_answers_an_unsupported_media_type_with_415(alice, client_for):
    response = client_for(alice).post(
        "/api/v1/survivors/", "<survivor/>", content_type="application/xml"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_it_answers_an_unknown_method_with_405(admin_user, client_for):
    response = client_for(admin_user).delete("/api/v1/homes/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/homes/abc/",
        "/api/v1/homes/-1/",
        "/api/v1/homes/0/",
        "/api/v1/homes/99999999999999999999999/",
        "/api/v1/survivors/%00/",
        "/api/v1/homes/1e3/availability/history/",
    ],
)
def test_it_answers_any_id_that_is_not_a_record_with_the_json_404(alice, client_for, path):
    response = client_for(alice).get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize(
    "payload",
    [
        {"available_beds": 2**70},
        {"available_beds": 1.5},
        {"available_beds": None},
        {"available_beds": True},
        {"staff_on_duty": "\x00"},
        {},
        [],
        "beds",
    ],
)
def test_it_answers_odd_availability_input_with_400(home, home_admin, client_for, payload):
    response = client_for(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/", payload, format="json"
    )

    assert response.status_code == 400
    assert all(isinstance(v, list) for v in response.json().values())


@pytest.mark.parametrize(
    "field,value",
    [
        ("case_number", "A\x00B"),
        ("first_name", "x" * 101),
        ("date_of_birth", "0000-01-01"),
        ("dependents", 40000),
        ("max_distance_miles", 0),
        ("exclusion_zones", [{"zip_code": "66101"}]),
        ("exclusion_zones", "66101"),
        ("icpc_approved_states", ["ks"]),
        ("primary_language", "english"),
    ],
)
def test_it_answers_odd_survivor_input_with_400(alice, client_for, field, value):
    from tests.api.payloads import INTAKE

    response = client_for(alice).post("/api/v1/survivors/", {**INTAKE, field: value}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
