"""The client's address (issue 12, finding 3): X-Forwarded-For is believed only as far
as TRUSTED_PROXY_COUNT proxies of ours wrote it, and the sign-in throttle, django-axes
and the audit trail all count by the address that gives."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from audit.models import AuditEntry
from core.client_address import client_address

pytestmark = pytest.mark.postgres

TOKEN_URL = "/api/v1/auth/token/"
PEER = "192.0.2.10"  # who connected to us: the client itself, or our TLS proxy
CLIENT = "198.51.100.7"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def attempt(client: APIClient, username: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": PEER}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        TOKEN_URL, {"username": username, "password": "wrong-password-123"}, format="json", **extra
    )


@pytest.mark.parametrize(
    "forwarded,proxies,expected",
    [
        (None, 0, PEER),
        ("203.0.113.99", 0, PEER),  # no proxy of ours: whatever the client wrote is ignored
        (f"203.0.113.99, {CLIENT}", 0, PEER),
        (CLIENT, 1, CLIENT),  # our proxy appended the address it saw
        (f"203.0.113.99, {CLIENT}", 1, CLIENT),  # the client's own entry comes before it
        (f"203.0.113.99, {CLIENT}, 10.0.0.5", 2, CLIENT),  # two proxies of ours
        ("not-an-address", 1, PEER),  # garbage from a misconfigured proxy: the peer
        (f" {CLIENT} ,", 1, CLIENT),
        ("2001:db8::1", 1, "2001:db8::1"),
    ],
)
def test_it_takes_the_address_our_nearest_trusted_proxy_saw(forwarded, proxies, expected):
    meta = {"REMOTE_ADDR": PEER}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded

    assert client_address(meta, proxies) == expected


def test_a_spoofed_header_changes_nothing_without_a_trusted_proxy(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    response = attempt(APIClient(), "alice", forwarded="203.0.113.99")

    assert response.status_code == 400
    assert AuditEntry.objects.get(action="auth.login_failed").ip == PEER
    assert AccessAttempt.objects.get().ip_address == PEER


def test_the_trail_and_the_lockout_record_the_client_behind_one_trusted_proxy(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    attempt(APIClient(), "alice", forwarded=f"203.0.113.99, {CLIENT}")

    assert AuditEntry.objects.get(action="auth.login_failed").ip == CLIENT
    assert AccessAttempt.objects.get().ip_address == CLIENT


def test_a_token_issued_behind_one_trusted_proxy_records_the_client(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    response = APIClient().post(
        TOKEN_URL,
        {"username": "alice", "password": "correct-horse-battery"},
        format="json",
        REMOTE_ADDR=PEER,
        HTTP_X_FORWARDED_FOR=CLIENT,
    )

    assert response.status_code == 200
    assert AuditEntry.objects.get(action="token.issued").ip == CLIENT


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_new_forwarded_address_for_each_try_does_not_escape_the_throttle(db, settings, proxies):
    """The finding: 40 tries, each with a different X-Forwarded-For, and no 429."""
    settings.TRUSTED_PROXY_COUNT = proxies
    client = APIClient()
    # With a proxy of ours, the client's invented entries come before the one it appends.
    tail = f", {CLIENT}" if proxies else ""

    answers = [
        attempt(client, f"guess{n}", forwarded=f"203.0.113.{n}{tail}").status_code
        for n in range(40)
    ]

    assert answers[:30] == [400] * 30
    assert set(answers[30:]) == {429}


def test_clients_behind_one_trusted_proxy_are_counted_apart(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient()
    for n in range(31):
        attempt(client, f"guess{n}", forwarded=CLIENT)
    assert attempt(client, "guess", forwarded=CLIENT).status_code == 429

    # A colleague at another address, through the same proxy, is not held back.
    assert attempt(client, "alice", forwarded="198.51.100.8").status_code == 400
