"""Response headers (issue 12, finding 6): nothing that may carry a child's data is kept
by a browser cache, a proxy or the "back" button (`Cache-Control: no-store`); a strict
Content-Security-Policy, Permissions-Policy and Django's framing, referrer and opener
policies on every page; static files stay cacheable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.placement.helpers import recommend

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# What the policy refuses (ASVS 5.0 3.4.3), as it would be written in a template.
INLINE_CODE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style>": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on (needs eval)": re.compile(r"\b(data-)?hx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}
DJANGO_COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)

FRAMING_AND_FRIENDS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_private(response) -> None:
    """Not to be stored anywhere: the browser's cache, a proxy's, the history."""
    assert response["Cache-Control"] == "no-store", response.get("Cache-Control")
    assert response["Pragma"] == "no-cache"  # HTTP/1.0 caches
    assert response["Expires"] == "0"


def assert_policies(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    for header, value in FRAMING_AND_FRIENDS.items():
        assert response[header] == value, header


def test_it_keeps_api_answers_with_a_childs_data_out_of_every_cache(alice, survivor):
    client = signed_in(alice)

    for path in ("/api/v1/survivors/", f"/api/v1/survivors/{survivor.pk}/"):
        response = client.get(path)

        assert response.status_code == 200
        assert "Jane" in response.content.decode()  # the child's name: never cached
        assert_private(response)


def test_it_keeps_api_refusals_and_the_token_answer_out_of_every_cache(alice, survivor):
    assert_private(Client().get(f"/api/v1/survivors/{survivor.pk}/"))  # 401
    response = Client().post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "wrong-password"},
        content_type="application/json",
    )
    assert response.status_code in (400, 401)
    assert_private(response)


def test_it_keeps_pages_with_a_childs_data_out_of_every_cache(alice, survivor):
    client = signed_in(alice)

    for path in (
        "/",
        f"/survivors/{survivor.pk}/",
        f"/survivors/{survivor.pk}/edit/",
        f"/survivors/{survivor.pk}/search/",
        "/notifications/",
    ):
        response = client.get(path)

        assert response.status_code == 200, path
        assert_private(response)
        assert_policies(response)
    found = client.post("/", {"search": "Jane"})  # "Find a case" (names listed)
    assert found.status_code == 200
    assert_private(found)
    assert_policies(found)


def test_it_keeps_the_print_packet_out_of_every_cache(alice, mdt, survivor, home):
    recommendation = recommend(alice, survivor, home)

    response = signed_in(mdt).get(f"/recommendations/{recommendation.pk}/?print=1")

    assert response.status_code == 200
    assert "MDT review packet" in response.content.decode()
    assert_private(response)
    assert_policies(response)


def test_it_keeps_the_sign_in_page_and_error_pages_out_of_every_cache(db, mdt, survivor):
    login = Client().get("/login/")
    assert login.status_code == 200
    assert_private(login)
    assert_policies(login)

    not_found = signed_in(mdt).get("/survivors/999999/")
    assert not_found.status_code == 404
    assert_private(not_found)
    assert_policies(not_found)

    refused = signed_in(mdt).get(f"/survivors/{survivor.pk}/edit/")
    assert refused.status_code == 403
    assert_private(refused)

    csrf = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})
    assert csrf.status_code == 403
    assert_private(csrf)


def test_it_keeps_a_locked_sign_in_out_of_every_cache(db):
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "dana", "password": "wrong"})

    response = client.post("/login/", {"username": "dana", "password": "wrong"})

    assert response.status_code == 429
    assert_private(response)


@override_settings(ROOT_URLCONF="tests.config.failing_urls", DEBUG=False)
def test_it_keeps_the_500_page_out_of_every_cache(db):
    response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert_private(response)
    assert_policies(response)


@pytest.mark.parametrize("path", ["/static/harbor.css", "/static/harbor.js", "/favicon.ico"])
def test_it_lets_browsers_cache_static_files(db, settings, path):
    # WhiteNoise serves from the source folders here, as with DEBUG (no collectstatic).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True

    response = Client().get(path)

    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "public" in cache_control and "max-age=" in cache_control
    assert "no-store" not in cache_control
    assert "Pragma" not in response


def test_it_has_no_inline_code_in_any_template():
    # The browser test (tests/browser/test_csp.py) opens each kind of page; this catches a
    # template it does not reach.
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = DJANGO_COMMENTS.sub("", template.read_text())
        for what, pattern in INLINE_CODE.items():
            found += [f"{template.relative_to(TEMPLATES)}: {what}" for _ in pattern.findall(text)]

    assert found == []
