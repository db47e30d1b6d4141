"""Mass recovery's records: a batch of children and its plan, one line a child."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from homes.models import Home
from placement.models.workflow import Recommendation
from survivors.models import Survivor

BATCH_MAX_CHILDREN = 500


class Batch(models.Model):
    """Mass recovery: several children placed together by one optimal plan.

    running -> done (a plan: `BatchAssignment` rows, `total_score`, `optimal`)
            -> failed (`error` says why) | cancelled (by its creator or a supervisor)
    A done plan may go to the MDT as one review (`review_status`): each assigned child
    becomes a Recommendation linked back here; approving the batch approves them all and
    refers each through the normal services, re-checked on live rows; what fails then is
    written on its assignment (`outcome`), never dropped.

    The constraints are ids: `keep_together` a list of groups (lists of survivor ids),
    `keep_apart` a list of pairs, `pins` {survivor id: home id}, `excluded_homes` ids.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Planning")
        DONE = "done", _("Plan ready")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class ReviewStatus(models.TextChoices):
        DRAFT = "draft", _("Not sent to the MDT")
        PENDING_REVIEW = "pending_review", _("Pending MDT review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    survivors = models.ManyToManyField(Survivor, related_name="batches")
    keep_together = models.JSONField(default=list, blank=True)
    keep_apart = models.JSONField(default=list, blank=True)
    pins = models.JSONField(default=dict, blank=True)
    excluded_homes = models.JSONField(default=list, blank=True)
    time_limit_seconds = models.PositiveIntegerField(default=30)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    progress = models.PositiveSmallIntegerField(default=0)  # 0..100, for the progress bar
    progress_note = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    total_score = models.FloatField(null=True, blank=True)
    placed_count = models.PositiveIntegerField(null=True, blank=True)
    optimal = models.BooleanField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)  # relative gap when a time limit stopped it
    solve_seconds = models.FloatField(null=True, blank=True)

    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    # A group at night: every child referred at once under one recorded crisis override;
    # the MDT reviews the plan after the fact, as for one child's override.
    crisis_override = models.BooleanField(default=False)
    crisis_justification = models.TextField(max_length=4000, blank=True)
    crisis_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    crisis_override_at = models.DateTimeField(null=True, blank=True)
    # Siblings no home takes together, placed apart by a recorded decision: the plan this
    # one was made from, and why (who and when are on the audit trail).
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="splits"
    )
    split_reason = models.TextField(max_length=4000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="batch_progress_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("batch-page", args=[self.pk])


class BatchAssignment(models.Model):
    """One child's line of a plan: a home (or none, with the reason), its score and
    breakdown, and the runners-up the MDT sees as alternatives."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="assignments")
    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="+")
    home = models.ForeignKey(
        Home, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    score = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)  # why unplaced
    breakdown = models.JSONField(default=list, blank=True)
    alternatives = models.JSONField(default=list, blank=True)  # [{home, name, score}]
    recommendation = models.OneToOneField(
        Recommendation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batch_assignment",
    )
    referral = models.ForeignKey(
        "Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What happened at approval: "referred", or why this child's referral was refused.
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "survivor"], name="batch_child_once"),
        ]

    def __str__(self) -> str:
        return f"Batch {self.batch_id}: survivor {self.survivor_id} -> home {self.home_id}"
