"""The night as it happens, on a phone (375 px), in a real browser with axe: the MDT
reviews a crisis override after the child already arrived; a girl in an interim stay
at a shelter hears that a bed opened and is transferred; the supervisor on call hands
a case to the morning worker, who reads the note."""

from __future__ import annotations

import pytest

from homes.services import home_admin_grant
from placement.models import Placement, Recommendation
from placement.services import (
    referral_accept,
    referral_create,
    referral_place,
    waitlist_recheck,
)
from placement.services.homes import home_availability_report
from survivors.models import Survivor
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_story import flash, look
from tests.factories import HomeFactory, UserFactory
from tests.placement.helpers import accepted, placed, recommend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_mdt_reviews_a_crisis_override_after_the_child_arrived(
    open_page, alice, mdt, home_admin, survivor, home
):
    recommendation = recommend(alice, survivor, home)
    referral = referral_create(
        actor=alice,
        recommendation_id=recommendation.pk,
        crisis_override=True,
        justification="Found at the bus station at 2 a.m.; nowhere safe tonight.",
    )
    referral_accept(actor=home_admin, referral_id=referral.pk)
    referral_place(actor=alice, referral_id=referral.pk)
    page = open_page(PHONE)
    sign_in(page, "mona")

    page.goto("/")
    queue = page.locator("ol.queue").inner_text()
    assert "review after placement" in queue
    look(page, "night-cases-mdt-queue")
    page.click(f"text=Case {survivor.case_number} → {home.name}")
    assert "Review after placement:" in page.locator("main").inner_text()
    look(page, "night-cases-review-after-placement")
    page.fill("#id_comment", "The right call for that night.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()

    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.APPROVED
    page.goto("/")
    assert page.locator("ol.queue").count() == 0


def test_a_girl_at_the_shelter_hears_of_a_bed_and_is_transferred(
    open_page, alice, mdt, home_admin, survivor, home
):
    shelter = HomeFactory(
        name="Harris County Youth Shelter", home_type="emergency_shelter", intake_24_7=True
    )
    sam = UserFactory(username="sam", role="home_admin")
    home_admin_grant(actor=None, user=sam, home=shelter)
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=0)
    stay = placed(alice, mdt, sam, survivor, shelter)
    page = open_page(PHONE)
    sign_in(page, "alice")
    page.goto(f"/survivors/{survivor.pk}/")
    assert "Interim stay" in page.locator("main").inner_text()
    look(page, "night-cases-interim-case")

    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=1)
    waitlist_recheck(home_id=home.pk)  # the beat's safety net: no second alert
    page.goto("/")
    alerts = page.locator("#beds-h + ul").inner_text()
    assert f"(in an interim stay at {shelter.name}) opened at {home.name}" in alerts
    look(page, "night-cases-bed-alert")

    referral = accepted(alice, mdt, home_admin, survivor, home)
    page.goto(f"/referrals/{referral.pk}/")
    page.get_by_role("button", name="Confirm the child arrived").click()
    page.wait_for_load_state()

    stay.refresh_from_db()
    assert stay.end_reason == "transfer"
    assert Placement.objects.get(survivor=survivor, ended_at__isnull=True).home == home
    page.goto(f"/survivors/{survivor.pk}/")
    text = page.locator("main").inner_text()
    assert f"At {home.name} since" in text and "transferred" in text
    look(page, "night-cases-transferred")


def test_the_supervisor_on_call_hands_a_case_to_the_morning_worker(
    open_page, agency, alice, bob, survivor
):
    Survivor.objects.filter(pk=survivor.pk).update(urgency="crisis")
    UserFactory(
        username="carol", role="case_worker", agency=agency, first_name="Carol", last_name="Diaz"
    )
    page = open_page(PHONE)
    sign_in(page, "bob")

    page.goto("/on-call/")
    assert f"Case {survivor.case_number}" in page.locator("main").inner_text()
    look(page, "night-cases-on-call")
    page.click(f"text=Hand off case {survivor.case_number}")
    look(page, "night-cases-hand-off-form")
    page.get_by_label("Hand the case to").select_option("carol")
    page.get_by_label("Hand-off note").fill(
        "At the Harris shelter; promised her a call from her aunt at 9."
    )
    page.get_by_role("button", name="Hand off the case").click()
    page.wait_for_load_state()
    assert flash(page) == f"Case {survivor.case_number} is now carol's."

    morning = open_page(PHONE)
    sign_in(morning, "carol")
    morning.goto(f"/survivors/{survivor.pk}/")
    note = morning.locator(".hand-off").inner_text()
    assert "promised her a call from her aunt at 9" in note
    look(morning, "night-cases-hand-off-note")
    evening = open_page(PHONE)
    sign_in(evening, "alice")
    assert evening.goto(f"/survivors/{survivor.pk}/").status == 404
