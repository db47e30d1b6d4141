"""Error pages look like Harbor, say what happened and offer a way back; no 404 for the
favicon; the 500 page renders with no database and no request."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import Client, override_settings


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_it_answers_an_unknown_page_with_a_styled_404_and_the_way_to_sign_in(db, production):
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    text = response.content.decode()
    assert "Nothing here" in text
    assert 'class="top"' in text  # the Harbor layout
    assert 'href="/login/"' in text


def test_it_offers_a_signed_in_user_the_way_home_from_a_404(alice, production):
    client = Client()
    client.force_login(alice)

    text = client.get("/survivors/999999/").content.decode()

    assert "Back to your home page" in text
    assert "alice" in text  # the menu and who is signed in, as on every page


def test_it_answers_a_locked_sign_in_with_a_styled_429(db, production):
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "dana", "password": "wrong"})

    response = client.post("/login/", {"username": "dana", "password": "wrong"})

    assert response.status_code == 429
    text = response.content.decode()
    assert "This account is locked for now" in text
    assert "15 minutes" in text
    assert 'href="/login/"' in text


def test_it_renders_the_500_page_without_a_request_or_a_database():
    # Django renders it this way (django.views.defaults.server_error): no context at all.
    # No `db` fixture: pytest-django fails any query made here.
    text = loader.get_template("500.html").render()

    assert "Something went wrong on our side" in text
    assert 'href="/"' in text
    assert "/static/harbor.css" in text


@override_settings(ROOT_URLCONF="tests.config.failing_urls", DEBUG=False)
def test_it_answers_an_unexpected_error_with_the_500_page(db):
    response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@override_settings(ROOT_URLCONF="tests.config.failing_urls", DEBUG=False)
def test_it_answers_an_unexpected_api_error_in_json_never_html(db):
    response = Client(raise_request_exception=False).get("/api/v1/boom/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"
    assert "<html" not in response.content.decode().lower()


def test_the_real_url_map_answers_api_errors_in_json():
    from django.urls import get_resolver

    assert get_resolver().resolve_error_handler(500).__name__ == "server_error"


def test_it_serves_a_favicon_and_links_it_from_every_page(db):
    icon = Client().get("/favicon.ico")
    page = Client().get("/login/").content.decode()

    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in page and "favicon.svg" in page
