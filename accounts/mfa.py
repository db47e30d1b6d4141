"""The second factor: an authenticator app (TOTP, through django-otp) and recovery codes.

With `settings.MFA_REQUIRED` a password alone reaches only the pages that enrol or ask
for the second factor (accounts.middleware), and the API issues a token only against a
one-time code (accounts.apis). The TOTP check is django-otp's: it allows one step of
clock drift, refuses a code at or before the last one accepted (no replay), and slows
down guessing (1, 2, 4, 8... seconds between tries after each failure, per device).

Recovery codes are 16 characters from a 29-character alphabet (77 bits), shown once
and stored as password hashes; the first group of four finds the row, so one sign-in
costs one hash, not ten. Every event is on the audit trail, never a code or secret.
"""

from __future__ import annotations

import binascii
import re
import secrets
from base64 import b32decode, b32encode
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Authenticator, RecoveryCode, User
from accounts.tokens import tokens_revoke_all
from audit.models import Outcome
from audit.services import audit_record
from core.types import Actor
from engine.rules import plural

RECOVERY_CODE_COUNT = 10
# No 0/O, 1/I/L or U/V look-alikes: a code is read off paper and typed on a phone.
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 4, 4
RECOVERY_LENGTH = RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH
DEVICE_NAME = "Authenticator app"
# RFC 4226 R6: a shared secret of at least 128 bits; the key holds 40 bytes, as django-otp's.
TOTP_SECRET_MIN_BYTES, TOTP_SECRET_MAX_BYTES = 16, 40
# Longer than any code or recovery code typed with spaces: longer input is not looked at.
CODE_MAX_LENGTH = 64
WRONG_CODE = (
    "That code did not work. Enter the 6 digits your app shows now: they change every "
    "30 seconds, and each works once."
)

_TOTP_CODE = re.compile(r"[0-9]{6}|[0-9]{8}")
_RECOVERY_CODE = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")


def has_second_factor(user: Actor) -> bool:
    """Whether the user has a confirmed authenticator (TOTP) device."""
    return Authenticator.objects.filter(user=user, confirmed=True).exists()


def confirmed_device(user: Actor) -> Authenticator | None:
    """The user's authenticator: the device a verified session is bound to."""
    return Authenticator.objects.filter(user=user, confirmed=True).order_by("pk").first()


def second_factor_wait(user: Actor) -> int:
    """Seconds before the user's authenticator accepts another code (after failures)."""
    device = confirmed_device(user)
    return 0 if device is None else device_wait(device)


def device_wait(device: Authenticator) -> int:
    """Seconds before this authenticator accepts another code: django-otp doubles the
    wait after each wrong code (1, 2, 4, 8... seconds) until a right one."""
    device.refresh_from_db(fields=["throttling_failure_count", "throttling_failure_timestamp"])
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, int((data["locked_until"] - timezone.now()).total_seconds() + 0.999))


def _normalise(code: Any) -> str:
    """The code without the spaces and dashes people type; "" for anything unusable."""
    if not isinstance(code, str) or len(code) > CODE_MAX_LENGTH:
        return ""
    return re.sub(r"[\s-]", "", code).upper()


def second_factor_verify(*, user: Actor, code: str, ip: str | None = None) -> bool:
    """True when `code` is a current code of the user's confirmed authenticator, or one
    of their unused recovery codes (which is then used up). Audits the outcome; never
    raises on bad input (any string, None, a huge value: False)."""
    if user is None or not getattr(user, "pk", None):
        return False
    text = _normalise(code)
    if _TOTP_CODE.fullmatch(text):
        return _totp_verify(user=user, code=text, ip=ip)
    if _RECOVERY_CODE.fullmatch(text):
        return _recovery_code_use(user=user, code=text, ip=ip)
    _failed(user=user, method="unknown", reason="not a code", ip=ip)
    return False


