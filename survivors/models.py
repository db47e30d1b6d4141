from __future__ import annotations

import datetime
import math
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Role, Team
from core.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from core.types import RequestUser
from core.vocab import (
    AGE_MAX,
    CASE_NUMBER_MAX,
    INT_MAX,
    LANGUAGE_NAMES,
    LANGUAGES,
    MAX_DEPENDENTS,
    NAME_MAX,
    NOTES_MAX,
    STATE_CHOICES,
    ZONE_RADIUS_MAX,
    Acuity,
    Gender,
    Guardianship,
    IndianChild,
    MedicalLevel,
    SubstanceUse,
    TraffickingType,
    Urgency,
    validate_services,
    validate_state,
    validate_states,
    validate_tribes,
    validate_zip,
)


class Status(models.TextChoices):
    INTAKE = "intake", _("Intake")
    SEARCHING = "searching", _("Searching")
    PENDING_REVIEW = "pending_review", _("Pending MDT review")
    REFERRED = "referred", _("Referred")
    PLACED = "placed", _("Placed")
    DISCHARGED = "discharged", _("Discharged")
    WAITLISTED = "waitlisted", _("Waitlisted")
    # Placed at an emergency shelter for the meantime: still seeking a home (DESIGN
    # "Interim stays").
    INTERIM = "interim", _("Interim stay (still seeking)")


