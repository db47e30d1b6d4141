"""The legal duties that come with a trafficked child, each with a clock, and the episodes
of a child missing from care.

Title IV-E plan requirements (42 U.S.C. 671(a)(34)-(35)): a child identified as a
sex-trafficking victim is reported to law enforcement within 24 hours; a child missing
from care is reported within 24 hours to law enforcement (for NCIC) and to the National
Center for Missing & Exploited Children, and on return is screened for trafficking. A
foreign national child who may be a victim is referred to HHS's Office on Trafficking in
Persons for an eligibility letter; an Indian child's tribe is notified (ICWA, 25 U.S.C.
1912). Harbor opens each duty when what calls for it is recorded, keeps its clock, and
tells the case worker before the deadline and the supervisors after it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.types import RequestUser
from core.vocab import NAME_MAX
from placement.models.workflow import TEXT_MAX, Placement
from survivors.models import Survivor


class DutyQuerySet(models.QuerySet["Duty"]):
    def visible_to(self, user: RequestUser) -> DutyQuerySet:
        """Part of the child's record: whoever may see the survivor sees her duties."""
        return self.filter(survivor__in=Survivor.objects.visible_to(user))

    def open(self) -> DutyQuerySet:
        return self.filter(completed_at__isnull=True)

    def with_status(self, status: str, now: datetime | None = None) -> DutyQuerySet:
        """`due` (open, deadline ahead), `overdue` (open, deadline passed) or `done`."""
        now = now or timezone.now()
        if status == "done":
            return self.filter(completed_at__isnull=False)
        if status == "overdue":
            return self.open().filter(due_at__lte=now)
        return self.open().filter(due_at__gt=now)


class MissingEpisode(models.Model):
    """A child missing from her placement: from when she was found gone to her return.
    Where she was found locates her (and often the trafficker): encrypted."""

    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="missing_episodes"
    )
    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="missing_episodes"
    )
    started_at = models.DateTimeField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # "outcome": opened by a follow-up recorded as "ran away".
    source = models.CharField(max_length=20, default="report")
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    found_at = EncryptedTextField(blank=True, default="", validators=[MaxLengthValidator(TEXT_MAX)])
    # The placement re-checked on return, before the child goes back: the rules it fails.
    recheck_failed = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement"],
                condition=Q(returned_at__isnull=True),
                name="missing_episode_one_open_per_placement",
                violation_error_message="This child is already reported missing.",
            ),
        ]

    def __str__(self) -> str:
        return f"Missing episode {self.pk} of placement {self.placement_id}"

    @property
    def open(self) -> bool:
        return self.returned_at is None


class Duty(models.Model):
    """One legal duty for one child, with its deadline; done once the worker records when
    it was done and the reference number she was given."""

    class Kind(models.TextChoices):
        LAW_ENFORCEMENT_REPORT = "law_enforcement_report", _("Report to law enforcement")
        MISSING_REPORT_LE = "missing_report_le", _("Missing: report to law enforcement (NCIC)")
        MISSING_REPORT_NCMEC = "missing_report_ncmec", _("Missing: report to NCMEC")
        HHS_REQUEST = "hhs_request", _("Request an HHS eligibility letter")
        TRIBE_NOTICE = "tribe_notice", _("Notify the child's tribe")
        TRAFFICKING_SCREENING = "trafficking_screening", _("Screen for trafficking on return")

    # The duties a home page lists first: a crisis clock of hours.
    CRISIS = frozenset(
        {Kind.LAW_ENFORCEMENT_REPORT, Kind.MISSING_REPORT_LE, Kind.MISSING_REPORT_NCMEC}
    )
    # Opened once per child (the others once per missing episode).
    PER_CHILD = frozenset({Kind.LAW_ENFORCEMENT_REPORT, Kind.HHS_REQUEST, Kind.TRIBE_NOTICE})

    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="duties"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    episode = models.ForeignKey(
        MissingEpisode, null=True, blank=True, on_delete=models.PROTECT, related_name="duties"
    )
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The report's number (police case, NCMEC case, HHS request): encrypted.
    reference = EncryptedTextField(
        blank=True, default="", validators=[MaxLengthValidator(NAME_MAX)]
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    # Once each: the case worker warned before the deadline, the supervisors after it.
    warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = DutyQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survivor", "kind"],
                condition=Q(episode__isnull=True),
                name="duty_once_per_child",
            ),
            models.UniqueConstraint(
                fields=["episode", "kind"],
                condition=Q(episode__isnull=False),
                name="duty_once_per_episode",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(recorded_at__isnull=False),
                name="duty_done_is_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Duty {self.pk} ({self.kind}) of survivor {self.survivor_id}"

    @property
    def crisis(self) -> bool:
        return self.kind in self.CRISIS

    def status_at(self, now: datetime) -> str:
        if self.completed_at is not None:
            return "done"
        return "overdue" if now >= self.due_at else "due"

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def on_time(self) -> bool | None:
        """Done by the deadline (None while open)."""
        if self.completed_at is None:
            return None
        return self.completed_at <= self.due_at
