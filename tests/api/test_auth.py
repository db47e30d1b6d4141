from __future__ import annotations

import datetime
import json
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.middleware import SESSION_TOUCHED_KEY
from accounts.models import ApiToken
from accounts.tokens import token_digest
from audit.models import AuditEntry
from config import settings as project_settings
from tests.api.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres

TOKEN_URL = "/api/v1/auth/token/"
WRONG = "Tr0ub4dor&3-wrong"


def sign_in(username: str, password: str, otp: str | None = None, **extra):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return APIClient().post(TOKEN_URL, body, format="json", **extra)


def test_it_hashes_passwords_with_argon2_and_signs_in_with_them(settings, agency):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # undo the fast test hasher
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = UserFactory(username="ada", role="case_worker", agency=agency)

    assert user.password.startswith("argon2$argon2id$")
    response = sign_in("ada", PASSWORD)

    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires"}
    # Only the key's digest is kept: the key itself is nowhere in the database.
    assert ApiToken.objects.get(user=user).digest == token_digest(response.json()["token"])


def test_it_signs_in_with_the_token_it_issues(alice):
    token = sign_in("alice", PASSWORD).json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/v1/homes/").status_code == 200


@pytest.mark.parametrize(
    "username,password", [("alice", WRONG), ("nobody", PASSWORD), ("alice", "")]
)
def test_it_issues_no_token_for_wrong_credentials(alice, username, password):
    response = sign_in(username, password)

    assert response.status_code == 400
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_it_records_a_failed_sign_in_with_the_username_and_never_the_password(alice):
    sign_in("alice", WRONG, REMOTE_ADDR="198.51.100.7")

    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.outcome == "failed"
    assert entry.after == {"username": "alice", "locked": False}
    assert entry.ip == "198.51.100.7"
    assert entry.actor is None
    stored = json.dumps(
        [entry.actor_username, entry.object_type, entry.object_id, entry.before, entry.after]
    )
    assert WRONG not in stored


def test_it_records_a_failed_web_sign_in_too(alice, client):
    response = client.post("/login/", {"username": "alice", "password": WRONG})

    assert response.status_code == 200  # the form again, with its error
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.after["username"] == "alice"
    assert WRONG not in json.dumps(entry.after)


def test_it_locks_the_account_after_five_failures_even_against_the_right_password(alice):
    answers = [sign_in("alice", WRONG).status_code for _ in range(5)]

    locked = sign_in("alice", PASSWORD)

    assert answers == [400] * 5
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert "token" not in locked.json()
    assert not ApiToken.objects.exists()
    failures = AuditEntry.objects.filter(action="auth.login_failed").order_by("id")
    assert failures.count() == 6
    assert failures.last().after == {"username": "alice", "locked": True}


def test_it_locks_a_web_sign_in_the_same_way(alice, client):
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": WRONG})

    assert sign_in("alice", PASSWORD).status_code == 429


def test_an_admin_releases_a_locked_account(alice):
    for _ in range(5):
        sign_in("alice", WRONG)
    assert sign_in("alice", PASSWORD).status_code == 429

    call_command("axes_reset_username", "alice", stdout=open("/dev/null", "w"))

    assert sign_in("alice", PASSWORD).status_code == 200


def test_the_cool_off_releases_a_locked_account_after_15_minutes(alice):
    for _ in range(5):
        sign_in("alice", WRONG)
    assert sign_in("alice", PASSWORD).status_code == 429

    # Fifteen minutes pass (axes compares each attempt's time with the cool-off).
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    assert sign_in("alice", PASSWORD).status_code == 200


def test_it_does_not_lock_after_four_failures(alice):
    for _ in range(4):
        sign_in("alice", WRONG)

    assert sign_in("alice", PASSWORD).status_code == 200


def test_it_logs_out_only_by_post_and_the_token_stops_working(alice, client_for):
    client = client_for(alice)

    assert client.get("/api/v1/auth/logout/").status_code == 405
    assert client.post("/api/v1/auth/logout/").status_code == 204

    token = ApiToken.objects.get(user=alice)
    assert token.revoked_reason == ApiToken.RevokeReason.LOGOUT
    assert client.get("/api/v1/homes/").status_code == 401
    assert client.post("/api/v1/auth/logout/").status_code == 401


def test_it_signs_out_of_the_web_app_only_by_post(alice, client):
    client.force_login(alice)

    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/api/v1/homes/").status_code == 401


