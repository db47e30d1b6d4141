"""Every email and notice links to its record, and crisis comes first on every list
(issue 25, item 8)."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from homes.models import Home
from notifications.models import Notification
from placement.models import Referral
from placement.services.outcomes import follow_ups_create_due
from survivors.models import Survivor
from tests.factories import SurvivorFactory
from tests.placement.helpers import accepted, placed, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SITE = "https://harbor.example.org"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


def test_it_links_each_email_to_the_record_it_is_about(
    alice, mdt, home_admin, survivor, home, django_capture_on_commit_callbacks
):
    alice.email = "alice@example.org"
    alice.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        referral = accepted(alice, mdt, home_admin, survivor, home)

    (email,) = [m for m in mail.outbox if m.to == ["alice@example.org"] and "accepted" in m.body]
    assert f"{SITE}/referrals/{referral.pk}/" in email.body
    notice = Notification.objects.get(recipient=alice, kind=Notification.Kind.REFERRAL_ACCEPTED)
    assert notice.link == f"/referrals/{referral.pk}/"


def test_it_links_every_notice_in_the_inbox_to_its_record(
    client, api, alice, mdt, home_admin, survivor, home
):
    referral = referred(alice, mdt, survivor, home)

    items = api(home_admin).get("/api/v1/notifications/").json()["results"]
    (received,) = [i for i in items if i["kind"] == "referral_received"]
    assert received["link"] == f"/referrals/{referral.pk}/"
    client.force_login(home_admin)
    opened = client.post(reverse("notification-open", args=[received["id"]]))
    assert opened["Location"] == f"/referrals/{referral.pk}/"
    items = api(alice).get("/api/v1/notifications/").json()["results"]
    assert all(item["link"] for item in items), items


def test_it_links_a_follow_up_notice_to_the_childs_case(alice, mdt, home_admin, survivor, home):
    placement = placed(alice, mdt, home_admin, survivor, home)
    type(placement).objects.filter(pk=placement.pk).update(
        started_at=timezone.now() - datetime.timedelta(days=31)
    )
    follow_ups_create_due(now=timezone.now())

    notice = Notification.objects.get(recipient=alice, kind=Notification.Kind.FOLLOW_UP_DUE)
    assert notice.link == f"/survivors/{survivor.pk}/"


@pytest.fixture
def two_referrals(alice, mdt, survivor, home, team):
    """A planned child referred first, then a child in crisis: both waiting at `home`."""
    Survivor.objects.filter(pk=survivor.pk).update(urgency="planned")
    Home.objects.filter(pk=home.pk).update(intake_24_7=True)
    survivor.refresh_from_db()
    planned = referred(alice, mdt, survivor, home)
    crisis_child = SurvivorFactory(agency=alice.agency, team=team, urgency="crisis")
    crisis_child.assigned_workers.add(alice)
    crisis = referred(alice, mdt, crisis_child, home)
    assert planned.created_at < crisis.created_at
    return planned, crisis


def _order(text: str, *referrals: Referral) -> list[int]:
    found = [text.index(f"/referrals/{r.pk}/") for r in referrals]
    return [r.pk for _, r in sorted(zip(found, referrals, strict=True))]


def test_it_lists_the_crisis_referral_first_on_the_home_admins_pages(
    client, home_admin, home, two_referrals
):
    planned, crisis = two_referrals
    client.force_login(home_admin)

    dashboard = client.get(reverse("dashboard")).content.decode()
    manage = client.get(reverse("home-manage", args=[home.pk])).content.decode()

    assert _order(dashboard, planned, crisis) == [crisis.pk, planned.pk]
    assert _order(manage, planned, crisis) == [crisis.pk, planned.pk]
    assert "<strong>crisis</strong>" in dashboard and "Crisis</span>" in manage


def test_it_lists_the_crisis_referral_and_child_first_for_the_case_worker(
    client, alice, two_referrals
):
    planned, crisis = two_referrals
    client.force_login(alice)

    dashboard = client.get(reverse("dashboard")).content.decode()

    assert _order(dashboard, planned, crisis) == [crisis.pk, planned.pk]
    cases = [dashboard.index(f"/survivors/{r.survivor_id}/") for r in (crisis, planned)]
    assert cases == sorted(cases)
