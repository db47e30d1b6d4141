"""Safety across cases: two children who must never share a home (a recruiter and the
girl she recruited, co-victims who threaten each other), whatever case each is in."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q

from core.fields import EncryptedTextField

KEEP_APART_REASON_MAX = 1000


class KeepApartQuerySet(models.QuerySet["KeepApart"]):
    def active(self) -> KeepApartQuerySet:
        return self.filter(ended_at__isnull=True)

    def of(self, survivor_id: int) -> KeepApartQuerySet:
        """The links that name this child, on either side."""
        return self.filter(Q(survivor_id=survivor_id) | Q(other_id=survivor_id))


class KeepApart(models.Model):
    """A link between two children who must be kept apart: the rule `keep_apart` refuses
    a home where the other is placed, held or referred, at every search and commitment.

    One row a pair, the lower id first (`survivor`), so a pair is linked once. The reason
    says who threatens whom: encrypted, like the child's notes. Ended, never deleted."""

    survivor = models.ForeignKey("survivors.Survivor", on_delete=models.PROTECT, related_name="+")
    other = models.ForeignKey("survivors.Survivor", on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(validators=[MaxLengthValidator(KEEP_APART_REASON_MAX)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = KeepApartQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(survivor__lt=F("other")), name="keep_apart_lower_id_first"
            ),
            models.UniqueConstraint(
                fields=["survivor", "other"],
                condition=Q(ended_at__isnull=True),
                name="keep_apart_one_active_per_pair",
                violation_error_message="These two children are already kept apart.",
            ),
        ]

    def __str__(self) -> str:
        return f"Keep apart {self.pk}: survivors {self.survivor_id} and {self.other_id}"

    def other_than(self, survivor_id: int) -> int:
        return self.other_id if survivor_id == self.survivor_id else self.survivor_id