def test_it_ends_a_session_on_logout_and_wants_a_csrf_token_for_it(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.get("/login/")  # the sign-in page sets the CSRF cookie, as in a browser
    csrf = client.cookies["csrftoken"].value
    client.force_login(alice)

    refused = client.post("/api/v1/auth/logout/")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert client.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert client.get("/api/v1/homes/").status_code == 401


def _age_session(key: str, *, minutes: float) -> None:
    """As if the session's last request were `minutes` ago: its deadline and the time of
    its last write both moved back."""
    session = SessionStore(session_key=key)
    session[SESSION_TOUCHED_KEY] = int(time.time() - minutes * 60)
    session.save()
    idle_left = django_settings.SESSION_COOKIE_AGE - minutes * 60
    deadline = timezone.now() + datetime.timedelta(seconds=idle_left)
    Session.objects.filter(session_key=key).update(expire_date=deadline)


def test_it_ends_a_session_after_30_minutes_idle(alice):
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    client = APIClient()
    client.force_login(alice)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    sessions = Session.objects.filter(session_key=key)

    # 29 minutes without a request: still signed in, and the request restarts the clock.
    _age_session(key, minutes=29)
    assert client.get("/api/v1/homes/").status_code == 200
    remaining = sessions.get().expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)

    # 30 minutes without a request: signed out.
    _age_session(key, minutes=30.02)
    response = client.get("/api/v1/homes/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_it_writes_the_session_once_a_minute_not_on_every_request(alice):
    client = APIClient()
    client.force_login(alice)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/homes/").status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] for q in queries.captured_queries)

    assert session_writes() == 1  # the first request after signing in moves the deadline
    assert session_writes() == 0  # the next, seconds later, does not write
    assert session_writes() == 0
    _age_session(key, minutes=1.1)
    assert session_writes() == 1  # a minute on, the deadline moves again
    remaining = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert remaining > datetime.timedelta(minutes=29, seconds=50)


def test_it_refuses_an_unknown_token_with_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get("/api/v1/homes/")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid or expired token: sign in again.",
        "code": "authentication_failed",
    }
    assert response.headers["WWW-Authenticate"] == "Token"


def test_it_refuses_the_token_of_a_deactivated_user(alice, client_for):
    client = client_for(alice)
    alice.is_active = False
    alice.save()

    assert client.get("/api/v1/homes/").status_code == 401


def test_it_slows_one_address_trying_many_accounts(db):
    client = APIClient()
    answers = [
        client.post(
            "/api/v1/auth/token/", {"username": f"guess{n}", "password": "x"}, format="json"
        ).status_code
        for n in range(31)
    ]
    assert answers[:30] == [400] * 30  # wrong credentials, each a different account
    assert answers[30] == 429


def test_it_clears_the_failures_of_an_account_at_each_sign_in(alice):
    for _ in range(4):
        sign_in("alice", WRONG)
    assert sign_in("alice", PASSWORD).status_code == 200

    for _ in range(4):
        sign_in("alice", WRONG)

    # Eight failures in all, but never five in a row: the account is not locked.
    assert sign_in("alice", PASSWORD).status_code == 200


def test_it_records_each_token_issued_with_the_client_address(alice):
    response = sign_in("alice", PASSWORD, REMOTE_ADDR="198.51.100.7")

    token = ApiToken.objects.get(user=alice)
    entry = AuditEntry.objects.get(action="token.issued")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        alice,
        "accounts.apitoken",
        str(token.pk),
    )
    assert entry.ip == "198.51.100.7"
    assert response.json()["token"] not in json.dumps([entry.before, entry.after])


def test_it_opens_no_session_for_a_token_client(alice):
    response = sign_in("alice", PASSWORD)

    assert response.status_code == 200
    assert not response.cookies
    assert not Session.objects.exists()


def test_it_puts_the_token_sign_in_and_logout_on_the_trail(alice):
    key = sign_in("alice", PASSWORD, REMOTE_ADDR="198.51.100.7").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.post("/api/v1/auth/logout/", REMOTE_ADDR="198.51.100.7")

    for action in ("auth.login", "auth.logout"):
        entry = AuditEntry.objects.get(action=action)
        assert (entry.actor, entry.ip) == (alice, "198.51.100.7")


# With MFA_REQUIRED (on by default; the suite turns it off), a token needs a one-time code.


def enrol_authenticator(user):
    from accounts.models import Authenticator

    return Authenticator.objects.create(user=user, name="phone", confirmed=True)


def current_code(device) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device) -> str:
    return f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED = True


def test_it_issues_a_token_against_the_code_of_the_authenticator(alice, mfa_on):
    device = enrol_authenticator(alice)

    response = sign_in("alice", PASSWORD, otp=current_code(device))

    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/homes/").status_code == 200


def test_it_wants_the_code_when_mfa_is_required(alice, mfa_on):
    enrol_authenticator(alice)

    response = sign_in("alice", PASSWORD)

    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert not ApiToken.objects.exists()
    # Asking for the code is not a failed attempt: the password was never tried.
    assert not AccessAttempt.objects.exists()


def test_it_refuses_a_wrong_code_and_counts_it_towards_the_lockout(alice, mfa_on):
    device = enrol_authenticator(alice)

    answers = [sign_in("alice", PASSWORD, otp=wrong_code(device)) for _ in range(5)]
    locked = sign_in("alice", PASSWORD, otp=current_code(device))

    assert [a.status_code for a in answers] == [400] * 5
    assert all(list(a.json()) == ["otp"] for a in answers)
    assert locked.status_code == 429
    assert locked.json()["code"] == "account_locked"
    assert not ApiToken.objects.exists()
    failures = AuditEntry.objects.filter(action="auth.login_failed").order_by("id")
    assert failures.last().after == {"username": "alice", "locked": True}


def test_it_tells_a_user_without_an_authenticator_to_enrol_on_the_web_first(alice, mfa_on):
    response = sign_in("alice", PASSWORD, otp="123456")

    assert response.status_code == 400
    assert "sign in once on the web" in response.json()["otp"][0]
    assert not ApiToken.objects.exists()


def test_it_asks_for_no_code_when_mfa_is_off(alice, settings):
    settings.MFA_REQUIRED = False
    enrol_authenticator(alice)

    assert sign_in("alice", PASSWORD).status_code == 200