class SurvivorQuerySet(models.QuerySet["Survivor"]):
    @staticmethod
    def _visibility(user: RequestUser) -> tuple[str, int | None]:
        """Who may know a survivor exists, decided once for both readers below: ("all",),
        ("worker", user id), ("agency", id), ("team", id) or ("none",).

        Assigned case workers, the agency's supervisors and the members of the
        survivor's MDT team; admins see all; home admins and everyone else none.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return "none", None
        if user.is_harbor_admin:
            return "all", None
        if user.role == Role.CASE_WORKER:
            return "worker", user.pk
        if user.role == Role.SUPERVISOR and user.agency_id:
            return "agency", user.agency_id
        if user.role == Role.MDT_MEMBER and user.team_id:
            return "team", user.team_id
        return "none", None

    def visible_to(self, user: RequestUser) -> SurvivorQuerySet:
        """The survivors this user may know exist; every read starts here (see
        _visibility for who)."""
        kind, value = self._visibility(user)
        if kind == "all":
            return self.all()
        if kind == "worker":
            return self.filter(assigned_workers=value)
        if kind == "agency":
            return self.filter(agency_id=value)
        if kind == "team":
            return self.filter(team_id=value)
        return self.none()

    def visible_sql(self, user: RequestUser) -> tuple[str, list[Any]] | None:
        """`visible_to` as a SQL condition on the table aliased `s`, with its parameters;
        None where `visible_to` is empty. For the reads that skip the ORM's compiler
        (survivors.selectors.survivor_get with `fields`): the same decision
        (_visibility), written as SQL; tests/survivors/test_visibility_sql.py holds the
        two equal, role for role."""
        kind, value = self._visibility(user)
        if kind == "all":
            return "TRUE", []
        if kind == "worker":
            workers = cast(models.ManyToManyField, self.model._meta.get_field("assigned_workers"))
            return (
                f'EXISTS (SELECT 1 FROM "{workers.m2m_db_table()}" w '
                f'WHERE w."{workers.m2m_column_name()}" = s."id" '
                f'AND w."{workers.m2m_reverse_name()}" = %s)',
                [value],
            )
        if kind == "agency":
            return 's."agency_id" = %s', [value]
        if kind == "team":
            return 's."team_id" = %s', [value]
        return None

    def live(self) -> SurvivorQuerySet:
        """Open cases: not archived. Live lists and queues start here; an archived case
        (closed, or the demo's synthetic history) stays readable and in the reports."""
        return self.filter(archived_at__isnull=True)


def need_to_know(user: RequestUser) -> bool:
    """MDT members see case number, age and needs: never name, birth date, notes or
    where an exclusion zone lies, on any page, the API or the print packet.

    Which fields of a visible record a user may see, beside `visible_to` (which
    records): the selectors search by it, so it sits on their floor."""
    return getattr(user, "role", None) == Role.MDT_MEMBER


def validate_exclusion_zones(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError(gettext("Give a list of {zip_code, radius_miles} zones."))
    for index, zone in enumerate(value, start=1):
        if not isinstance(zone, dict) or set(zone) != {"zip_code", "radius_miles"}:
            raise ValidationError(
                gettext("Zone %(index)s: give exactly zip_code and radius_miles.")
                % {"index": index}
            )
        try:
            validate_zip(zone["zip_code"])
        except ValidationError as exc:
            raise ValidationError(
                gettext("Zone %(index)s: %(error)s") % {"index": index, "error": exc.messages[0]}
            ) from exc
        radius = zone["radius_miles"]
        if (
            isinstance(radius, bool)
            or not isinstance(radius, int | float)
            or not math.isfinite(radius)
        ):
            raise ValidationError(
                gettext("Zone %(index)s: radius_miles must be a number of miles.")
                % {"index": index}
            )
        if radius < 0 or radius > ZONE_RADIUS_MAX:
            raise ValidationError(
                gettext("Zone %(index)s: radius_miles must be between 0 and %(most)s.")
                % {"index": index, "most": ZONE_RADIUS_MAX}
            )


def validate_language(value: str) -> None:
    if value and value not in LANGUAGES:
        raise ValidationError(
            gettext(
                "%(value)r is not a language code: give an ISO 639-1 code such as es (Spanish)."
            )
            % {"value": value[:40]}
        )


class Survivor(models.Model):
    """A child's intake record. Identity, birth date, notes, where the child is and the
    exclusion zones are encrypted at rest."""

    # Blank at intake means "Harbor issues one" (survivors.services.survivor_create).
    case_number = models.CharField(max_length=CASE_NUMBER_MAX)
    # A child may give no name: blank names show as "Unknown", with an optional alias.
    first_name = EncryptedTextField(
        blank=True, default="", validators=[MaxLengthValidator(NAME_MAX)]
    )
    last_name = EncryptedTextField(
        blank=True, default="", validators=[MaxLengthValidator(NAME_MAX)]
    )
    alias = EncryptedTextField(blank=True, default="", validators=[MaxLengthValidator(NAME_MAX)])
    # One of the two is required: a birth date, or an age estimated on `age_estimated_on`.
    date_of_birth = EncryptedDateField(null=True, blank=True)
    estimated_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(AGE_MAX)]
    )
    age_estimated_on = models.DateField(null=True, blank=True, editable=False)
    gender = models.CharField(max_length=10, choices=Gender.choices)
    guardianship = models.CharField(max_length=20, choices=Guardianship.choices)
    custody_state = models.CharField(
        max_length=2, choices=STATE_CHOICES, validators=[validate_state]
    )
    icpc_approved_states = models.JSONField(default=list, blank=True, validators=[validate_states])
    # Where the child is now (and the zones below, often where the trafficker operates)
    # locate the child: encrypted like the name, never copied into searches or the trail.
    residence_zip = EncryptedCharField(max_length=5, validators=[validate_zip])
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.PLANNED)
    substance_use = models.CharField(
        max_length=20, choices=SubstanceUse.choices, default=SubstanceUse.NONE
    )
    needs_detox = models.BooleanField(default=False)
    dependents = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_DEPENDENTS)]
    )
    medical_level = models.CharField(
        max_length=20, choices=MedicalLevel.choices, default=MedicalLevel.NONE
    )
    pregnant = models.BooleanField(default=False)
    mental_health_acuity = models.CharField(
        max_length=10, choices=Acuity.choices, default=Acuity.LOW
    )
    runaway_risk = models.CharField(max_length=10, choices=Acuity.choices, default=Acuity.LOW)
    juvenile_justice_involved = models.BooleanField(default=False)
    primary_language = models.CharField(
        max_length=2, default="en", blank=True, validators=[validate_language]
    )
    services_needed = models.JSONField(default=list, blank=True, validators=[validate_services])
    exclusion_zones = EncryptedJSONField(
        default=list, blank=True, validators=[validate_exclusion_zones]
    )
    max_distance_miles = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(INT_MAX)]
    )
    # The Indian Child Welfare Act: "unknown" may be recorded at 2 a.m. and asked later.
    indian_child = models.CharField(
        max_length=10, choices=IndianChild.choices, default=IndianChild.NO
    )
    tribes = models.JSONField(default=list, blank=True, validators=[validate_tribes])
    # What the federal duties need (42 U.S.C. 671(a)(34)-(35)); all optional at night.
    trafficking_type = models.CharField(
        max_length=10, choices=TraffickingType.choices, blank=True, default=""
    )
    identified_by = models.CharField(max_length=NAME_MAX, blank=True, default="")
    # Names the police case, so locates the child's story: encrypted like the notes.
    law_enforcement_reference = EncryptedTextField(
        blank=True, default="", validators=[MaxLengthValidator(NAME_MAX)]
    )
    foreign_national = models.BooleanField(default=False)
    interpreter_needed = models.BooleanField(default=False)
    pregnancy_due_date = models.DateField(null=True, blank=True)
    notes = EncryptedTextField(blank=True, default="", validators=[MaxLengthValidator(NOTES_MAX)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INTAKE)

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="survivors")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="survivors"
    )
    assigned_workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="assigned_survivors", blank=True
    )
    # Empty only for records loaded outside the services (imports, fixtures).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = SurvivorQuerySet.as_manager()

    # Written to the audit trail as "<encrypted>" (survivors.services.audit_values).
    ENCRYPTED_FIELDS = frozenset(
        {"first_name", "last_name", "alias", "date_of_birth", "notes", "residence_zip",
         "exclusion_zones", "law_enforcement_reference"}
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "case_number"],
                name="survivor_case_number_unique_per_agency",
                violation_error_message="This agency already has a survivor with this case number.",
            ),
        ]

    def __str__(self) -> str:
        # Never the name: this string ends up in logs and admin history.
        return f"Survivor {self.case_number}"

    def get_absolute_url(self) -> str:
        return reverse("survivor-page", args=[self.pk])

    @property
    def age_is_estimated(self) -> bool:
        return self.date_of_birth is None

    @property
    def language_name(self) -> str:
        """The primary language as pages show it: "Spanish", not "es"."""
        return LANGUAGE_NAMES.get(self.primary_language, self.primary_language)

    @property
    def display_name(self) -> str:
        """The name as pages show it: "Unknown" when the child gave none."""
        name = f"{self.first_name} {self.last_name}".strip()
        return name or gettext("Unknown")

    def age_on(self, day: datetime.date) -> int:
        """Whole years on `day`: from the birth date, else the estimate grown by the
        years since it was made (a girl estimated at 15 is 16 a year later)."""
        from engine.types import age_on  # the engine is pure: no layer above

        if self.date_of_birth is not None:
            return age_on(self.date_of_birth, day)
        if self.estimated_age is None:
            raise ValueError("This survivor has neither a birth date nor an estimated age.")
        since = self.age_estimated_on or day
        return self.estimated_age + max(0, age_on(since, day))

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        today = timezone.localdate()
        if isinstance(self.date_of_birth, datetime.date):
            if self.date_of_birth > today:
                errors["date_of_birth"] = gettext("The date of birth cannot be in the future.")
            elif self.age_on(today) > 25:
                errors["date_of_birth"] = "Harbor places minors and young adults up to 25."
        # An estimate ages from the day it was made (kept when the estimate is unchanged).
        if self.estimated_age is None:
            self.age_estimated_on = None
        elif self.age_estimated_on is None:
            self.age_estimated_on = today
        if self.date_of_birth is None and self.estimated_age is None:
            errors["date_of_birth"] = "Give the date of birth or an estimated age."
        elif self.date_of_birth is not None and self.estimated_age is not None:
            errors["estimated_age"] = "Give the date of birth or an estimated age, not both."
        if self.indian_child == IndianChild.NO and self.tribes:
            errors["indian_child"] = (
                "A tribe is named: choose yes, or unknown until the tribe confirms."
            )
        if self.pregnancy_due_date is not None and not self.pregnant:
            errors["pregnancy_due_date"] = "A due date is only recorded for a pregnant youth."
        if self.needs_detox and self.substance_use == SubstanceUse.NONE:
            errors["needs_detox"] = "Detox is only needed with substance use in recovery or active."
        if errors:
            raise ValidationError(errors)


class StatusChange(models.Model):
    """A survivor's status history: who moved it, when, from what to what."""

    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="status_changes")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.CharField(max_length=20, choices=Status.choices, blank=True)
    after = models.CharField(max_length=20, choices=Status.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.before or '-'} → {self.after}"


# A hand-off note: what the next worker must know tonight, not the whole case.
HAND_OFF_NOTE_MAX = 4000
USERNAME_MAX = 150  # Django's username length: a hand-off names the worker by it


class HandOff(models.Model):
    """A supervisor handed a case to another case worker of the agency (DESIGN: users,
    supervisors reassign): who had it, who has it now, and the note for the new worker,
    encrypted at rest (it is about the child). Never edited, never deleted."""

    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="hand_offs")
    # The usernames of the workers who had the case: the record of who lost access.
    handed_from = models.JSONField(default=list, blank=True)
    to_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(
        blank=True, default="", validators=[MaxLengthValidator(HAND_OFF_NOTE_MAX)]
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Hand-off {self.pk}: survivor {self.survivor_id} to {self.to_worker_id}"
