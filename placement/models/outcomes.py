"""How placements turned out: the 30- and 90-day follow-ups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from placement.models.workflow import Placement


class FollowUp(models.Model):
    """How a placement stood 30 or 90 days after arrival, as the case worker recorded it.

    Beat creates each follow-up when its day comes (`due_at`) and reminds the case
    worker; one left unanswered escalates to the supervisor. A placement that ended
    before its day needs no visit: its follow-up is filled from the discharge reason
    (`from_discharge`). Reports and the MDT's stability figures count `outcome`."""

    class Day(models.IntegerChoices):
        DAY_30 = 30, _("30 days")
        DAY_90 = 90, _("90 days")

    class Outcome(models.TextChoices):
        STABLE = "stable", _("Stable")
        RUNAWAY = "runaway", _("Ran away")
        DISRUPTED = "disrupted", _("Disrupted")
        MOVED_PLANNED = "moved_planned", _("Moved as planned")
        OTHER = "other", _("Other")
        # Filled from a transfer: an interim stay that ended in a long-term home.
        TRANSFERRED = "transferred", _("Moved on from the interim stay")

    # What a case worker may record: "transferred" is filled from a transfer only.
    RECORDABLE = Outcome.choices[: Outcome.values.index(Outcome.TRANSFERRED)]

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="follow_ups")
    day = models.PositiveSmallIntegerField(choices=Day.choices)
    due_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_discharge = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["placement", "day"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "day"], name="follow_up_once_per_day"),
            models.CheckConstraint(condition=Q(day__in=[30, 90]), name="follow_up_day_30_or_90"),
            models.CheckConstraint(
                condition=Q(outcome="", recorded_at__isnull=True)
                | (~Q(outcome="") & Q(recorded_at__isnull=False)),
                name="follow_up_outcome_has_time",
            ),
        ]
        indexes = [models.Index(fields=["outcome", "day"], name="follow_up_outcome_day")]

    def __str__(self) -> str:
        return f"Placement {self.placement_id}: day {self.day} follow-up"

    def get_absolute_url(self) -> str:
        """The child's case page, where the follow-ups are recorded."""
        return reverse("survivor-page", args=[self.placement.survivor_id])

    @property
    def open(self) -> bool:
        return not self.outcome
