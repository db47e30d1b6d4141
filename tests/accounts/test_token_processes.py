"""A token ends everywhere at once: two processes, as two gunicorn workers, each answer
requests with the same token; a logout through one, or the token's expiry, refuses it
on the very next request through the other (accounts.tokens.token_find reads the row
on every request, no process keeps it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tokens import token_issue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    def __init__(self) -> None:
        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        self.popen = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/accounts/token_process.py")],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.popen.stdout.readline().strip() == "ready"

    def send(self, command: str, key: str) -> int:
        self.popen.stdin.write(f"{command} {key}\n")
        self.popen.stdin.flush()
        return int(self.popen.stdout.readline())

    def close(self) -> None:
        self.popen.stdin.close()
        self.popen.wait(timeout=30)


@pytest.fixture
def workers():
    started = [Worker(), Worker()]
    try:
        yield started
    finally:
        for worker in started:
            worker.close()


def test_a_logout_through_one_worker_ends_the_token_in_the_other_at_once(alice, workers):
    one, other = workers
    key, _ = token_issue(user=alice, name="phone")
    laptop, _ = token_issue(user=alice, name="laptop")
    assert one.send("get", key) == 200 and other.send("get", key) == 200

    assert one.send("logout", key) == 204

    assert other.send("get", key) == 401
    assert one.send("get", key) == 401
    assert other.send("get", laptop) == 200  # only the token that logged out ended


def test_an_expired_token_is_refused_by_every_worker_on_its_next_request(alice, workers):
    one, other = workers
    key, token = token_issue(user=alice, name="phone")
    assert one.send("get", key) == 200 and other.send("get", key) == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    assert one.send("get", key) == 401 and other.send("get", key) == 401


def test_a_deactivated_user_is_refused_by_every_worker_on_the_next_request(alice, workers):
    one, other = workers
    key, token = token_issue(user=alice, name="phone")
    assert one.send("get", key) == 200 and other.send("get", key) == 200
    # The token row unchanged: the user read with it says she may no longer sign in.
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)

    assert one.send("get", key) == 401 and other.send("get", key) == 401
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
