"""Per-address sign-in limits (issue 12, findings 3 and 4): the web sign-in is limited
like the API, both count together, and sign-in keeps working when Redis is down."""

from __future__ import annotations

import logging
import socket

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.throttling import sign_in_cache

pytestmark = pytest.mark.postgres

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_fallback_counters():
    sign_in_cache.reset()
    yield
    sign_in_cache.reset()


@pytest.fixture
def redis_down(settings):
    """The cache is a Redis that does not answer: a port on this machine nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }


def web_sign_in(client: Client, username: str, password: str = "wrong-password-123"):
    return client.post("/login/", {"username": username, "password": password})


def test_spraying_usernames_at_the_web_sign_in_is_stopped(db):
    """The finding: 35 usernames sprayed at /login/ from one address, all answered."""
    client = Client()

    answers = [web_sign_in(client, f"guess{n}").status_code for n in range(35)]

    assert answers[:30] == [200] * 30  # the form again, with its error
    assert set(answers[30:]) == {429}


def test_the_refusal_is_the_error_page_with_a_time_to_wait(db):
    client = Client()
    for n in range(30):
        web_sign_in(client, f"guess{n}")

    response = web_sign_in(client, "alice")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "Error 429" in page
    # The address was slowed down; no account was locked, and the page does not say so.
    assert "Too many sign-in attempts from this address" in page
    assert "This account is locked" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_it_limits_addresses_not_the_sign_in_page_itself(db):
    client = Client()
    for n in range(30):
        web_sign_in(client, f"guess{n}")

    assert client.get("/login/").status_code == 200
    # Another address is not held back by this one's attempts.
    assert Client(REMOTE_ADDR="198.51.100.8").post("/login/", {}).status_code == 200


def test_the_second_factor_step_is_limited_too(db):
    client = Client()
    for n in range(30):
        web_sign_in(client, f"guess{n}")

    assert client.post("/login/verify/", {"otp": "123456"}).status_code == 429


def test_the_web_and_the_api_count_the_same_attempts(db):
    api = APIClient()
    for n in range(20):
        api.post(TOKEN_URL, {"username": f"guess{n}", "password": "x"}, format="json")
    web = Client()
    answers = [web_sign_in(web, f"guess{n}").status_code for n in range(11)]

    assert answers[:10] == [200] * 10
    assert answers[10] == 429
    throttled = api.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"


def test_a_token_sign_in_still_works_with_redis_down(alice, redis_down, caplog):
    """The finding: with Redis down, POST /api/v1/auth/token/ answered 500."""
    with caplog.at_level(logging.WARNING, logger="accounts.throttling"):
        response = APIClient().post(
            TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json"
        )

    assert response.status_code == 200
    assert "token" in response.json()
    warnings = [r for r in caplog.records if r.name == "accounts.throttling"]
    assert len(warnings) == 1
    assert "alice" not in warnings[0].getMessage()
    assert "does not answer" in warnings[0].getMessage()


def test_the_throttle_still_counts_in_memory_with_redis_down(db, redis_down):
    client = APIClient()

    answers = [
        client.post(TOKEN_URL, {"username": f"g{n}", "password": "x"}, format="json").status_code
        for n in range(31)
    ]

    assert answers[:30] == [400] * 30
    assert answers[30] == 429


def test_a_web_sign_in_still_works_with_redis_down(alice, redis_down):
    response = Client().post("/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302


def test_a_username_holding_a_nul_byte_is_a_form_error_not_a_500(db):
    """Found by the form fuzz: the raw name went to PostgreSQL's advisory lock, which
    cannot take a NUL byte; the field refuses it, so no password is checked at all."""
    response = web_sign_in(Client(), "ali\x00ce")

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
