"""Passwords and usernames (issue 12, finding 1): a password-change page and API (404
before), Django's validators in `add_user` (`--password a` was accepted), and usernames
unique whatever their case (`CW_A1` was created beside `cw_a1`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import token_issue
from audit.models import AuditEntry, Outcome

pytestmark = pytest.mark.postgres

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
NEW = "lantern-orchard-quietly"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def api_works(key: str) -> int:
    return APIClient().get("/api/v1/homes/", HTTP_AUTHORIZATION=f"Token {key}").status_code


# --- the page -----------------------------------------------------------------------------


def test_the_header_links_to_the_account_page_which_links_to_the_password_page(alice):
    page = signed_in(alice).get("/")

    assert 'href="/account/"' in text(page)
    assert 'href="/account/password/"' in text(signed_in(alice).get("/account/"))


def test_it_changes_a_password_on_the_page_keeping_this_session(alice):
    key, _ = token_issue(user=alice)
    client, elsewhere = signed_in(alice), signed_in(alice)
    form = client.get("/account/password/")
    assert form.status_code == 200
    assert 'autocomplete="current-password"' in text(form)
    assert 'autocomplete="new-password"' in text(form)

    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )

    assert response.redirect_chain == [("/", 302)]
    assert "Your password is changed" in text(response)
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert client.get("/").status_code == 200  # this session stays signed in
    assert elsewhere.get("/").status_code == 302  # another one does not
    assert api_works(key) == 401  # nor the API token issued before (accounts.signals)
    entry = AuditEntry.objects.get(action="auth.password_changed")
    assert entry.actor == alice and entry.object_id == str(alice.pk)
    assert NEW not in str(entry.after) and PASSWORD not in str(entry.after)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("wrong-password-123", NEW, "old_password", "Your old password was entered incorrectly"),
        (PASSWORD, "short-pw", "new_password2", "This password is too short"),
        (PASSWORD, "123456789012345", "new_password2", "This password is entirely numeric"),
        (PASSWORD, "password1234", "new_password2", "This password is too common"),
        (PASSWORD, "alice@example.org", "new_password2", "too similar to the email"),
    ],
)
def test_it_refuses_a_wrong_or_weak_password_on_the_page(alice, old, new, field, message):
    client = signed_in(alice)

    response = client.post(
        "/account/password/", {"old_password": old, "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 400
    assert message in text(response)
    assert f'id="id_{field}"' in text(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="auth.password_changed").exists()


def test_it_audits_a_wrong_current_password(alice):
    signed_in(alice).post(
        "/account/password/",
        {"old_password": "not-my-password", "new_password1": NEW, "new_password2": NEW},
    )

    entry = AuditEntry.objects.get(action="auth.password_change_failed")
    assert entry.outcome == Outcome.FAILED and entry.actor == alice
    assert "not-my-password" not in str(entry.after)


# --- the API ------------------------------------------------------------------------------


def test_it_changes_a_password_through_the_api_and_ends_the_old_token(alice):
    key, _ = token_issue(user=alice)
    other_key, _ = token_issue(user=alice, name="tablet")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.post(
        "/api/v1/auth/password/",
        {"old_password": PASSWORD, "new_password": NEW},
        format="json",
    )

    assert response.status_code == 204
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    assert api_works(key) == 401
    assert api_works(other_key) == 401
    signed = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": NEW}, format="json"
    )
    assert signed.status_code == 200
    assert AuditEntry.objects.filter(action="auth.password_changed", actor=alice).exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"old_password": "nope-not-it-1", "new_password": NEW}, {"old_password"}),
        ({"old_password": PASSWORD, "new_password": "a"}, {"new_password"}),
        ({"old_password": PASSWORD, "new_password": "1234567890123"}, {"new_password"}),
        ({}, {"old_password", "new_password"}),
        ({"old_password": PASSWORD, "new_password": NEW * 100}, {"new_password"}),
    ],
)
def test_the_api_names_the_field_it_refuses(alice, body, errors):
    key, _ = token_issue(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.post("/api/v1/auth/password/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == errors
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert api_works(key) == 200


def test_the_api_keeps_the_session_that_changed_the_password(alice):
    client = APIClient()  # signed in by session; the test client waives the CSRF check
    client.force_login(alice)

    response = client.post(
        "/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": NEW}, format="json"
    )

    assert response.status_code == 204
    assert client.get("/api/v1/homes/").status_code == 200


# --- add_user: validators and case-insensitive usernames ----------------------------------


def add_user(*args: str) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("a", "password: This password is too short. It must contain at least 12 characters."),
        ("123456789012", "password: This password is entirely numeric."),
        ("password1234", "password: This password is too common."),
        ("weak1weak1weak1", "password: The password is too similar to the username."),
    ],
)
def test_add_user_refuses_a_weak_password(db, password, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.")):
        add_user("weak1weak1weak1", "--password", password, "--role", "admin")

    assert not User.objects.filter(username="weak1weak1weak1").exists()


def test_add_user_refuses_a_username_that_differs_only_in_case(db):
    add_user("cw_a1", "--password", "s3cret-pass!", "--role", "case_worker", "--agency", "ks")

    with pytest.raises(CommandError, match="username: A user named 'cw_a1' already exists"):
        add_user("CW_A1", "--password", "s3cret-pass!", "--role", "case_worker", "--agency", "ks")

    assert list(User.objects.values_list("username", flat=True)) == ["cw_a1"]


def test_the_admin_refuses_a_case_twin_when_adding_a_user(admin_user, alice):
    response = signed_in(admin_user).post(
        "/admin/accounts/user/add/",
        {
            "username": "ALICE",
            "usable_password": "true",
            "password1": NEW,
            "password2": NEW,
            "role": "admin",
        },
    )

    assert response.status_code == 200
    assert "A user with that username already exists" in text(response)
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_the_admin_refuses_a_case_twin_when_renaming_a_user(admin_user, alice, bob):
    client = signed_in(admin_user)
    url = f"/admin/accounts/user/{bob.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update({"username": "Alice", "date_joined_0": "2026-01-01", "date_joined_1": "00:00"})
    data.pop("password", None)
    data.pop("last_login", None)
    data["groups"] = []
    data["user_permissions"] = []

    response = client.post(url, data)

    assert response.status_code == 200
    assert "already exists (usernames ignore case)" in text(response)
    bob.refresh_from_db()
    assert bob.username == "bob"


def test_the_admin_audits_setting_a_users_password(admin_user, alice):
    key, _ = token_issue(user=alice)

    response = signed_in(admin_user).post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="auth.password_changed")
    assert entry.actor == admin_user and entry.object_id == str(alice.pk)
    assert api_works(key) == 401
