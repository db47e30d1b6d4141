from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.errors import NotFound
from core.outbox import enqueue
from core.types import Actor
from notifications.models import Notification
from notifications.texts import Text, in_language

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_send(
    *,
    recipients: Iterable[Any],
    kind: str,
    message: Text,
    obj: models.Model | None = None,
    dedupe_key: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notify each active recipient once, in the app and (after commit) by email.

    `message` is a text of notifications.texts (a message id and its values): each
    recipient reads it in their own language, the inbox in the page's, the email in
    `recipient_language`. A plain str is shown as it is, in every language.
    With `dedupe_key`, a recipient who already has a notification with that key
    gets no second one: a job that runs twice notifies once.
    """
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    if dedupe_key and users:
        users = {
            pk: user
            for pk, user in users.items()
            if pk
            not in set(
                Notification.objects.filter(
                    recipient_id__in=users, dedupe_key=dedupe_key
                ).values_list("recipient_id", flat=True)
            )
        }
    if not users:
        return []
    link = record_link(obj)
    text = None if isinstance(message, str) else message
    english = message if text is None else in_language(text, "en")
    notifications = [
        Notification(
            recipient=user,
            link=link,
            kind=kind,
            message=english[:500],
            text=text,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            dedupe_key=dedupe_key,
        )
        for user in users.values()
    ]
    for notification in notifications:
        notification.full_clean(exclude=["recipient"])
    created = Notification.objects.bulk_create(notifications)
    if email:
        from notifications.tasks import send_notification_email

        for notification in created:
            if notification.recipient.email:
                enqueue(send_notification_email, [notification.pk])
    return created


def record_link(obj: models.Model | None) -> str:
    """The path of a record's page (its get_absolute_url), or "" when it has none."""
    path = getattr(obj, "get_absolute_url", None)
    if path is None:
        return ""
    try:
        link = str(path())
    except (NoReverseMatch, ObjectDoesNotExist):
        return ""
    return link if len(link) <= 200 else ""


def recipient_language(user: Any) -> str:
    """The language of what Harbor sends a user outside a page (an email): their profile's,
    else their agency's (a team's for an MDT member), else settings.LANGUAGE_CODE."""
    languages = {code for code, _name in settings.LANGUAGES}
    agency = getattr(user, "agency", None)
    team = getattr(user, "team", None)
    if agency is None and team is not None:
        agency = team.agency
    for language in (getattr(user, "language", ""), getattr(agency, "language", "")):
        if language in languages:
            return language
    return settings.LANGUAGE_CODE


def _open_it(notification: Notification) -> str:
    """The email's last line: the record's page, absolute (SITE_URL), to sign in to."""
    if not settings.SITE_URL:
        return gettext("Sign in to Harbor to see the details.")
    path = notification.link or reverse("notifications-page")
    return gettext("Open it in Harbor (sign-in needed): %(url)s") % {
        "url": f"{settings.SITE_URL}{path}"
    }


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification_id: int | None) -> Notification:
    """Mark one of the actor's notifications read (again is harmless); others are 404."""
    if notification_id is None:
        raise NotFound()
    notification = (
        Notification.objects.select_for_update()
        .filter(pk=notification_id, recipient_id=getattr(actor, "pk", None))
        .first()
    )
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Actor) -> int:
    """Mark all of the actor's unread notifications read; returns how many."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_message_id(notification: Notification) -> str:
    """The email's Message-ID, the same at every send: a resend (a worker killed after the
    mail server took it, before the row said so) is the same message to the recipient's
    mail system, which keeps one, and to anyone reading two."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "harbor.invalid"
    return f"<harbor.notification.{notification.pk}.{notification.created_at:%Y%m%d}@{domain}>"


@transaction.atomic
def notification_email(*, notification_id: int) -> bool:
    """Send one notification's email unless it went already. Returns whether it was sent.

    The row is locked while sending, so two runs of the task send one email; a
    failed send rolls back and the task retries.
    """
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("recipient__agency", "recipient__team__agency")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    recipient = notification.recipient
    if not recipient.is_active or not recipient.email:
        return False
    # In the recipient's language, whoever's request or job made the notification.
    with translation.override(recipient_language(recipient)):
        subject = f"Harbor: {notification.get_kind_display()}"
        body = f"{notification.shown}\n\n{_open_it(notification)}"
    EmailMessage(
        subject=subject,
        body=body,
        to=[recipient.email],
        headers={"Message-ID": notification_message_id(notification)},
    ).send()
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


def notifications_email_unsent(*, now: datetime.datetime | None = None) -> int:
    """Email notifications left unsent (a broker that was down when they were made, a
    send that failed every retry): those of the last day, older than two minutes, so
    the task queued at creation normally gets there first. Returns how many were sent."""
    now = now or timezone.now()
    due = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lte=now - datetime.timedelta(minutes=2),
            created_at__gte=now - datetime.timedelta(days=1),
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    sent = 0
    for pk in due:
        try:
            sent += notification_email(notification_id=pk)
        except OSError:
            # One address the mail server refuses must not hold back everyone else's.
            logger.warning("notification %s: email failed, will retry", pk, exc_info=True)
    return sent
