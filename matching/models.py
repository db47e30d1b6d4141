from __future__ import annotations

from django.conf import settings
from django.db import models


class MatchSearch(models.Model):
    """One search for a stored survivor: what was asked, what came back, and when.

    `needs` is the snapshot of the matching inputs (no identity); `failures_by_rule`
    counts the homes each rule excluded, for reviews and supply-gap reports.
    """

    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="searches"
    )
    searched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    needs = models.JSONField()
    homes_considered = models.PositiveIntegerField()
    feasible_count = models.PositiveIntegerField()
    near_miss_count = models.PositiveIntegerField()
    failures_by_rule = models.JSONField()
    top_home_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "match searches"

    def __str__(self) -> str:
        return f"Search for survivor {self.survivor_id} at {self.at:%Y-%m-%d %H:%M}"
