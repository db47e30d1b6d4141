"""A home not on Harbor answers on a phone (issue 25, item 1), in a real browser at 375 px.

The case worker refers a child to a home with no Harbor user: the page says the home
was sent a single-use link by text message and email, not that it "is notified". The
home's night supervisor opens the link on her phone, sees the child de-identified, and
accepts without an account; the link then shows nothing. The case worker sees the
answer marked as given through the link and confirms the arrival. Axe finds nothing
serious on any page and none scrolls sideways.
"""

from __future__ import annotations

import re

import pytest

from notifications.sms import LocmemBackend
from placement.models import Referral
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_story import flash, look
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory
from tests.placement.helpers import approved

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def night(db, settings, live_server):
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    settings.SITE_URL = live_server.url
    LocmemBackend.outbox.clear()
    agency = AgencyFactory(code="tx-dfps", name="Texas DFPS", state="TX")
    team = TeamFactory(agency=agency, name="Harris County MDT")
    rosa = UserFactory(
        username="rosa", first_name="Rosa", last_name="Vega", role="case_worker",
        agency=agency, team=team, phone="(713) 555-0100",
    )  # fmt: skip
    mona = UserFactory(username="mona", role="mdt_member", team=team)
    home = HomeFactory(
        name="Bayou Light House", home_type="safe_home", state="TX", zip_code="77471",
        licensed_beds=6, available_beds=2, staff_on_duty=2, residents_per_staff=3,
        genders_served=["female"], intake_24_7=True, intake_phone="(281) 555-0142",
        intake_email="intake@bayoulight.example.org", contact_name="James Okafor",
    )  # no Harbor user: it answers through the link  # fmt: skip
    child = SurvivorFactory(
        agency=agency, team=team, first_name="Lupe", last_name="Ortiz", custody_state="TX",
        residence_zip="77002", urgency="crisis",
    )  # fmt: skip
    child.assigned_workers.add(rosa)
    recommendation = approved(rosa, mona, child, home)
    return {"home": home, "child": child, "recommendation": recommendation}


def test_a_home_with_no_user_accepts_through_the_link_on_a_phone(open_page, night):
    child = night["child"]

    # --- The case worker, on her phone, sends the referral.
    worker = open_page(PHONE)
    sign_in(worker, "rosa")
    worker.goto(f"/recommendations/{night['recommendation'].pk}/")
    worker.click("text=Send referral")
    said = flash(worker)
    assert "notified" not in said
    assert said.startswith("Referral sent. Bayou Light House has no Harbor user.")
    assert "by text message to (281) 555-0142: sent" in said
    assert "by email to intake@bayoulight.example.org: sent" in said
    assert "Who was reached" in worker.inner_text("main")
    look(worker, "answer-link-01-referral-sent")
    referral = Referral.objects.get(survivor=child)

    # --- The home's night supervisor opens the text message's link: no account.
    (message,) = [m for m in LocmemBackend.outbox if m["to"] == "(281) 555-0142"]
    (url,) = re.findall(r"https?://\S+/r/[A-Za-z0-9_-]+/", message["body"])
    on_call = open_page(PHONE)
    on_call.goto(url)
    page = on_call.inner_text("main")
    assert "A referral to Bayou Light House" in page
    assert "Lupe" not in page and "Ortiz" not in page and child.case_number not in page
    assert "Rosa Vega" in page  # whom to call
    look(on_call, "answer-link-02-opened-on-a-phone")
    on_call.check("input[name=decision][value=accept]")
    on_call.fill("#id_answered_by", "James Okafor")
    on_call.fill("#id_answered_by_phone", "(281) 555-0199")
    on_call.click("button:has-text('Send the answer')")
    on_call.wait_for_selector("h1:has-text('Thank you')")
    assert "beds are held" in on_call.inner_text("main") or "bed is held" in on_call.inner_text(
        "main"
    )
    look(on_call, "answer-link-03-accepted")

    # --- Used once: the link now shows nothing.
    on_call.goto(url)
    gone = on_call.inner_text("main")
    assert "This link no longer works" in gone and "Bayou" not in gone
    look(on_call, "answer-link-04-used")

    # --- The case worker sees who answered and how, and confirms the arrival.
    worker.goto(f"/referrals/{referral.pk}/")
    main = worker.inner_text("main")
    assert "Through the home's single-use link" in main
    assert "James Okafor answered for the home" in main
    worker.click("button:has-text('Confirm the child arrived')")
    assert "Arrival confirmed" in flash(worker)
    look(worker, "answer-link-05-arrival-confirmed")
    referral.refresh_from_db()
    assert referral.status == "placed" and referral.answer_channel == "link"
