from __future__ import annotations

from typing import Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key, key_validator

from core.fields import EncryptedTextField
from core.vocab import (
    PHONE_MAX,
    STATE_CHOICES,
    STATE_TIME_ZONES,
    validate_phone,
    validate_time_zone,
)


class Role(models.TextChoices):
    CASE_WORKER = "case_worker", _("Case worker")
    SUPERVISOR = "supervisor", _("Supervisor")
    MDT_MEMBER = "mdt_member", _("MDT member")
    HOME_ADMIN = "home_admin", _("Home administrator")
    ADMIN = "admin", _("System administrator")


# What a user may choose for their pages and emails: "" follows the browser.
PROFILE_LANGUAGE_CHOICES = [("", _("My browser's language")), *settings.LANGUAGES]


class Agency(models.Model):
    """A child-welfare agency: case workers and supervisors belong to one."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, choices=STATE_CHOICES)
    # Every time on a page is shown in this zone, named; blank means the state's zone.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    # What Harbor sends its people outside a page (emails, notices by email) when they chose
    # no language of their own: a Puerto Rico agency's staff read Spanish. Blank is
    # settings.LANGUAGE_CODE. Pages still follow the user's choice, else the browser's.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "The language of emails to this agency's staff who chose none on their account "
            "page; blank is English."
        ),
    )
    active = models.BooleanField(default=True)
    # The clocks of the legal duties (placement.models.duties): the federal reports are
    # due within 24 hours (42 U.S.C. 671(a)(34)-(35)); a state may ask for less. The
    # tribe's notice and the screening on return follow the agency's policy.
    duty_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="Hours to report a trafficked or missing child (law enforcement, NCMEC) "
        "and to ask HHS for a foreign national child's letter; at most 24.",
    )
    tribe_notice_hours = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text="Hours to notify an Indian child's tribe (the agency's policy).",
    )
    screening_hours = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text="Hours to screen a child for trafficking after she returns from missing.",
    )

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def zone_name(self) -> str:
        return agency_zone_name(time_zone=self.time_zone, state=self.state)


def agency_zone_name(*, time_zone: str, state: str) -> str:
    """The IANA zone an agency's pages use: its own, else its state's."""
    return time_zone or STATE_TIME_ZONES.get(state, "UTC")


class Team(models.Model):
    """A multidisciplinary team that reviews recommendations for its agency's cases."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120, unique=True)
    quorum = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Approvals needed before a recommendation is approved.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quorum__gte=1), name="team_quorum_positive")
        ]

    def __str__(self) -> str:
        return self.name


# django-otp has no types: the stubs' plugin cannot name `authenticators`' manager.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A Harbor user. Nobody is deleted: deactivate (`is_active = False`) instead."""

    role = models.CharField(max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    phone = models.CharField(max_length=PHONE_MAX, blank=True, validators=[validate_phone])
    # The language of the user's pages and emails (settings.LANGUAGES); blank follows the
    # browser's Accept-Language (accounts.middleware.UserLanguageMiddleware).
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)

    objects: ClassVar[UserManager[Self]] = UserManager()

    # Carried from pre_save to post_save on the instance being saved (never stored):
    # its access as stored before (accounts.audit_receivers) and why its API tokens
    # end with this save (accounts.signals).
    _harbor_access_before: dict[str, Any] | None
    _harbor_token_revoke_reason: str | None

    class Meta(AbstractUser.Meta):
        constraints = [
            # "CW_A1" and "cw_a1" are one person to a reader of the trail: one may exist.
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique")
        ]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.role in (Role.CASE_WORKER, Role.SUPERVISOR) and self.agency_id is None:
            errors["agency"] = f"A {self.get_role_display().lower()} must belong to an agency."
        if self.role == Role.MDT_MEMBER and self.team_id is None:
            errors["team"] = "An MDT member must belong to a team."
        if errors:
            raise ValidationError(errors)

    @property
    def is_harbor_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class ApiToken(models.Model):
    """One API credential of one user on one device (`POST /api/v1/auth/token/`).

    Only a SHA-256 digest of the key is stored: the key is shown once, when issued,
    and nobody (an administrator included) can read it afterwards. A token ends when
    it expires, at logout, when its user's password or second factor is reset or the
    user is deactivated; an ended token is kept, marked `revoked_at` with the reason,
    never deleted, so the trail can still name the credential a request used.
    """

    class RevokeReason(models.TextChoices):
        LOGOUT = "logout", "Signed out"
        PASSWORD = "password_changed", "Password changed"
        MFA_RESET = "mfa_reset", "Second factor reset"
        DEACTIVATED = "deactivated", "User deactivated"
        ADMIN = "admin", "Revoked by an administrator"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    # The first characters of the key, to tell a user's devices apart; not a secret.
    prefix = models.CharField(max_length=8, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(max_length=100, blank=True, help_text="The device or client.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_reason = models.CharField(
        max_length=20, choices=RevokeReason.choices, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class RecoveryCode(models.Model):
    """A one-use code for signing in without the authenticator app (lost phone).

    Stored as a password hash, like a password: the codes are shown once, at
    enrolment or when they are renewed. Using one marks it `used_at`; renewing the
    codes or an administrator's reset of the second factor marks the unused ones
    `revoked_at`. A code is live while both are empty.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="recovery_codes")
    # The code's first group, to find its row without hashing every code of the user
    # (each check is a slow password hash); the other 12 characters are the secret.
    lookup = models.CharField(max_length=8, blank=True, default="", editable=False)
    code_hash = models.CharField(max_length=256, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["user", "lookup"], name="recoverycode_user_lookup")]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user}"


class Authenticator(TimestampMixin, ThrottlingMixin, Device):
    """A user's authenticator app (TOTP, RFC 6238): django-otp's TOTP device, except that
    its secret is encrypted at rest with FIELD_ENCRYPTION_KEY, as a child's name is.

    django-otp's TOTPDevice keeps the secret as hex in an 80-character column, in clear
    text: a database dump (or a backup) would hand out every user's second factor, and
    django-otp offers no way to encrypt it (django-otp issue 67). This model has the same
    columns and the same checks; the code check, the secret's bytes and the otpauth:// link
    are TOTPDevice's own functions (one step of clock drift, no replay of a code at or
    before `last_t`, the doubling wait after wrong codes), only the column differs.
    `manage.py rotate_keys` re-encrypts the secret with the rest (it finds every
    encrypted field). Accounts 0007 moved the secrets TOTPDevice held into this model.
    """

    # Device's own, but protected as every user reference is (nobody is deleted).
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="authenticators")
    # A hex-encoded secret of up to 40 bytes (20 random ones, 160 bits, unless provisioned),
    # stored as a Fernet token: far longer than TOTPDevice's 80-character column.
    key = EncryptedTextField(
        default=default_key,
        validators=[key_validator, MaxLengthValidator(80)],
        help_text="A hex-encoded secret key of up to 40 bytes, encrypted at rest.",
    )
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "authenticator"
        ordering = ["id"]

    # django-otp's TOTP device, function for function (they read only the fields above).
    bin_key = TOTPDevice.bin_key
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings
