"""The workflow's jobs through a real Celery worker on Redis and the test database;
running a job twice changes nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from homes.models import AvailabilityChange
from notifications.models import Notification
from notifications.tasks import send_notification_email
from placement.models import Referral, WaitlistOffer
from placement.services import survivor_waitlist
from placement.services.homes import home_availability_report
from placement.tasks import chase_stalled_referrals, expire_holds, recheck_waitlist
from tests.placement.helpers import accepted, referred
from tests.worker import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def drained(recipient_id: int) -> None:
    """Queue a marker and wait until it ran: the solo worker ran everything before it."""
    marker = Notification.objects.create(
        recipient_id=recipient_id, kind="review_done", message="marker"
    )
    send_notification_email.delay(marker.pk)
    assert wait_for(lambda: Notification.objects.get(pk=marker.pk).emailed_at is not None)


@pytest.fixture
def case(alice, mdt, home_admin, survivor, home):
    return {
        "alice": alice,
        "mdt": mdt,
        "home_admin": home_admin,
        "survivor": survivor,
        "home": home,
    }


def test_it_expires_a_hold_through_the_worker_once(worker, case):
    referral = accepted(
        case["alice"], case["mdt"], case["home_admin"], case["survivor"], case["home"]
    )
    Referral.objects.filter(pk=referral.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )

    expire_holds.delay()
    assert wait_for(lambda: Referral.objects.get(pk=referral.pk).status == "expired")
    expire_holds.delay()
    drained(case["alice"].pk)

    home = case["home"]
    home.refresh_from_db()
    assert (home.available_beds, home.beds_held) == (2, 0)
    assert AvailabilityChange.objects.filter(home=home, source="hold_released").count() == 1
    expired = Notification.objects.filter(kind="hold_expired")
    assert sorted(expired.values_list("recipient__username", flat=True)) == ["alice", "hank"]
    # The worker also emailed them, once each.
    assert wait_for(lambda: not expired.filter(emailed_at__isnull=True).exists())


def test_it_warns_of_a_hold_about_to_expire_once(worker, case):
    referral = accepted(
        case["alice"], case["mdt"], case["home_admin"], case["survivor"], case["home"]
    )
    Referral.objects.filter(pk=referral.pk).update(
        hold_expires_at=timezone.now() + timedelta(minutes=90)
    )

    expire_holds.delay()
    expire_holds.delay()
    drained(case["alice"].pk)

    warnings = Notification.objects.filter(kind="hold_expiring")
    assert list(warnings.values_list("recipient__username", flat=True)) == ["alice"]
    assert Referral.objects.get(pk=referral.pk).status == "accepted"


def test_it_reminds_the_home_then_tells_the_supervisor_and_the_case_worker_once(worker, case, bob):
    referral = referred(case["alice"], case["mdt"], case["survivor"], case["home"])
    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - timedelta(hours=5))

    chase_stalled_referrals.delay()
    chase_stalled_referrals.delay()
    drained(case["alice"].pk)
    assert list(
        Notification.objects.filter(kind="referral_reminder").values_list(
            "recipient__username", flat=True
        )
    ) == ["hank"]
    assert not Notification.objects.filter(kind="referral_escalated").exists()

    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - timedelta(hours=13))
    chase_stalled_referrals.delay()
    chase_stalled_referrals.delay()
    drained(case["alice"].pk)
    assert sorted(
        Notification.objects.filter(kind="referral_escalated").values_list(
            "recipient__username", flat=True
        )
    ) == ["alice", "bob"]
    assert Notification.objects.filter(kind="referral_reminder").count() == 1


def test_it_tells_the_case_worker_once_when_a_bed_opens_for_a_waitlisted_child(
    worker, alice, home_admin, survivor, home
):
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=0)
    drained(alice.pk)
    survivor_waitlist(actor=alice, survivor_id=survivor.pk)

    # The home reports a bed: after commit the re-check of this home is queued.
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=1)
    assert wait_for(lambda: WaitlistOffer.objects.filter(home=home).exists())
    home_availability_report(actor=home_admin, home_id=home.pk, staff_on_duty=3)
    recheck_waitlist.delay()
    recheck_waitlist.delay(home.pk)
    drained(alice.pk)

    opened = Notification.objects.filter(kind="bed_opened")
    assert list(opened.values_list("recipient__username", "object_id")) == [
        ("alice", str(survivor.pk))
    ]
    assert WaitlistOffer.objects.count() == 1


def test_it_emails_a_notification_once(worker, alice):
    notification = Notification.objects.create(
        recipient=alice, kind="review_done", message="Recommendation 1 approved."
    )

    send_notification_email.delay(notification.pk)
    assert wait_for(lambda: Notification.objects.get(pk=notification.pk).emailed_at is not None)
    first = Notification.objects.get(pk=notification.pk).emailed_at
    send_notification_email.delay(notification.pk)
    drained(alice.pk)

    assert Notification.objects.get(pk=notification.pk).emailed_at == first


def test_it_schedules_the_workflow_jobs(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["expire-holds"]["task"] == expire_holds.name
    assert schedule["chase-stalled-referrals"]["task"] == chase_stalled_referrals.name
    assert schedule["recheck-waitlist"]["task"] == recheck_waitlist.name
    assert "nudge-stale-availability" in schedule
