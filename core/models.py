from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task queued inside a transaction (core.outbox.enqueue): written with the change
    that asked for it, sent to the broker after the commit, marked sent once the broker
    took it. A broker that is down or frozen delays the job; it never loses it nor holds
    up the request. Arguments are ids, never personal data."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # apply_async options that matter to the job: soft_time_limit, time_limit.
    options = models.JSONField(default=dict, blank=True)
    # The Celery task id: the same on every send, so a job sent twice is one job.
    task_id = models.CharField(max_length=64, unique=True, default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_unsent",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({'sent' if self.sent_at else 'waiting'})"


class Heartbeat(models.Model):
    """When a long-running process last said it was alive ("beat"): beat writes its own
    each minute, so a stopped scheduler shows as an old time rather than as nothing."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
