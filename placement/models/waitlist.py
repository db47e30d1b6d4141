"""The waitlist: a child no home fits tonight waits for a bed, and hears of each home
that opens for them once (`placement.services.waitlist`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.types import RequestUser
from survivors.models import Survivor


class WaitlistQuerySet(models.QuerySet["WaitlistEntry"]):
    def visible_to(self, user: RequestUser) -> WaitlistQuerySet:
        return self.filter(survivor__in=Survivor.objects.visible_to(user))


class WaitlistEntry(models.Model):
    """A survivor for whom no home fit, waiting for a bed: from waitlisting until they
    leave the waitlist (a recommendation, or anything else that moves their status)."""

    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = WaitlistQuerySet.as_manager()

    class Meta:
        db_table = "matching_waitlistentry"
        ordering = ["-added_at", "-id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["survivor"],
                condition=Q(ended_at__isnull=True),
                name="waitlist_one_open_entry_per_survivor",
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist entry {self.pk}: survivor {self.survivor_id}"

    def get_absolute_url(self) -> str:
        return reverse("survivor-page", args=[self.survivor_id])


class WaitlistOffer(models.Model):
    """A home found feasible for a waitlisted survivor: the case worker hears of it once."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    home = models.ForeignKey("homes.Home", on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "matching_waitlistoffer"
        ordering = ["found_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "home"], name="waitlist_offer_once_per_home"),
        ]

    def __str__(self) -> str:
        return f"Home {self.home_id} for waitlist entry {self.entry_id}"
