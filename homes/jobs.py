"""The directory's periodic jobs, run by beat through homes.tasks: nudge the admins of
homes whose bed count is stale, remind them of a license about to expire, prune the
change log the matching directory reads."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from homes.models import LICENSE_REMINDER_DAYS, Home, LicenseReminder
from homes.selectors import homes_with_license_expiring, homes_with_stale_availability
from homes.services import home_admins
from notifications.models import Notification
from notifications.services import notification_send, recipient_language
from notifications.texts import Text, count, day, msg


def home_nudge_stale(*, now=None) -> int:
    """Email each stale home's admins, at most once per 24 h per home. Returns homes nudged.

    Safe to run twice: a home is claimed by a conditional update (a second run, or a
    concurrent one, finds it claimed), and the email goes out after that commit, so no
    row lock is held while a mail server answers.
    """
    now = now or timezone.now()
    nudged = 0
    due = homes_with_stale_availability(now=now).exclude(
        stale_nudged_at__gte=now - timedelta(hours=24)
    )
    for home_id in due.values_list("id", flat=True):
        claimed = (
            Home.objects.filter(pk=home_id)
            .exclude(stale_nudged_at__gte=now - timedelta(hours=24))
            .update(stale_nudged_at=now)
        )
        if not claimed:
            continue
        home = Home.objects.get(pk=home_id)
        # One email per language, each admin's own (their profile's, else English).
        by_language: dict[str, list[str]] = {}
        for user in home_admins(home):
            if user.email:
                by_language.setdefault(recipient_language(user), []).append(user.email)
        for language, recipients in sorted(by_language.items()):
            with translation.override(language):
                subject = gettext("Harbor: please confirm the beds at %(home)s") % {
                    "home": home.name
                }
                body = gettext(
                    "The bed count of %(home)s has not been confirmed for over %(hours)s "
                    "hours. Case workers see it flagged as stale. Please update it or "
                    "confirm it is still accurate."
                ) % {"home": home.name, "hours": settings.AVAILABILITY_STALE_HOURS}
            send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
        nudged += 1
    return nudged


def home_remind_license_expiry(*, today: dt.date | None = None) -> int:
    """Remind the admins of each active home whose license expires within the largest of
    LICENSE_REMINDER_DAYS (60, 30, 7 days before): once per threshold. Returns reminders sent.

    A home is reminded for the nearest threshold it has reached, so a job that missed a
    day catches up, and a home added 20 days before expiry gets the 30-day reminder, not
    three at once. Safe to run twice, even at once: each reminder is claimed by a row
    unique on (home, expiry date, threshold) before anything is sent, and the email goes
    after that commit. A renewed license (a new date) is reminded afresh.
    """
    today = today or timezone.localdate()
    sent = 0
    for home_id, expires in homes_with_license_expiring(
        today=today, within_days=max(LICENSE_REMINDER_DAYS)
    ).values_list("id", "license_expires"):
        if expires is None:
            continue  # the query keeps only homes with a date; the type cannot say so
        days_left = (expires - today).days
        threshold = min(d for d in LICENSE_REMINDER_DAYS if days_left <= d)
        try:
            with transaction.atomic():
                reminder, created = LicenseReminder.objects.get_or_create(
                    home_id=home_id, license_expires=expires, days_before=threshold
                )
                if not created:
                    continue
                home = Home.objects.get(pk=home_id)
                sent_to = notification_send(
                    recipients=home_admins(home),
                    kind=Notification.Kind.LICENSE_EXPIRING,
                    message=_license_reminder_text(home, days_left),
                    obj=home,
                    dedupe_key=f"license:{home_id}:{expires.isoformat()}:{threshold}",
                )
                reminder.recipients = len(sent_to)
                reminder.save(update_fields=["recipients"])
        except IntegrityError:
            continue  # a concurrent run claimed it first
        sent += 1
    return sent


def _license_reminder_text(home: Home, days_left: int) -> Text:
    """In the app and by email (notification_send does both), in each reader's language."""
    assert home.license_expires is not None  # only homes with an expiry are reminded
    when = (
        msg(gettext_noop("today"))
        if days_left == 0
        else msg(gettext_noop("in %(days)s"), days=count(days_left, "day"))
    )
    number = home.license_number or msg(gettext_noop("not recorded"))
    return msg(
        gettext_noop(
            "The license of %(home)s (number %(number)s) expires on %(day)s, %(when)s. From "
            "the day after, case workers' searches no longer offer the home. Once it is "
            "renewed, send the new license to your Harbor administrator so the new expiry "
            "date is recorded."
        ),
        home=home.name,
        number=number,
        day=day(home.license_expires),
        when=when,
    )


def home_changes_prune(*, keep: timedelta | None = None) -> int:
    """Delete change-log entries older than `keep` (HOME_CHANGE_RETENTION_HOURS), leaving
    a marker that names the pruned range: a process whose directory still needed one of
    them reloads it whole instead of missing a change. Returns the entries deleted."""
    if connection.vendor != "postgresql":
        return 0  # no log on SQLite: the demo reloads its directory at every search
    keep = keep if keep is not None else timedelta(hours=settings.HOME_CHANGE_RETENTION_HOURS)
    with transaction.atomic(), connection.cursor() as cursor:
        # Only transactions every snapshot now sees as finished: below xmin.
        cursor.execute(
            "SELECT max(txid) FROM homes_homechange "
            "WHERE created_at < now() - %s "
            "AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            [keep],  # type: ignore[list-item]  # psycopg adapts a timedelta (an interval)
        )
        (top,) = cursor.fetchone()
        if top is None:
            return 0
        cursor.execute(
            "INSERT INTO homes_homechange (home_id, txid, pruned_below) "
            "VALUES (NULL, pg_current_xact_id()::text::bigint, %s)",
            [top + 1],
        )
        cursor.execute("DELETE FROM homes_homechange WHERE txid <= %s", [top])
        return cursor.rowcount
