"""`make demo`'s timers: Celery beat's schedule run in one process (`run_timers`), so
that on a laptop holds expire and reminders fire as they do in production."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from homes.models import Home
from notifications.models import Notification
from placement.models import Referral
from tests.placement.helpers import accepted, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_it_expires_a_hold_and_gives_its_bed_back(alice, mdt, home_admin, survivor, home):
    referral = accepted(alice, mdt, home_admin, survivor, home)
    free = Home.objects.get(pk=home.pk).available_beds
    Referral.objects.filter(pk=referral.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    call_command("run_timers", "--once", stdout=StringIO())
    referral.refresh_from_db()
    assert referral.status == "expired"
    assert Home.objects.get(pk=home.pk).available_beds == free + referral.beds


def test_it_reminds_a_home_of_a_referral_left_unanswered(alice, mdt, home_admin, survivor, home):
    referral = referred(alice, mdt, survivor, home)
    Referral.objects.filter(pk=referral.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=5)
    )
    before = Notification.objects.filter(recipient=home_admin).count()
    call_command("run_timers", "--once", stdout=StringIO())
    assert Notification.objects.filter(recipient=home_admin).count() > before
    referral.refresh_from_db()
    assert referral.reminded_at is not None


def test_make_demo_takes_a_port_and_starts_the_timers_beside_the_server():
    import subprocess

    plan = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"], capture_output=True, text=True, check=True
    ).stdout
    assert "runserver 127.0.0.1:8123" in plan
    assert "run_timers" in plan
