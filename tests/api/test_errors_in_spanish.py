"""The API's messages follow Accept-Language; its shapes, keys and codes do not (issue 28)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.utils import translation
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

pytestmark = pytest.mark.postgres


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "language, message",
    [
        ("es", "Asegúrese de que este valor es mayor o igual a 0."),
        ("en", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_a_bad_bed_count_names_the_field_in_the_readers_language(
    home, home_admin, language, message
):
    response = signed_in(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/",
        {"available_beds": -1},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    assert response.json() == {"available_beds": [message]}  # the key stays the field's name
    home.refresh_from_db()
    assert home.available_beds >= 0  # nothing written


def test_harbors_own_validator_says_what_is_wrong_in_spanish(home, admin_user):
    response = signed_in(admin_user).patch(
        f"/api/v1/homes/{home.pk}/",
        {"zip_code": "00000"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["zip_code"] == ["El código postal 00000 no existe."]
    english = signed_in(admin_user).patch(
        f"/api/v1/homes/{home.pk}/", {"zip_code": "00000"}, format="json"
    )
    assert english.json()["zip_code"] == ["ZIP code 00000 does not exist."]


def test_a_404_keeps_its_code_and_speaks_spanish(alice):
    response = signed_in(alice).get("/api/v1/survivors/999999/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado.", "code": "not_found"}


def test_the_handlers_own_conflict_speaks_spanish_with_the_same_code():
    class Boom(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def post(self, request):
            raise IntegrityError("duplicate key")

    request = APIRequestFactory().post("/api/v1/boom/")
    with translation.override("es"):
        response = Boom.as_view()(request)

    assert response.status_code == 409
    assert response.data == {
        "detail": "Este cambio choca con otro hecho al mismo tiempo. "
        "Recargue e inténtelo de nuevo.",
        "code": "conflict",
    }


def test_a_refused_transition_keeps_its_code_and_says_why_in_spanish(alice, survivor, home):
    from tests.placement.helpers import recommend

    recommendation = recommend(alice, survivor, home)
    url = f"/api/v1/recommendations/{recommendation.pk}/refer/"

    spanish = signed_in(alice).post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="es")
    english = signed_in(alice).post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert spanish.status_code == english.status_code == 409
    assert spanish.json()["code"] == english.json()["code"] == "not_approved"
    assert spanish.json()["detail"].startswith(
        "El EMD aún no ha aprobado esta recomendación (0 de 1 aprobaciones)."
    )
    assert english.json()["detail"].startswith(
        "The MDT has not approved this recommendation yet (0 of 1 approvals)."
    )
