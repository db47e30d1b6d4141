"""API tokens (issue 12, finding 2): one per device, hashed, expiring, and ending with
logout, a password change or deactivation; nobody can read one after it is issued."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from audit.models import AuditEntry

pytestmark = pytest.mark.postgres

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(username: str = "alice", password: str = PASSWORD, **body) -> dict:
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password, **body}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def works(key: str) -> bool:
    status = api(key).get("/api/v1/homes/").status_code
    assert status in (200, 401), status
    return status == 200


def test_it_gives_each_device_its_own_token_and_all_of_them_work(alice):
    phone = sign_in(name="phone")["token"]
    laptop = sign_in(name="laptop")["token"]

    assert phone != laptop
    assert works(phone) and works(laptop)
    assert sorted(ApiToken.objects.filter(user=alice).values_list("name", flat=True)) == [
        "laptop",
        "phone",
    ]


def test_it_ends_only_the_token_that_logs_out(alice):
    phone = sign_in(name="phone")["token"]
    laptop = sign_in(name="laptop")["token"]

    assert api(phone).post("/api/v1/auth/logout/").status_code == 204

    assert not works(phone)
    assert works(laptop)
    revoked = ApiToken.objects.get(name="phone")
    assert revoked.revoked_reason == ApiToken.RevokeReason.LOGOUT
    # Revoked, never deleted: the trail can still name the credential a request used.
    assert ApiToken.objects.filter(user=alice).count() == 2
    entry = AuditEntry.objects.get(action="token.revoked")
    assert (entry.actor, entry.object_id) == (alice, str(revoked.pk))


def test_it_stores_a_digest_of_the_key_and_never_the_key(alice):
    key = sign_in()["token"]

    token = ApiToken.objects.get(user=alice)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    assert rows and not any(key in str(value) for row in rows for value in row)


def test_it_says_when_the_token_expires_and_refuses_it_after(alice, settings):
    settings.API_TOKEN_TTL_MINUTES = 8 * 60
    before = timezone.now()
    answer = sign_in()

    expires = datetime.datetime.fromisoformat(answer["expires"])
    shift = datetime.timedelta(hours=8)
    assert before + shift <= expires <= timezone.now() + shift
    assert works(answer["token"])

    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = api(answer["token"]).get("/api/v1/homes/")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_it_ends_every_token_when_the_password_changes(alice):
    phone, laptop = sign_in()["token"], sign_in()["token"]

    user = User.objects.get(pk=alice.pk)
    user.set_password("a-brand-new-passphrase-42")
    user.save()

    assert not works(phone) and not works(laptop)
    assert set(ApiToken.objects.values_list("revoked_reason", flat=True)) == {"password_changed"}
    entry = AuditEntry.objects.get(action="token.revoked_all")
    assert entry.after == {"reason": "password_changed", "tokens": 2}
    assert works(sign_in(password="a-brand-new-passphrase-42")["token"])


def test_it_ends_every_token_when_an_admin_sets_a_new_password(alice, admin_user):
    key = sign_in()["token"]
    client = Client()
    client.force_login(admin_user)
    new = "another-long-passphrase-7"

    response = client.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"password1": new, "password2": new, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert not works(key)


def test_it_ends_every_token_when_a_hash_is_stored_directly(alice):
    key = sign_in()["token"]

    user = User.objects.get(pk=alice.pk)
    user.password = make_password("set-by-a-script-2024")
    user.save()

    assert not works(key)


def test_it_keeps_the_tokens_when_django_only_rehashes_the_same_password(alice, settings):
    key = sign_in()["token"]
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    # Signing in again upgrades the stored MD5 hash to PBKDF2: the same password.
    second = sign_in()["token"]

    assert User.objects.get(pk=alice.pk).password.startswith("pbkdf2_sha256$")
    assert works(key) and works(second)


def test_it_ends_tokens_at_deactivation_and_reactivation_does_not_revive_them(alice):
    key = sign_in()["token"]

    alice.is_active = False
    alice.save()
    alice.is_active = True
    alice.save()

    assert not works(key)
    assert ApiToken.objects.get().revoked_reason == ApiToken.RevokeReason.DEACTIVATED


def test_it_ends_tokens_at_reactivation_after_a_deactivation_that_skipped_save(alice):
    key = sign_in()["token"]
    User.objects.filter(pk=alice.pk).update(is_active=False)

    user = User.objects.get(pk=alice.pk)
    user.is_active = True
    user.save()

    assert not works(key)


def test_it_touches_no_token_when_other_fields_change(alice):
    key = sign_in()["token"]

    alice.phone = "+1 785 555 0100"
    alice.save()
    alice.last_login = timezone.now()
    alice.save(update_fields=["last_login"])

    assert works(key)
    assert not AuditEntry.objects.filter(action__startswith="token.revoked").exists()


def test_the_admin_lists_tokens_without_ever_showing_a_key(alice, admin_user):
    key = sign_in(name="night shift phone")["token"]
    token = ApiToken.objects.get(user=alice)
    client = Client()
    client.force_login(admin_user)

    listing = client.get("/admin/accounts/apitoken/")
    detail = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")

    for page in (listing, detail):
        assert page.status_code == 200
        html = page.content.decode()
        assert "night shift phone" in html and token.prefix in html
        assert key not in html
        assert token.digest not in html
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403


def test_an_admin_revokes_a_token_and_the_trail_says_who(alice, admin_user):
    key = sign_in()["token"]
    other = sign_in()["token"]
    token = ApiToken.objects.get(prefix=key[:8])
    client = Client()
    client.force_login(admin_user)

    response = client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        REMOTE_ADDR="203.0.113.5",
    )

    assert response.status_code == 302
    assert not works(key)
    assert works(other)
    token.refresh_from_db()
    assert token.revoked_reason == ApiToken.RevokeReason.ADMIN
    entry = AuditEntry.objects.get(action="token.revoked")
    assert (entry.actor, entry.object_id, entry.ip) == (admin_user, str(token.pk), "203.0.113.5")
    assert entry.after["reason"] == "admin"


@pytest.mark.parametrize(
    "path", ["/admin/authtoken/", "/admin/authtoken/tokenproxy/", "/admin/authtoken/token/"]
)
def test_the_old_plaintext_token_pages_are_gone(admin_user, path):
    client = Client()
    client.force_login(admin_user)

    assert client.get(path).status_code == 404


def test_it_notes_when_a_token_was_last_used(alice):
    key = sign_in()["token"]
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    ApiToken.objects.update(last_used_at=an_hour_ago)

    assert works(key)

    assert ApiToken.objects.get().last_used_at > an_hour_ago


@pytest.mark.parametrize("field,value", [("name", "n" * 101), ("otp", "1" * 65)])
def test_it_refuses_an_overlong_field_with_a_400_naming_it(alice, field, value):
    response = APIClient().post(
        TOKEN_URL, {"username": "alice", "password": PASSWORD, field: value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not ApiToken.objects.exists()
