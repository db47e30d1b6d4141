from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from core.vocab import (
    PHONE_MAX,
    STATE_CHOICES,
    STATE_TIME_ZONES,
    validate_phone,
    validate_time_zone,
)


class Role(models.TextChoices):
    CASE_WORKER = "case_worker", "Case worker"
    SUPERVISOR = "supervisor", "Supervisor"
    MDT_MEMBER = "mdt_member", "MDT member"
    HOME_ADMIN = "home_admin", "Home administrator"
    ADMIN = "admin", "System administrator"


class Agency(models.Model):
    """A child-welfare agency: case workers and supervisors belong to one."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2, choices=STATE_CHOICES)
    # Every time on a page is shown in this zone, named; blank means the state's zone.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def zone_name(self) -> str:
        """The IANA zone the agency's pages use: its own, else its state's."""
        return self.time_zone or STATE_TIME_ZONES.get(self.state, "UTC")


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


class User(AbstractUser):
    """A Harbor user. Nobody is deleted: deactivate (`is_active = False`) instead."""

    role = models.CharField(max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    phone = models.CharField(max_length=PHONE_MAX, blank=True, validators=[validate_phone])

    objects = UserManager()

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