def _totp_verify(*, user: Actor, code: str, ip: str | None) -> bool:
    with transaction.atomic():
        # Locked, as django_otp.verify_token does: two requests with one code cannot both
        # pass the replay check (last_t) before either saves it.
        device = (
            Authenticator.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            _failed(user=user, method="totp", reason="no authenticator enrolled", ip=ip)
            return False
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            _failed(user=user, method="totp", reason="too many wrong codes: waiting", ip=ip)
            return False
        if not device.verify_token(code):
            _failed(user=user, method="totp", reason="wrong or reused code", ip=ip)
            return False
        audit_record(
            actor=user, action="auth.mfa_verified", obj=user, after={"method": "totp"}, ip=ip
        )
        return True


def _recovery_code_use(*, user: Actor, code: str, ip: str | None) -> bool:
    now = timezone.now()
    candidates = list(
        RecoveryCode.objects.filter(
            user=user,
            lookup=code[:RECOVERY_GROUP_LENGTH],
            used_at__isnull=True,
            revoked_at__isnull=True,
        )
    )
    match = next((row for row in candidates if check_password(code, row.code_hash)), None)
    if not candidates:
        make_password(code)  # as long as a real check: the answer's time tells nothing
    # Conditional: of two requests with one code, only the first to mark it used passes.
    if match is None or not RecoveryCode.objects.filter(
        pk=match.pk, used_at__isnull=True, revoked_at__isnull=True
    ).update(used_at=now):
        _failed(user=user, method="recovery_code", reason="wrong or used code", ip=ip)
        return False
    remaining = recovery_codes_left(user)
    audit_record(
        actor=user,
        action="auth.recovery_code_used",
        obj=user,
        after={"method": "recovery_code", "remaining": remaining},
        ip=ip,
    )
    return True


def _failed(*, user: Actor, method: str, reason: str, ip: str | None) -> None:
    audit_record(
        actor=user,
        action="auth.mfa_failed",
        obj=user,
        outcome=Outcome.FAILED,
        after={"method": method, "reason": reason},
        ip=ip,
    )


def recovery_codes_left(user: Actor) -> int:
    return RecoveryCode.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True
    ).count()


def recovery_code_format(code: str) -> str:
    """ABCD-EFGH-JKMN-PQRS: groups of four, as shown and printed."""
    step = RECOVERY_GROUP_LENGTH
    return "-".join(code[i : i + step] for i in range(0, len(code), step))


def _recovery_codes_issue(*, user: Actor) -> list[str]:
    """End the user's unused codes and make RECOVERY_CODE_COUNT new ones (shown once)."""
    now = timezone.now()
    RecoveryCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(
            user=user,
            lookup=code[:RECOVERY_GROUP_LENGTH],
            code_hash=make_password(code),
            created_at=now,
        )
        for code in codes
    )
    return [recovery_code_format(code) for code in codes]


@transaction.atomic
def recovery_codes_renew(user: Actor, *, ip: str | None = None) -> list[str]:
    """New recovery codes for a user (the unused old ones stop working). Shown once."""
    left = recovery_codes_left(user)
    codes = _recovery_codes_issue(user=user)
    audit_record(
        actor=user,
        action="auth.recovery_codes_renewed",
        obj=user,
        before={"recovery_codes": left},
        after={"recovery_codes": len(codes)},
        ip=ip,
    )
    return codes


def mfa_enrol_begin(user: Actor) -> Authenticator:
    """A new, unconfirmed authenticator with a fresh random secret (django-otp's 20
    bytes) for the enrolment page to show; it verifies nothing until confirmed."""
    return Authenticator.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_secret_display(device: Authenticator) -> str:
    """The secret in base32, as authenticator apps take it when typed."""
    return b32encode(device.bin_key).decode().rstrip("=")


