"""Multi-factor sign-in (issue 12, finding 1): with MFA_REQUIRED a password alone opens
nothing; the first sign-in enrols an authenticator app (TOTP) and shows recovery codes
once; later sign-ins ask for a code; an administrator can reset it all.

The authenticator's clock is a fixture (`clock`): django-otp reads `time.time()` when
it checks a code, and the tests choose the 30-second step a code belongs to instead of
racing the wall clock across a step boundary.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp import models as totp_models

from accounts.mfa import (
    mfa_enrol_begin,
    mfa_enrol_confirm,
    recovery_codes_left,
    second_factor_verify,
)
from accounts.models import ApiToken, Authenticator, RecoveryCode, User
from accounts.tokens import token_issue
from audit.models import AuditEntry, Outcome
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


class Clock:
    """What django-otp's TOTP check takes for `time.time()`."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(totp_models, "time", clock)
    return clock


@pytest.fixture(autouse=True)
def mfa_on(settings):
    settings.MFA_REQUIRED = True
    # One MD5 hash, not Argon2's 0.4 s, per recovery code: test_it_stores_recovery_codes_
    # as_password_hashes puts the production hasher back.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def code(device: Authenticator, clock: Clock, steps: int = 0) -> str:
    """The code the user's app shows now (or `steps` steps of 30 s later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user: User, clock: Clock) -> tuple[Authenticator, list[str]]:
    """A user who set up the app (and a step later, as at any later sign-in)."""
    device = mfa_enrol_begin(user)
    codes = mfa_enrol_confirm(user=user, device=device, code=code(device, clock))
    clock.advance(30)
    return device, codes


def password_step(
    client: Client, username: str = "alice", next_url: str = "/", password: str = PASSWORD
):
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def wait_over(device: Authenticator) -> None:
    """As if the seconds django-otp asks a guesser to wait had passed."""
    Authenticator.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)


def test_it_enrols_an_authenticator_at_the_first_sign_in(alice, clock):
    client = Client()

    signed = password_step(client, next_url="/notifications/")

    assert signed.status_code == 302
    assert signed["Location"] == "/login/enrol/?next=%2Fnotifications%2F"
    page = client.get(signed["Location"])
    assert page.status_code == 200
    html = text(page)
    device = Authenticator.objects.get(user=alice)
    assert not device.confirmed
    secret = base64.b32encode(device.bin_key).decode()
    assert " ".join(re.findall(".{4}", secret)) in html  # typed in groups
    assert "<svg" in html and 'class="segno"' in html  # the QR code, drawn inline
    # On the phone itself, a link hands the key to the authenticator app.
    assert 'href="otpauth://totp/' in html and f"secret={secret}" in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "style=" not in html and "<script>" not in html
    assert secret[:4] in text(client.get(signed["Location"]))
    assert Authenticator.objects.filter(user=alice).count() == 1  # a reload keeps the secret

    done = client.post("/login/enrol/", {"code": code(device, clock), "next": "/notifications/"})

    assert done.status_code == 200
    shown = re.findall(r"<code>([A-Z0-9-]{19})</code>", text(done))
    assert len(shown) == 10 and len(set(shown)) == 10
    assert "will not show them again" in text(done)
    assert 'class="button primary" href="/notifications/"' in text(done)
    device.refresh_from_db()
    assert device.confirmed
    assert recovery_codes_left(alice) == 10
    assert client.get("/").status_code == 200  # signed in now
    assert client.get("/api/v1/homes/").status_code == 200
    enrolment = AuditEntry.objects.get(action="auth.mfa_enrolled", object_id=str(alice.pk))
    trail = str(list(AuditEntry.objects.values_list("before", "after")))
    assert enrolment.actor == alice and enrolment.ip == "127.0.0.1"
    assert secret not in trail and device.key not in trail
    assert not any(c in trail or c.replace("-", "") in trail for c in shown)


def test_it_asks_an_enrolled_user_for_a_code_at_every_sign_in(alice, clock):
    device, _ = enrolled(alice, clock)
    client = Client()

    signed = password_step(client, next_url="/notifications/")

    assert signed["Location"] == "/login/verify/?next=%2Fnotifications%2F"
    page = client.get(signed["Location"])
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in text(page) and 'inputmode="numeric"' in text(page)
    assert 'href="/notifications/"' not in text(page)  # no menu before the second factor
    verified = client.post(
        "/login/verify/", {"code": code(device, clock), "next": "/notifications/"}
    )
    assert verified.status_code == 302
    assert verified["Location"] == "/notifications/"
    assert client.get("/notifications/").status_code == 200
    entry = AuditEntry.objects.get(action="auth.mfa_verified")
    assert entry.actor == alice and entry.outcome == Outcome.OK


@pytest.mark.parametrize(
    "path", ["/", "/notifications/", "/account/password/", "/admin/", "/search/"]
)
def test_a_password_alone_opens_no_page(alice, clock, path):
    enrolled(alice, clock)
    client = Client()
    password_step(client)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/verify/?next=")


def test_a_password_alone_opens_no_api(alice, clock):
    enrolled(alice, clock)
    client = Client()
    password_step(client)

    response = client.get("/api/v1/homes/")

    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"


def test_a_new_user_must_enrol_before_anything_else(alice):
    client = Client()
    password_step(client)

    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/enrol/")
    assert client.get("/api/v1/homes/").status_code == 403
    assert client.get("/login/verify/")["Location"].startswith("/login/enrol/")


def test_it_refuses_a_wrong_code_and_a_reused_one(alice, clock):
    device, _ = enrolled(alice, clock)
    right = code(device, clock)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    client = Client()
    password_step(client)

    refused = client.post("/login/verify/", {"code": wrong})

    assert refused.status_code == 400
    assert "That code did not work" in text(refused)
    assert 'aria-invalid="true"' in text(refused)
    assert client.get("/").status_code == 302
    failure = AuditEntry.objects.get(action="auth.mfa_failed")
    assert failure.outcome == Outcome.FAILED and failure.actor == alice
    assert wrong not in str(failure.after)

    wait_over(device)
    assert client.post("/login/verify/", {"code": right}).status_code == 302
    assert client.get("/").status_code == 200

    again = Client()
    password_step(again)
    replayed = again.post("/login/verify/", {"code": right})

    assert replayed.status_code == 400
    assert again.get("/").status_code == 302


def test_it_makes_a_guesser_wait_even_for_the_right_code(alice, clock):
    device, _ = enrolled(alice, clock)
    client = Client()
    password_step(client)
    for guess in ("000000", "111111", "222222", "333333"):
        wait_over(device)
        client.post("/login/verify/", {"code": guess})

    response = client.post("/login/verify/", {"code": code(device, clock)})  # 8 s to wait

    assert response.status_code == 400
    assert re.search(r"Too many wrong codes\. Wait [1-8] seconds?", text(response))
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.mfa_failed").count() == 5


def test_it_signs_in_once_with_each_recovery_code(alice, clock):
    _, codes = enrolled(alice, clock)
    client = Client()
    password_step(client, next_url="/notifications/")

    # As read off paper: lower case, without the dashes.
    used = client.post(
        "/login/verify/",
        {"recovery_code": codes[0].replace("-", "").lower(), "next": "/notifications/"},
    )

    assert used.status_code == 302 and used["Location"] == "/notifications/"
    assert "9 left" in text(client.get("/notifications/"))
    assert recovery_codes_left(alice) == 9
    entry = AuditEntry.objects.get(action="auth.recovery_code_used")
    assert entry.after == {"method": "recovery_code", "remaining": 9}

    again = Client()
    password_step(again)
    refused = again.post("/login/verify/", {"recovery_code": codes[0]})

    assert refused.status_code == 400
    assert "used already" in text(refused)
    assert again.get("/").status_code == 302
    assert again.post("/login/verify/", {"recovery_code": codes[1]}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_two_requests_cannot_both_use_one_recovery_code(settings, clock):
    alice = UserFactory(username="alice")
    _, codes = enrolled(alice, clock)
    threads_n = 6
    start = threading.Barrier(threads_n)
    results: list[object] = [None] * threads_n

    def use(i: int) -> None:
        try:
            start.wait()
            results[i] = second_factor_verify(user=alice, code=codes[0])
        except Exception as exc:  # recorded: the test fails on it
            results[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=use, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results, key=str) == [False] * (threads_n - 1) + [True]
    assert RecoveryCode.objects.filter(user=alice, used_at__isnull=False).count() == 1


def test_it_stores_recovery_codes_as_password_hashes(settings, alice, clock):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    _, codes = enrolled(alice, clock)

    stored = list(RecoveryCode.objects.filter(user=alice).values_list("code_hash", flat=True))

    assert len(stored) == 10
    assert all(h.startswith("argon2$argon2id$") for h in stored)
    assert not any(c.replace("-", "") in h for c in codes for h in stored)
    assert second_factor_verify(user=alice, code=codes[3])


@pytest.mark.parametrize(
    "bad", [None, "", " ", "\x00", "12345\x00", "9" * 100_000, 123456, "²²²²²²", "١٢٣٤٥٦", []]
)
def test_it_never_raises_on_a_strange_code(alice, clock, bad):
    enrolled(alice, clock)

    assert second_factor_verify(user=alice, code=bad) is False


def test_an_admin_reset_makes_the_user_enrol_again(alice, admin_user, clock):
    device, codes = enrolled(alice, clock)
    key, _ = token_issue(user=alice)
    old_session = Client()
    password_step(old_session)
    old_session.post("/login/verify/", {"code": code(device, clock)})
    assert old_session.get("/").status_code == 200
    admin = Client()
    admin.force_login(admin_user)  # MFA_REQUIRED: force_login is not a verified session...
    admin_device, _ = enrolled(admin_user, clock)
    admin.post("/login/verify/", {"code": code(admin_device, clock)})  # ...until this

    reset = admin.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [str(alice.pk)]},
    )

    assert reset.status_code == 302
    assert old_session.get("/")["Location"].startswith("/login/")  # signed out
    api = Client().get("/api/v1/homes/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 401
    assert ApiToken.objects.get(user=alice).revoked_reason == ApiToken.RevokeReason.MFA_RESET
    assert recovery_codes_left(alice) == 0
    assert not second_factor_verify(user=alice, code=codes[0])
    entry = AuditEntry.objects.get(action="auth.mfa_reset")
    assert entry.actor == admin_user and entry.object_id == str(alice.pk)
    assert entry.after["tokens_revoked"] == 1 and entry.before["authenticators"] == 1
    assert Authenticator.objects.filter(pk=device.pk, confirmed=False).exists()  # kept, marked

    client = Client()
    signed = password_step(client)
    assert signed["Location"].startswith("/login/enrol/")
    client.get("/login/enrol/")
    new_device = Authenticator.objects.filter(user=alice).latest("pk")
    assert new_device.key != device.key
    assert client.post("/login/enrol/", {"code": code(device, clock, steps=1)}).status_code == 400
    wait_over(new_device)
    assert client.post("/login/enrol/", {"code": code(new_device, clock)}).status_code == 200
    assert client.get("/").status_code == 200


def test_it_renews_recovery_codes_against_a_code_from_the_app(alice, clock):
    device, old = enrolled(alice, clock)
    client = Client()
    password_step(client)
    client.post("/login/verify/", {"code": code(device, clock)})
    clock.advance(30)
    assert "10</strong> unused" in text(client.get("/account/recovery-codes/"))

    refused = client.post("/account/recovery-codes/", {"code": "12"})
    assert refused.status_code == 400
    wait_over(device)
    renewed = client.post("/account/recovery-codes/", {"code": code(device, clock)})

    assert renewed.status_code == 200
    new = re.findall(r"<code>([A-Z0-9-]{19})</code>", text(renewed))
    assert len(new) == 10 and not set(new) & set(old)
    assert not second_factor_verify(user=alice, code=old[0])
    assert second_factor_verify(user=alice, code=new[0])
    assert AuditEntry.objects.filter(action="auth.recovery_codes_renewed").exists()


def test_it_refuses_a_second_enrolment_racing_the_first(alice, clock):
    first, second = mfa_enrol_begin(alice), mfa_enrol_begin(alice)
    mfa_enrol_confirm(user=alice, device=first, code=code(first, clock))

    with pytest.raises(Exception, match="already set up"):
        mfa_enrol_confirm(user=alice, device=second, code=code(second, clock))

    assert list(Authenticator.objects.filter(user=alice, confirmed=True)) == [first]


# --- add_user --totp-secret ---------------------------------------------------------------


def add_user(*args: str) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def test_add_user_enrols_a_provisioned_authenticator(db, clock):
    key = secrets.token_bytes(20)
    secret = base64.b32encode(key).decode()

    output = add_user("dana", "--password", "s3cret-pass!", "--role", "admin",
                      "--totp-secret", secret.lower())  # fmt: skip

    assert "authenticator enrolled" in output
    dana = User.objects.get(username="dana")
    device = Authenticator.objects.get(user=dana)
    assert device.confirmed and device.bin_key == key
    client = Client()
    signed = password_step(client, "dana", password="s3cret-pass!")
    assert signed["Location"].startswith("/login/verify/")
    assert client.post("/login/verify/", {"code": code(device, clock)}).status_code == 302
    assert client.get("/").status_code == 200
    assert secret not in str(list(AuditEntry.objects.values_list("after", flat=True)))


@pytest.mark.parametrize(
    "secret", ["not base32!", "JBSWY3DPEHPK3PXP", "", "A" * 200, "MZXW6YTB\x00"]
)
def test_add_user_refuses_a_bad_totp_secret_and_creates_nobody(db, secret):
    with pytest.raises(CommandError, match="totp_secret: Give the secret in base32"):
        add_user("dana", "--password", "s3cret-pass!", "--role", "admin",
                 "--totp-secret", secret)  # fmt: skip

    assert not User.objects.filter(username="dana").exists()
    assert not Authenticator.objects.exists()


# --- the admin never shows a second factor ------------------------------------------------


def test_the_admin_never_shows_an_authenticators_secret(settings, alice, admin_user, clock):
    settings.MFA_REQUIRED = False
    device, codes = enrolled(alice, clock)
    secret = base64.b32encode(device.bin_key).decode()
    client = Client()
    client.force_login(admin_user)

    pages = [
        client.get("/admin/accounts/authenticator/"),
        client.get(f"/admin/accounts/authenticator/{device.pk}/change/"),
        client.get("/admin/accounts/recoverycode/"),
        client.get(f"/admin/accounts/recoverycode/{RecoveryCode.objects.first().pk}/change/"),
    ]

    for page in pages:
        assert page.status_code == 200
        html = text(page)
        assert device.key not in html and secret not in html and secret[:16] not in html
        assert "md5$" not in html and not any(c in html for c in codes)
    assert "alice" in text(pages[0])
    # django-otp's pages that drew the key and its QR code are gone.
    for gone in ("config", "qrcode"):
        page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{gone}/", follow=True)
        assert 'class="segno"' not in text(page) and device.key not in text(page)
        assert page.status_code == 404  # its devices hold no secret: not even listed
        page = client.get(f"/admin/accounts/authenticator/{device.pk}/{gone}/", follow=True)
        assert 'class="segno"' not in text(page) and device.key not in text(page)
        assert page.redirect_chain[-1][0] == "/admin/"  # "no such object": the index
    assert client.get("/admin/accounts/authenticator/add/").status_code == 403


@pytest.mark.postgres
def test_a_session_is_verified_only_by_its_users_confirmed_authenticator(alice, bob, clock):
    # The session's authenticator is read in SQL written once (accounts.middleware); what
    # django-otp decides of it is unchanged.
    device, _ = enrolled(alice, clock)
    theirs, _ = enrolled(bob, clock)
    unconfirmed = Authenticator.objects.create(user=alice, name="new", confirmed=False)
    client = Client()
    client.force_login(alice)
    for persistent_id, opens in (
        (device.persistent_id, True),
        (theirs.persistent_id, False),  # another user's
        (unconfirmed.persistent_id, False),
        ("accounts.authenticator/999999", False),  # none
        ("accounts.authenticator/1x", False),
        ("accounts.authenticator/99999999999999999999999", False),
    ):
        session = client.session
        session["otp_device_id"] = persistent_id
        session.save()
        response = client.get("/notifications/")
        assert (response.status_code == 200) is opens, persistent_id
        # A device that does not verify is forgotten: the next page asks for a code again.
        assert ("otp_device_id" in client.session) is opens, persistent_id


@pytest.mark.postgres
def test_the_authenticator_read_for_a_page_is_the_orms_and_its_secret_read_when_asked(alice, clock):
    from accounts.middleware import OTPMiddleware

    device, _ = enrolled(alice, clock)
    read = OTPMiddleware(lambda request: None)._device_from_persistent_id(device.persistent_id)
    expected = Authenticator.objects.get(pk=device.pk)
    assert type(read) is Authenticator and read.get_deferred_fields() == {"key"}
    for field in Authenticator._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name
    assert read.bin_key == expected.bin_key  # the secret, decrypted when first touched
