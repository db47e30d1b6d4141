"""Issue 29, finding 9: authenticator (TOTP) secrets were stored in clear text, so a
database dump or a backup gave away every user's second factor. They are encrypted with
FIELD_ENCRYPTION_KEY now, as a child's name is; sign-in with the same app keeps working,
through an upgrade and through a key rotation."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django_otp.plugins.otp_totp import models as totp_models
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Authenticator, User
from core.fields import decrypt
from tests.accounts.test_mfa import Clock, code, enrolled, password_step

pytestmark = pytest.mark.postgres

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
BEFORE = [("accounts", "0006_agency_duty_clocks")]


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(totp_models, "time", clock)
    return clock


@pytest.fixture(autouse=True)
def mfa_on(settings):
    settings.MFA_REQUIRED = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def stored_keys(table: str = "accounts_authenticator") -> list[str]:
    """The key column as a dump of the database shows it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def dump_text() -> str:
    """Every cell of every table that holds devices: what a dump gives away."""
    cells = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in {"accounts_authenticator", "otp_totp_totpdevice"} & set(tables):
            cursor.execute(f"SELECT * FROM {table}")
            cells += [str(cell) for row in cursor.fetchall() for cell in row]
    return "\n".join(cells)


def signs_in_with_a_code(username: str, device: Authenticator, clock: Clock) -> bool:
    """A fresh sign-in: the password, then the code the user's app shows now."""
    client = Client()
    password_step(client, username=username, next_url="/notifications/")
    clock.advance(30)
    verified = client.post(
        "/login/verify/", {"code": code(device, clock), "next": "/notifications/"}
    )
    return verified.status_code == 302 and client.get("/notifications/").status_code == 200


def test_the_secret_is_not_in_the_database_in_clear_and_sign_in_still_works(alice, clock):
    device, _ = enrolled(alice, clock)
    secret_hex = device.key
    secret_b32 = base64.b32encode(device.bin_key).decode().rstrip("=")

    [raw] = stored_keys()
    dump = dump_text()

    assert len(bytes.fromhex(secret_hex)) == 20
    assert secret_hex not in dump and secret_hex.upper() not in dump
    assert secret_b32 not in dump and secret_b32[:16] not in dump
    assert raw != secret_hex and decrypt(raw) == secret_hex  # a Fernet token of it
    assert not TOTPDevice.objects.exists()  # nothing enrols into django-otp's clear table
    assert signs_in_with_a_code("alice", device, clock)


def test_a_provisioned_secret_is_encrypted_too(alice, clock):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    call_command(
        "add_user", "dora", role="home_admin", password="correct-horse-battery",
        totp_secret=secret, stdout=StringIO(),
    )  # fmt: skip
    dora = User.objects.get(username="dora")
    device = Authenticator.objects.get(user=dora, confirmed=True)

    assert device.bin_key == base64.b32decode(secret)
    assert base64.b32decode(secret).hex() not in dump_text()
    assert signs_in_with_a_code("dora", device, clock)


def test_a_rotated_field_key_still_verifies(settings, alice, clock):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    device, _ = enrolled(alice, clock)
    [under_old] = stored_keys()
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    out = StringIO()
    call_command("rotate_keys", stdout=out)

    assert "accounts_authenticator: 1/1 rows read, 1 values re-encrypted" in out.getvalue()
    [under_new] = stored_keys()
    assert under_new != under_old
    call_command("rotate_keys", "--check", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key dropped
    assert Fernet(NEW.encode()).decrypt(under_new.encode()).decode() == device.key
    assert signs_in_with_a_code("alice", device, clock)


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_encrypts_existing_authenticators_and_their_codes_keep_working(alice, clock):
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)  # the release before: django-otp's device, key in clear
        old = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
        pending = TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=False)
        TOTPDevice.objects.filter(pk=old.pk).update(last_t=7, throttling_failure_count=2)
        secret = old.key
        assert secret in dump_text()  # the finding

        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        moved = Authenticator.objects.get(pk=old.pk)
        assert (moved.key, moved.confirmed, moved.last_t, moved.throttling_failure_count) == (
            secret, True, 7, 2,
        )  # fmt: skip
        assert moved.created_at == old.created_at
        assert Authenticator.objects.get(pk=pending.pk).confirmed is False  # enrolment goes on
        assert secret not in dump_text() and pending.key not in dump_text()
        assert list(TOTPDevice.objects.values_list("key", "confirmed")) == [("", False)] * 2
        Authenticator.objects.filter(pk=moved.pk).update(throttling_failure_count=0)
        assert signs_in_with_a_code("alice", moved, clock)  # the same app, the same codes
        assert Authenticator.objects.create(user=alice, name="next").pk > pending.pk

        executor.loader.build_graph()
        executor.migrate(BEFORE)  # rolled back: django-otp's devices work again

        back = TOTPDevice.objects.get(pk=old.pk)
        assert (back.key, back.confirmed) == (secret, True)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