def mfa_enrol_confirm(
    *, user: Actor, device: Authenticator, code: str, ip: str | None = None
) -> list[str]:
    """Confirm the authenticator with a code from it; returns the new recovery codes.

    Raises ValidationError on `code` for a wrong code (kept on the trail and in the
    device's throttle), and when the user already has a confirmed authenticator (two
    enrolments racing: the first one wins).
    """
    text = _normalise(code)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time
        locked = Authenticator.objects.select_for_update().filter(pk=device.pk, user=user).first()
        if locked is None or locked.confirmed or has_second_factor(user):
            raise ValidationError(
                {"code": "This authenticator is already set up or was replaced. Sign in again."}
            )
        device = locked
        wait = device_wait(device)
        if not wait and _TOTP_CODE.fullmatch(text) and device.verify_token(text):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _recovery_codes_issue(user=user)
            audit_record(
                actor=user,
                action="auth.mfa_enrolled",
                obj=user,
                after={"device": device.pk, "recovery_codes": len(codes)},
                ip=ip,
            )
            return codes
        # Committed, unlike the error below: the trail and the throttle keep the failure.
        reason = "too many wrong codes: waiting" if wait else "wrong code at enrolment"
        _failed(user=user, method="totp", reason=reason, ip=ip)
    raise ValidationError({"code": wait_message(wait) if wait else WRONG_CODE})


def wait_message(seconds: int) -> str:
    return (
        f"Too many wrong codes. Wait {plural(seconds, 'second')}, "
        "then enter the code your app shows."
    )


def totp_secret_decode(secret: str) -> bytes:
    """The bytes of a base32 secret as provisioning tools print it (any case, spaces
    and dashes allowed, padding optional); ValidationError on `totp_secret` otherwise."""
    text = _normalise(secret).rstrip("=") if isinstance(secret, str) else ""
    message = (
        f"Give the secret in base32 (letters A-Z and digits 2-7), at least "
        f"{TOTP_SECRET_MIN_BYTES * 8} bits ({-(-TOTP_SECRET_MIN_BYTES * 8 // 5)} characters) "
        f"and at most {TOTP_SECRET_MAX_BYTES * 8} bits."
    )
    if not text or not re.fullmatch("[A-Z2-7]+", text):
        raise ValidationError({"totp_secret": message})
    try:
        key = b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise ValidationError({"totp_secret": message}) from exc
    if not TOTP_SECRET_MIN_BYTES <= len(key) <= TOTP_SECRET_MAX_BYTES:
        raise ValidationError({"totp_secret": message})
    return key


@transaction.atomic
def totp_device_provision(*, actor: Actor | None, user: User, key: bytes) -> Authenticator:
    """A confirmed authenticator with a secret provisioned elsewhere (`add_user
    --totp-secret`), replacing any the user had. The secret is never audited."""
    Authenticator.objects.filter(user=user, confirmed=True).update(confirmed=False)
    device = Authenticator.objects.create(
        user=user, name=DEVICE_NAME, confirmed=True, key=key.hex()
    )
    audit_record(
        actor=actor,
        action="auth.mfa_enrolled",
        obj=user,
        after={"device": device.pk, "source": "provisioned"},
    )
    return device


@transaction.atomic
def mfa_reset(*, actor: Actor, user: User, ip: str | None = None) -> None:
    """An administrator's reset of a user's second factor (a lost or stolen phone).

    The user's authenticators stop working (marked unconfirmed, kept), unused recovery
    codes end, API tokens are revoked and their signed-in sessions end: the next sign-in
    enrols a new authenticator.
    """
    devices = Authenticator.objects.filter(user=user, confirmed=True).update(confirmed=False)
    codes = RecoveryCode.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    tokens = tokens_revoke_all(
        user=user, reason=ApiToken.RevokeReason.MFA_RESET, actor=actor, ip=ip
    )
    sessions = _sessions_end(user)
    audit_record(
        actor=actor,
        action="auth.mfa_reset",
        obj=user,
        before={"authenticators": devices, "recovery_codes": codes},
        after={
            "authenticators": 0,
            "recovery_codes": 0,
            "tokens_revoked": tokens,
            "sessions_ended": sessions,
        },
        ip=ip,
    )


def _sessions_end(user: Actor) -> int:
    """End the user's signed-in sessions (database sessions, the only engine Harbor uses)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    from django.contrib.sessions.models import Session

    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    # A session is not a record of anything: ending one is deleting it, as logout does.
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
