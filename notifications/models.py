from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """Something a user should know or do, in Harbor and by email.

    `message` is stored in plain text and sent by email, so it never carries a child's
    name, alias, birth date or notes, nor where the child or an exclusion zone is. The
    case side and the MDT read the case number (what they find a case by; the MDT sees
    it on every page); a home reads a de-identified summary and the referral's id until
    it accepts. It says what to do next, with the number to call.
    """

    class Kind(models.TextChoices):
        REVIEW_REQUESTED = "review_requested", _("Review requested")
        REVIEW_DONE = "review_done", _("Review done")
        REFERRAL_RECEIVED = "referral_received", _("Referral received")
        REFERRAL_ACCEPTED = "referral_accepted", _("Referral accepted")
        REFERRAL_DECLINED = "referral_declined", _("Referral declined")
        REFERRAL_WITHDRAWN = "referral_withdrawn", _("Referral withdrawn")
        REFERRAL_REMINDER = "referral_reminder", _("Referral waiting for an answer")
        REFERRAL_ESCALATED = "referral_escalated", _("Referral unanswered (escalated)")
        HOLD_EXPIRING = "hold_expiring", _("Bed hold expiring")
        HOLD_EXPIRED = "hold_expired", _("Bed hold expired")
        BED_OPENED = "bed_opened", _("Bed opened for a waitlisted child")
        LICENSE_EXPIRING = "license_expiring", _("Home license expiring")
        FOLLOW_UP_DUE = "follow_up_due", _("Placement follow-up due")
        FOLLOW_UP_ESCALATED = "follow_up_escalated", _("Placement follow-up overdue (escalated)")
        CASE_ASSIGNED = "case_assigned", _("Case handed over")
        OVERRIDE_UNREVIEWED = (
            "override_unreviewed",
            _("Crisis override not reviewed (escalated)"),
        )
        DUTY_OPENED = "duty_opened", _("Legal duty opened")
        DUTY_DUE = "duty_due", _("Legal duty due soon")
        DUTY_OVERDUE = "duty_overdue", _("Legal duty overdue (escalated)")
        CHILD_MISSING = "child_missing", _("Child missing from care")
        CHILD_RETURNED = "child_returned", _("Child returned from missing")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # In English, as written: what a notification made before `text` existed says, and
    # the admin's and the tests' reading of a new one.
    message = models.CharField(max_length=500)
    # What to say, as a message id and its values (notifications.texts), read in the
    # reader's language: the inbox in the page's, the email in the recipient's. Null for a
    # notification stored before: `message` is then what it says, in every language.
    text = models.JSONField(null=True, blank=True)
    # What the notification is about, e.g. ("matching.referral", "12"): the page to open.
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The record's page (its path, from the record's get_absolute_url): the inbox opens
    # it and the email links to it with SITE_URL in front.
    link = models.CharField(max_length=200, blank=True)
    # Set by jobs that may run twice: one notification per recipient and key, ever.
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_recipient_and_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def shown(self) -> str:
        """What it says in the active language, cut as `message` is (500 characters)."""
        if self.text is None:
            return self.message
        from notifications.texts import render

        return render(self.text)[:500]
