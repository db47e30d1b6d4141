"""A crisis override is always reviewed: the child arriving first (the usual night) never
withdraws the override's own review; the MDT's queue shows it as a review after
placement until decided; left unreviewed OVERRIDE_REVIEW_HOURS, the agency's supervisors
hear of it, once, and the trail says so."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from notifications.models import Notification
from placement.models import Recommendation
from placement.services import (
    overrides_chase,
    referral_accept,
    referral_create,
    referral_place,
    review_create,
)
from placement.tasks import chase_unreviewed_overrides
from survivors.models import Status
from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import recommend

pytestmark = pytest.mark.postgres

JUSTIFICATION = "Found at the bus station at 2 a.m.; nowhere safe tonight."


def _override_and_arrive(alice, home_admin, survivor, home):
    recommendation = recommend(alice, survivor, home)
    referral = referral_create(
        actor=alice,
        recommendation_id=recommendation.pk,
        crisis_override=True,
        justification=JUSTIFICATION,
    )
    referral_accept(actor=home_admin, referral_id=referral.pk)
    placement = referral_place(actor=alice, referral_id=referral.pk)
    recommendation.refresh_from_db()
    return recommendation, placement


def test_it_keeps_the_overrides_review_open_after_the_arrival(
    alice, mdt, home_admin, survivor, home
):
    # A second home proposed normally: the arrival withdraws that one, not the override.
    other = HomeFactory(name="Prairie House")
    plain = recommend(alice, survivor, other)

    recommendation, _ = _override_and_arrive(alice, home_admin, survivor, home)

    assert recommendation.status == Recommendation.Status.PENDING_REVIEW
    plain.refresh_from_db()
    assert plain.status == Recommendation.Status.WITHDRAWN
    survivor.refresh_from_db()
    assert survivor.status == Status.PLACED


def test_it_shows_the_mdt_a_review_after_placement_until_decided(
    client, alice, mdt, home_admin, survivor, home
):
    recommendation, _ = _override_and_arrive(alice, home_admin, survivor, home)
    client.force_login(mdt)

    queue = client.get("/").content.decode()
    assert f"Case {survivor.case_number} → {home.name}" in queue
    assert "review after placement" in queue
    page = client.get(f"/recommendations/{recommendation.pk}/").content.decode()
    assert "Review after placement:" in page and JUSTIFICATION in page
    assert 'value="approve"' in page

    review_create(
        actor=mdt, recommendation_id=recommendation.pk, decision="approve", comment="Right call."
    )
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.APPROVED
    assert "review after placement" not in client.get("/").content.decode()
    survivor.refresh_from_db()
    assert survivor.status == Status.PLACED


def test_it_tells_the_supervisors_when_the_mdt_rejects_after_the_arrival(
    alice, bob, mdt, home_admin, survivor, home
):
    recommendation, placement = _override_and_arrive(alice, home_admin, survivor, home)

    review_create(
        actor=mdt,
        recommendation_id=recommendation.pk,
        decision="reject",
        comment="Too close to where she was recruited.",
    )

    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.REJECTED
    (told,) = Notification.objects.filter(recipient=bob, kind="review_done")
    assert "Too close to where she was recruited." in told.message
    # The child stays where she is until people decide: nothing moves behind their back.
    placement.refresh_from_db()
    assert placement.ended_at is None
    survivor.refresh_from_db()
    assert survivor.status == Status.PLACED


def test_it_escalates_an_unreviewed_override_to_the_supervisors_once(
    settings, alice, bob, mdt, home_admin, survivor, home, other_supervisor
):
    settings.OVERRIDE_REVIEW_HOURS = 72
    recommendation, _ = _override_and_arrive(alice, home_admin, survivor, home)
    now = timezone.now()

    assert overrides_chase(now=now + datetime.timedelta(hours=71)) == 0
    assert overrides_chase(now=now + datetime.timedelta(hours=73)) == 1
    assert chase_unreviewed_overrides.delay().get() == 0  # once only, whoever runs it

    (told,) = Notification.objects.filter(recipient=bob, kind="override_unreviewed")
    assert f"case {survivor.case_number}" in told.message
    assert home.name in told.message and "placed there" in told.message
    assert "KS Metro MDT" in told.message
    assert "Jane" not in told.message
    assert not Notification.objects.filter(recipient=other_supervisor).exists()
    assert not Notification.objects.filter(recipient=alice, kind="override_unreviewed").exists()
    entry = AuditEntry.objects.get(action="recommendation.escalate")
    assert entry.survivor_id == survivor.pk and entry.object_id == str(recommendation.pk)


def test_it_does_not_escalate_a_reviewed_override_or_a_plain_recommendation(
    alice, bob, mdt, home_admin, survivor, home
):
    recommendation, _ = _override_and_arrive(alice, home_admin, survivor, home)
    review_create(actor=mdt, recommendation_id=recommendation.pk, decision="approve")
    waiting = SurvivorFactory(agency=alice.agency, team=survivor.team)
    waiting.assigned_workers.add(alice)
    recommend(alice, waiting, HomeFactory(name="Quiet Pines"))

    assert overrides_chase(now=timezone.now() + datetime.timedelta(days=30)) == 0
    assert not Notification.objects.filter(kind="override_unreviewed").exists()
