"""Notifications a worker can act on at 2 a.m.: the case number (never "survivor 37"), what
was said (the MDT's comment, the home's reason and comment), what to do next and the
number to call; a home reads no identity before it accepts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from notifications.models import Notification
from placement.services import (
    referral_accept,
    referral_create,
    referral_decline,
    referrals_chase,
    review_create,
)
from tests.placement.helpers import accepted, approved, recommend, referred

pytestmark = pytest.mark.postgres

HOME_PHONE = "(913) 555-0142"
WORKER_PHONE = "785-555-0101"


@pytest.fixture
def reachable(alice, home):
    """The home has an intake line and a contact; alice has a full name and a phone."""
    home.intake_phone, home.contact_name = HOME_PHONE, "Maria Lopez"
    home.save(update_fields=["intake_phone", "contact_name"])
    alice.first_name, alice.last_name, alice.phone = "Alice", "Archer", WORKER_PHONE
    alice.save(update_fields=["first_name", "last_name", "phone"])


def messages_to(user, kind: str) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind=kind)
        .order_by("created_at", "id")
        .values_list("message", flat=True)
    )


def assert_not_identified(text: str, survivor) -> None:
    for secret in ("Jane", "Roe", survivor.case_number, f"survivor {survivor.pk}"):
        assert secret not in text, text


def test_it_tells_the_worker_which_case_a_home_accepted_and_whom_to_call(
    alice, mdt, home_admin, survivor, home, reachable
):
    accepted(alice, mdt, home_admin, survivor, home)

    (text,) = messages_to(alice, "referral_accepted")
    assert f"case {survivor.case_number}" in text
    assert f"survivor {survivor.pk}" not in text
    assert HOME_PHONE in text and "Maria Lopez" in text
    assert "Jane" not in text


def test_it_passes_on_the_mdts_rejection_comment_and_the_next_step(alice, mdt, survivor, home):
    recommendation = recommend(alice, survivor, home)
    review_create(
        actor=mdt,
        recommendation_id=recommendation.pk,
        decision="reject",
        comment="Too far from her school and her sister.",
    )

    (text,) = messages_to(alice, "review_done")
    assert f"case {survivor.case_number}" in text
    assert "Too far from her school and her sister." in text
    assert "rejected" in text and "Search again" in text
    assert "send the referral" not in text


def test_it_says_send_the_referral_when_the_mdt_approves(alice, mdt, survivor, home):
    approved(alice, mdt, survivor, home)

    (text,) = messages_to(alice, "review_done")
    assert f"approved {home.name} for case {survivor.case_number}" in text
    assert "send the referral" in text


def test_it_does_not_say_refer_after_a_crisis_override_already_referred(alice, mdt, survivor, home):
    recommendation = recommend(alice, survivor, home)
    referral_create(
        actor=alice,
        recommendation_id=recommendation.pk,
        crisis_override=True,
        justification="She cannot stay at the station tonight.",
    )
    review_create(actor=mdt, recommendation_id=recommendation.pk, decision="approve")

    (text,) = messages_to(alice, "review_done")
    assert "already went" in text
    assert "send the referral" not in text


def test_it_gives_the_homes_decline_reason_as_a_label_with_its_comment(
    alice, mdt, home_admin, survivor, home
):
    referral = referred(alice, mdt, survivor, home)
    referral_decline(
        actor=home_admin,
        referral_id=referral.pk,
        reason_code="clinical_fit",
        comment="No psychiatric cover this week.",
    )

    (text,) = messages_to(alice, "referral_declined")
    assert f"case {survivor.case_number}" in text
    assert "Reason: Clinical fit." in text and "clinical_fit" not in text
    assert "No psychiatric cover this week." in text
    assert "Search again" in text


def test_it_tells_the_case_worker_of_a_referral_left_unanswered(
    alice, bob, mdt, home_admin, survivor, home, reachable
):
    referral = referred(alice, mdt, survivor, home)
    type(referral).objects.filter(pk=referral.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=13)
    )

    assert referrals_chase() == {"reminded": 1, "escalated": 1}
    assert referrals_chase() == {"reminded": 0, "escalated": 0}  # once only

    (to_worker,) = messages_to(alice, "referral_escalated")
    assert f"case {survivor.case_number}" in to_worker
    assert "13 hours" in to_worker and HOME_PHONE in to_worker
    (to_supervisor,) = messages_to(bob, "referral_escalated")
    assert f"case {survivor.case_number}" in to_supervisor and HOME_PHONE in to_supervisor
    (reminder,) = messages_to(home_admin, "referral_reminder")
    assert WORKER_PHONE in reminder
    assert_not_identified(reminder, survivor)


def test_it_keeps_the_homes_notifications_de_identified_with_the_workers_number(
    alice, mdt, home_admin, survivor, home, reachable
):
    referral = referred(alice, mdt, survivor, home)

    (received,) = messages_to(home_admin, "referral_received")
    assert "Alice Archer" in received and WORKER_PHONE in received
    assert "Kansas DCF" in received
    assert_not_identified(received, survivor)

    referral_accept(actor=home_admin, referral_id=referral.pk)
    # The hold runs out: the worker reads the case, the home (no longer accepted) does not.
    type(referral).objects.filter(pk=referral.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    from placement.services import holds_expire

    assert holds_expire()["expired"] == 1
    (to_home,) = messages_to(home_admin, "hold_expired")
    assert_not_identified(to_home, survivor)
    assert "free again" in to_home
    (to_worker,) = messages_to(alice, "hold_expired")
    assert f"case {survivor.case_number}" in to_worker


def test_it_marks_a_crisis_in_the_review_request(alice, mdt, survivor, home):
    survivor.urgency = "crisis"
    survivor.save(update_fields=["urgency"])
    home.intake_24_7 = True
    home.save(update_fields=["intake_24_7"])

    recommend(alice, survivor, home)

    (text,) = messages_to(mdt, "review_requested")
    assert text.startswith(f"Crisis: case {survivor.case_number} waits for your review")
    assert "Jane" not in text
