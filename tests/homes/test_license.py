"""License expiry reminders: 60, 30 and 7 days before, once each, whatever the reruns."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from homes.jobs import home_remind_license_expiry
from homes.models import LicenseReminder
from homes.services import home_admin_grant
from homes.tasks import remind_license_expiry
from notifications.models import Notification
from tests.factories import HomeFactory, UserFactory

TODAY = datetime.date(2026, 12, 1)


def expiring(days: int, **fields):
    return HomeFactory(license_expires=TODAY + datetime.timedelta(days=days), **fields)


def reminded(home) -> list[int]:
    return sorted(home.license_reminders.values_list("days_before", flat=True))


def test_it_reminds_each_home_once_at_the_threshold_it_reached(home, home_admin):
    home.license_expires = TODAY + datetime.timedelta(days=30)
    home.save()
    at_60, at_45, at_8, at_7, at_0 = (expiring(d) for d in (60, 45, 8, 7, 0))
    far, expired = expiring(61), expiring(-1)
    closed = expiring(7, active=False)

    sent = home_remind_license_expiry(today=TODAY)

    assert sent == 6
    assert reminded(home) == [30]
    assert [reminded(h) for h in (at_60, at_45, at_8, at_7, at_0)] == [[60], [60], [30], [7], [7]]
    assert reminded(far) == reminded(expired) == reminded(closed) == []


def test_it_tells_the_homes_admins_in_the_app_and_by_email(
    home, home_admin, django_capture_on_commit_callbacks
):
    colleague = UserFactory(username="henry", role="home_admin")
    home_admin_grant(actor=None, user=colleague, home=home)
    home.license_expires = TODAY + datetime.timedelta(days=7)
    home.license_number = "KS-RCC-0042"
    home.save()

    with django_capture_on_commit_callbacks(execute=True):
        home_remind_license_expiry(today=TODAY)

    inbox = Notification.objects.filter(kind="license_expiring")
    assert sorted(n.recipient.username for n in inbox) == ["hank", "henry"]
    assert {n.object_id for n in inbox} == {str(home.pk)}
    assert sorted(m.to[0] for m in mail.outbox) == ["hank@example.org", "henry@example.org"]
    for message in mail.outbox:
        assert message.subject == "Harbor: Home license expiring"
        assert "The license of Lighthouse House (number KS-RCC-0042)" in message.body
        assert "expires on 8 Dec 2026, in 7 days" in message.body  # as the pages write it
        assert "send the new license to your Harbor administrator" in message.body


def test_it_sends_nothing_twice_when_the_job_runs_again(
    home, home_admin, django_capture_on_commit_callbacks
):
    home.license_expires = TODAY + datetime.timedelta(days=30)
    home.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert home_remind_license_expiry(today=TODAY) == 1
        assert home_remind_license_expiry(today=TODAY) == 0
        assert home_remind_license_expiry(today=TODAY + datetime.timedelta(days=1)) == 0

    assert len(mail.outbox) == 1
    assert LicenseReminder.objects.count() == 1


def test_it_walks_a_license_through_its_three_reminders(
    home, home_admin, django_capture_on_commit_callbacks
):
    home.license_expires = TODAY + datetime.timedelta(days=60)
    home.save()

    with django_capture_on_commit_callbacks(execute=True):
        for day in range(61):
            home_remind_license_expiry(today=TODAY + datetime.timedelta(days=day))

    assert reminded(home) == [7, 30, 60]
    assert [m.body.split(", in ")[1].split(".")[0] for m in mail.outbox] == [
        "60 days",
        "30 days",
        "7 days",
    ]


def test_it_reminds_a_renewed_license_afresh(home, home_admin):
    home.license_expires = TODAY + datetime.timedelta(days=7)
    home.save()
    home_remind_license_expiry(today=TODAY)
    home.license_expires = TODAY + datetime.timedelta(days=372)
    home.save()

    assert home_remind_license_expiry(today=TODAY + datetime.timedelta(days=312)) == 1
    assert reminded(home) == [7, 60]


def test_it_records_a_reminder_for_a_home_with_no_admin_to_email(
    db, django_capture_on_commit_callbacks
):
    home = expiring(30)

    with django_capture_on_commit_callbacks(execute=True):
        assert home_remind_license_expiry(today=TODAY) == 1

    assert mail.outbox == []
    assert home.license_reminders.get().recipients == 0


def test_it_runs_daily_on_the_beat_schedule(settings, home, home_admin):
    entry = settings.CELERY_BEAT_SCHEDULE["remind-license-expiry"]
    assert entry["task"] == "homes.tasks.remind_license_expiry"
    assert entry["schedule"] == datetime.timedelta(days=1)
    home.license_expires = timezone.localdate() + datetime.timedelta(days=7)
    home.save()

    assert remind_license_expiry.apply().get() == 1
    assert remind_license_expiry.apply().get() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_sends_one_reminder_when_two_runs_race(db):
    homes = [expiring(7) for _ in range(5)]
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run():
        try:
            barrier.wait(timeout=5)
            counts.append(home_remind_license_expiry(today=TODAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(counts) == 5
    assert LicenseReminder.objects.filter(home__in=homes).count() == 5
