from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core.types import RequestUser
from core.vocab import (
    NAME_MAX,
    PHONE_MAX,
    STATE_CHOICES,
    Acuity,
    HomeType,
    IcwaCategory,
    MedicalLevel,
    SubstanceUse,
    validate_genders,
    validate_languages,
    validate_phone,
    validate_services,
    validate_state,
    validate_tribes,
    validate_zip,
    zip_in_state_error,
)

# A profile nobody confirmed for this long is flagged to its admins and in the API.
PROFILE_CONFIRMATION_DAYS = 365
# Days before a license expires on which its home's admins are reminded, once each.
LICENSE_REMINDER_DAYS = (60, 30, 7)


def sees_whole_directory(user: RequestUser | None) -> bool:
    """Case workers, supervisors, MDT members and Harbor admins read the whole directory
    (DESIGN.md, users). A home admin sees only their own homes: a safe home's location
    is secret from other homes. (None: a request without a user, as the API schema's.)"""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_harbor_admin or user.role != Role.HOME_ADMIN)
    )


class HomeQuerySet(models.QuerySet["Home"]):
    def visible_to(self, user: RequestUser | None) -> HomeQuerySet:
        """The homes this user may know exist; every read of a home starts here."""
        if sees_whole_directory(user):
            return self.all()
        return self.editable_by(user)

    def editable_by(self, user: RequestUser | None) -> HomeQuerySet:
        """Homes whose profile and beds this user may change: their own, or all for admins."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_harbor_admin:
            return self.all()
        from guardian.shortcuts import get_objects_for_user

        # Filtered from `klass`, so a HomeQuerySet; guardian's annotation says QuerySet.
        return get_objects_for_user(  # type: ignore[return-value]
            user, "homes.change_home", klass=self, accept_global_perms=False
        )


class Home(models.Model):
    """A safe home's profile, eligibility criteria, staffing and live bed count."""

    # The home's id in the spreadsheet or system it came from: a re-import updates the
    # home it names instead of adding a second one. Blank for homes entered by hand.
    external_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=200)
    home_type = models.CharField(max_length=30, choices=HomeType.choices)
    state = models.CharField(max_length=2, choices=STATE_CHOICES, validators=[validate_state])
    zip_code = models.CharField(max_length=5, validators=[validate_zip])
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    licensed_beds = models.PositiveIntegerField()
    # The NET free beds everyone sees and the engine matches on: what the home reports free
    # minus the beds held for accepted referrals (children on their way).
    available_beds = models.PositiveIntegerField()
    # Beds held for accepted referrals; only the placement workflow moves them.
    beds_held = models.PositiveIntegerField(default=0, editable=False)
    staff_on_duty = models.PositiveIntegerField(default=0)
    residents_per_staff = models.PositiveIntegerField(default=3, validators=[MinValueValidator(1)])
    min_age = models.PositiveSmallIntegerField(default=12, validators=[MaxValueValidator(25)])
    max_age = models.PositiveSmallIntegerField(default=17, validators=[MaxValueValidator(25)])
    genders_served = models.JSONField(default=list, validators=[validate_genders])
    substance_use_accepted = models.CharField(
        max_length=20, choices=SubstanceUse.choices, default=SubstanceUse.NONE
    )
    detox_on_site = models.BooleanField(default=False)
    accepts_parenting = models.BooleanField(default=False)
    max_dependents = models.PositiveSmallIntegerField(default=0)
    medical_level = models.CharField(
        max_length=20, choices=MedicalLevel.choices, default=MedicalLevel.ROUTINE
    )
    accepts_pregnant = models.BooleanField(default=False)
    mental_health_max = models.CharField(
        max_length=20, choices=Acuity.choices, default=Acuity.MODERATE
    )
    staff_secure = models.BooleanField(default=False)
    accepts_out_of_state = models.BooleanField(default=False)
    accepts_state_wards = models.BooleanField(default=True)
    accepts_parent_placements = models.BooleanField(default=True)
    intake_24_7 = models.BooleanField(default=False)
    accepts_juvenile_justice = models.BooleanField(default=True)
    # ICWA's preferences (25 U.S.C. 1915(b)): the home's category, and the tribes that
    # licensed or approved it (a tribe-approved home is the first choice for their children).
    icwa_category = models.CharField(
        max_length=30, choices=IcwaCategory.choices, default=IcwaCategory.NONE
    )
    approving_tribes = models.JSONField(default=list, blank=True, validators=[validate_tribes])
    languages = models.JSONField(default=list, validators=[validate_languages])
    services = models.JSONField(default=list, validators=[validate_services])
    active = models.BooleanField(default=True)
    # Whom a worker calls at 2 a.m.
    intake_phone = models.CharField(max_length=PHONE_MAX, blank=True, validators=[validate_phone])
    contact_name = models.CharField(max_length=NAME_MAX, blank=True)
    # Where a referral's single-use answer link goes when the home has no Harbor user.
    intake_email = models.EmailField(blank=True)
    # An expired license fails the `license` rule; empty means not recorded.
    license_number = models.CharField(max_length=60, blank=True)
    license_expires = models.DateField(null=True, blank=True)
    # When a home admin last confirmed the whole profile; older than a year is flagged.
    profile_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    availability_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    availability_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    stale_nudged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the profile or beds last changed, for people; the matching directory learns of
    # changes from HomeChange, which a trigger writes, never from this clock.
    modified_at = models.DateTimeField(auto_now=True)

    objects = HomeQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["state", "active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="home_external_id_unique",
                violation_error_message="Another home already has this external id.",
            ),
            models.CheckConstraint(
                condition=Q(available_beds__gte=0),
                name="home_available_beds_not_negative",
                violation_error_message="Available beds cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(available_beds__lte=F("licensed_beds") - F("beds_held")),
                name="home_free_and_held_beds_within_licensed",
                violation_error_message=(
                    "Available beds plus beds held cannot exceed the licensed beds."
                ),
            ),
            models.CheckConstraint(
                condition=Q(min_age__lte=F("max_age")),
                name="home_min_age_not_above_max_age",
                violation_error_message="The minimum age cannot be above the maximum age.",
            ),
            models.CheckConstraint(
                condition=Q(residents_per_staff__gte=1),
                name="home_residents_per_staff_positive",
                violation_error_message="Residents per staff member must be at least 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"

    def get_absolute_url(self) -> str:
        """The home's own page (its admins' and Harbor admins')."""
        return reverse("home-manage", args=[self.pk])

    @property
    def physically_free_beds(self) -> int:
        """What the home reports and its admin sees: empty beds, the held ones included
        (a child on the way has not arrived). Everyone else sees `available_beds`."""
        return self.available_beds + self.beds_held

    def profile_confirmation_due(self, now: datetime | None = None) -> bool:
        """Nobody confirmed the whole profile within PROFILE_CONFIRMATION_DAYS (or ever)."""
        if self.profile_confirmed_at is None:
            return True
        now = now or timezone.now()
        return self.profile_confirmed_at < now - timedelta(days=PROFILE_CONFIRMATION_DAYS)

    def license_days_left(self, today: date | None = None) -> int | None:
        """Days until the license expires (negative once expired); None if not recorded."""
        if self.license_expires is None:
            return None
        return (self.license_expires - (today or timezone.localdate())).days

    def license_expired(self, today: date | None = None) -> bool:
        """As the `license` rule: expired when the expiry date is before today."""
        days = self.license_days_left(today)
        return days is not None and days < 0

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.zip_code and self.state:
            message = zip_in_state_error(self.zip_code, self.state)
            if message:
                errors["zip_code"] = message
        if self.icwa_category == IcwaCategory.TRIBE_APPROVED and not self.approving_tribes:
            errors["approving_tribes"] = "Name the tribe that licensed or approved the home."
        if (
            self.licensed_beds is not None
            and self.available_beds is not None
            and self.available_beds + self.beds_held > self.licensed_beds
        ):
            if self.beds_held:
                errors["available_beds"] = (
                    f"Available beds ({self.available_beds}) plus the {self.beds_held} held "
                    f"for accepted referrals cannot exceed licensed beds ({self.licensed_beds})."
                )
            else:
                errors["available_beds"] = (
                    f"Available beds ({self.available_beds}) cannot exceed licensed beds "
                    f"({self.licensed_beds})."
                )
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            errors["min_age"] = (
                f"The minimum age ({self.min_age}) cannot be above the maximum ({self.max_age})."
            )
        if (self.latitude is None) != (self.longitude is None):
            errors["latitude"] = "Give both latitude and longitude, or neither."
        if not self.accepts_parenting and self.max_dependents:
            errors["max_dependents"] = (
                "A home that does not accept parenting youth takes 0 dependents."
            )
        if errors:
            raise ValidationError(errors)


class AvailabilityChange(models.Model):
    """One change of a home's free beds or staffing: who, when, before and after."""

    class Source(models.TextChoices):
        HOME_ADMIN = "home_admin", _("Update by the home")
        PROFILE = "profile", _("Profile edit")
        CONFIRMED = "confirmed", _("Confirmed still accurate")
        HOLD = "hold", _("Bed hold")
        HOLD_RELEASED = "hold_released", _("Hold released")
        PLACEMENT = "placement", _("Placement")
        DISCHARGE = "discharge", _("Discharge")

    home = models.ForeignKey(Home, on_delete=models.PROTECT, related_name="availability_changes")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    available_beds_before = models.PositiveIntegerField()
    available_beds_after = models.PositiveIntegerField()
    beds_held_before = models.PositiveIntegerField(default=0)
    beds_held_after = models.PositiveIntegerField(default=0)
    staff_on_duty_before = models.PositiveIntegerField()
    staff_on_duty_after = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.home_id}: {self.available_beds_before}→{self.available_beds_after} beds"

    # The number the home admin taps and sees: empty beds, held ones included.
    @property
    def free_beds_before(self) -> int:
        return self.available_beds_before + self.beds_held_before

    @property
    def free_beds_after(self) -> int:
        return self.available_beds_after + self.beds_held_after


