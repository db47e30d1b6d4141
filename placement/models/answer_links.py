"""A referral's single-use answer link, for a home with no Harbor user (DESIGN
"Off-platform answers"): sent to the home's intake email and by text message to its
intake phone; the home's on-call person opens it, sees the de-identified referral and
accepts or declines without an account.

Only a digest of the token is stored: a copy of the database opens no link. The link
works while its referral waits for an answer, once, never after `expires_at`, and no
longer once the reminder sent a fresh one."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from placement.models.workflow import Referral


class AnswerLink(models.Model):
    class Delivery(models.TextChoices):
        PENDING = "pending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")
        NONE = "none", _("Nothing on file")

    class SentFor(models.TextChoices):
        REFERRAL = "referral", _("The referral")
        REMINDER = "reminder", _("The reminder")

    # A referral's links, newest last: the one sent with it, then a fresh one with the
    # reminder (only the token's digest is kept, so a reminder cannot send the first
    # again); a fresh link retires the one before it.
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="answer_links")
    sent_for = models.CharField(max_length=10, choices=SentFor.choices, default=SentFor.REFERRAL)
    retired_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the token, hex: the token itself is only in the messages sent. Empty
    # (null) until the job that sends it makes it: no token ever waits in a queue.
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Where it went, as the home's record said then, and whether each went out.
    email = models.EmailField(blank=True)
    email_delivery = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.NONE
    )
    phone = models.CharField(max_length=30, blank=True)
    text_delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.NONE)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=models.Q(retired_at__isnull=True),
                name="answer_link_one_live_per_referral",
            )
        ]

    def __str__(self) -> str:
        return f"Answer link for referral {self.referral_id}"

    @staticmethod
    def digest(token: str) -> str:
        """What is stored of a token: its SHA-256, hex (the token has 256 random bits,
        so a plain digest is as hard to reverse as the token is to guess)."""
        return hashlib.sha256(token.encode()).hexdigest()

    def usable(self, now) -> bool:
        """Whether the link still answers: unused, not past its limit, and its referral
        still waiting for the home."""
        return (
            self.used_at is None
            and self.retired_at is None
            and self.token_digest is not None
            and now < self.expires_at
            and self.referral.status == Referral.Status.PENDING
        )

    @property
    def reached(self) -> bool:
        """Whether the link went out by any way at all."""
        return self.Delivery.SENT in (self.email_delivery, self.text_delivery)
