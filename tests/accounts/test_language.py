"""Harbor speaks the user's language: the one chosen on their account page (or through the
API), else the browser's. The API's messages follow each request's Accept-Language."""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEntry


def signed_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def test_it_shows_the_sign_in_page_in_the_browsers_spanish(db):
    page = Client(headers={"accept-language": "es-MX,es;q=0.9,en;q=0.5"}).get("/login/")

    text = page.content.decode()
    assert '<html lang="es">' in text
    assert "Iniciar sesión en Harbor" in text
    assert page.headers["Content-Language"] == "es"


def test_it_stays_in_english_for_an_english_browser(db):
    text = Client(headers={"accept-language": "en-US"}).get("/login/").content.decode()

    assert "Sign in to Harbor" in text


def test_it_lets_a_supervisor_choose_spanish_on_an_english_browser(bob):
    client = signed_in(bob, **{"accept-language": "en-US"})

    response = client.post("/account/", {"language": "es"}, follow=True)

    text = response.content.decode()
    assert "Su idioma quedó guardado." in text
    assert "Cerrar sesión" in text
    bob.refresh_from_db()
    assert bob.language == "es"
    entry = AuditEntry.objects.get(action="auth.language_changed")
    assert (entry.before, entry.after) == ({"language": ""}, {"language": "es"})


def test_it_keeps_the_users_english_on_a_spanish_browser(bob):
    bob.language = "en"
    bob.save()

    text = signed_in(bob, **{"accept-language": "es"}).get("/").content.decode()

    assert "Sign out" in text and "Cerrar sesión" not in text


def test_it_follows_the_browser_again_when_the_choice_is_cleared(bob):
    bob.language = "en"
    bob.save()
    client = signed_in(bob, **{"accept-language": "es"})

    client.post("/account/", {"language": ""})

    bob.refresh_from_db()
    assert bob.language == ""
    assert "Cerrar sesión" in client.get("/").content.decode()


def test_it_refuses_a_language_harbor_does_not_speak_naming_the_field(bob):
    response = signed_in(bob).post("/account/", {"language": "fr"})

    assert response.status_code == 400
    bob.refresh_from_db()
    assert bob.language == ""


def test_it_sets_the_language_through_the_api(bob):
    client = APIClient()
    client.force_authenticate(bob)

    response = client.patch("/api/v1/auth/profile/", {"language": "es"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"username": "bob", "role": "supervisor", "language": "es"}
    bob.refresh_from_db()
    assert bob.language == "es"


def test_it_names_the_field_of_a_bad_language_in_the_api(bob):
    client = APIClient()
    client.force_authenticate(bob)

    response = client.patch("/api/v1/auth/profile/", {"language": "klingon"}, format="json")

    assert response.status_code == 400
    assert "language" in response.json()
    bob.refresh_from_db()
    assert bob.language == ""


def test_it_answers_the_api_in_the_requests_language_not_the_profiles(bob):
    bob.language = "es"
    bob.save()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(bob)

    response = client.get("/api/v1/homes/999999/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "Not found."
    spanish = APIClient(HTTP_ACCEPT_LANGUAGE="es")
    spanish.force_authenticate(bob)
    answer = spanish.get("/api/v1/homes/999999/").json()
    assert answer["code"] == "not_found"
    assert answer["detail"] == "No encontrado."