class LicenseReminder(models.Model):
    """A reminder sent to a home's admins that its license expires soon: one per home,
    expiry date and threshold (LICENSE_REMINDER_DAYS), however often the job runs.
    A renewed license (a new expiry date) is reminded afresh."""

    home = models.ForeignKey(Home, on_delete=models.PROTECT, related_name="license_reminders")
    license_expires = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["home", "license_expires", "days_before"],
                name="license_reminder_once_per_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"home {self.home_id}: license expires {self.license_expires} ({self.days_before} d)"


class HomeChange(models.Model):
    """One committed write to a home row, logged by a database trigger (never by Python).

    The matching directory each process keeps reads this log to learn which homes changed,
    in PostgreSQL's commit order: `txid` is the writing transaction's id, and a reader
    takes every entry its last snapshot could not see (see matching.directory). A trigger
    sees every write — the ORM, `QuerySet.update()`, raw SQL in psql, the admin — and no
    clock is compared. A row with no home is a marker: after a TRUNCATE (`pruned_below`
    empty) every home may have changed; after pruning, entries below `pruned_below` are gone.
    """

    home_id = models.BigIntegerField(null=True, editable=False)
    txid = models.BigIntegerField(null=True, editable=False)
    pruned_below = models.BigIntegerField(null=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        indexes = [models.Index(fields=["txid"], name="homes_homechange_txid")]

    def __str__(self) -> str:
        return f"home {self.home_id} in transaction {self.txid}"


class HomeImport(models.Model):
    """One upload of a directory spreadsheet (homes.imports): the file, the job's progress,
    and its result. The file's bytes are kept only while they may still be imported (a
    dry run that passed); an applied or refused file's bytes are cleared."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Reading the rows")
        INVALID = "invalid", _("Rows have errors: nothing stored")
        CHECKED = "checked", _("Checked: every row is valid, nothing stored yet")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed: nothing stored")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    content = models.BinaryField(default=b"", editable=False)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"row", "column", "message"}], the first IMPORT_ERRORS_SHOWN of them.
    errors = models.JSONField(default=list, blank=True)
    # [{"row", "action", "external_id", "name", "changed"}], the first IMPORT_PREVIEW_SHOWN.
    preview = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    # The language of the page the file was uploaded from: the job, run later by a
    # worker, writes its row errors and message in it (blank: the uploader's profile's).
    language = models.CharField(max_length=8, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def progress(self) -> int:
        """Percent done: reading the rows is most of the work."""
        if self.finished:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
