"""The whole story in a real browser, as each user sees it, with axe on every page.

A case worker records an intake, searches, proposes a home; the MDT member approves
(and prints the packet); the case worker refers; the home admin, on a phone,
accepts; the case worker confirms the arrival. A case worker from another agency
sees none of it.
"""

from __future__ import annotations

import io

import pytest

from homes.services import home_admin_grant
from placement.models import Referral
from survivors.models import Survivor
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, axe_serious, screenshot, sign_in
from tests.factories import HomeFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def flash(page) -> str:
    """The message the last action left (success or refusal), to assert on it."""
    return page.locator(".messages").inner_text()


def look(page, name: str) -> None:
    """Screenshot at desktop and phone width, and assert axe finds nothing serious."""
    viewport = page.viewport_size
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, name
    page.set_viewport_size(viewport)
    assert axe_serious(page, name) == [], name


@pytest.fixture
def world(agency, team, alice, mdt, charlie):
    lighthouse = HomeFactory(
        name="Lighthouse House", home_type="crisis_stabilization", zip_code="66101",
        genders_served=["female"], intake_24_7=True, licensed_beds=4, available_beds=2,
        services=["trauma_therapy", "education"], languages=["en", "es"],
    )  # fmt: skip
    HomeFactory(name="Prairie Group Home", home_type="group_home", zip_code="66044",
                genders_served=["female", "male"], intake_24_7=True)  # fmt: skip
    HomeFactory(name="Boys Ranch", zip_code="67202", genders_served=["male"])
    hank = UserFactory(username="hank", role="home_admin")
    home_admin_grant(actor=None, user=hank, home=lighthouse)
    return {"home": lighthouse, "hank": hank}


def test_it_carries_a_child_from_intake_to_placement(open_page, world, alice, mdt, charlie):
    # --- The case worker records the intake.
    worker = open_page(DESKTOP)
    sign_in(worker, "alice")
    look(worker, "01-dashboard-case-worker")
    worker.click("text=New intake")
    look(worker, "02-intake-form")
    worker.fill("#id_case_number", "KS-2026-0917")
    worker.fill("#id_first_name", "Lupe")
    worker.fill("#id_last_name", "Ortiz")
    worker.fill("#id_date_of_birth", "2011-03-14")
    worker.select_option("#id_gender", "female")
    worker.select_option("#id_guardianship", "state")
    worker.select_option("#id_custody_state", "KS")
    worker.fill("#id_residence_zip", "66102")
    worker.select_option("#id_urgency", "crisis")
    worker.fill("#id_primary_language", "es")
    worker.check("input[name=services_needed][value=trauma_therapy]")
    worker.fill("#id_zone-0-zip_code", "63101")
    worker.fill("#id_zone-0-radius_miles", "10")
    worker.fill("#id_notes", "Recovered at a truck stop; trafficker known as Rico.")
    worker.click("text=Save intake")
    worker.wait_for_selector("h1:has-text('KS-2026-0917')")
    assert "Lupe Ortiz" in worker.inner_text("h1")
    look(worker, "03-survivor-intake")
    survivor = Survivor.objects.get(case_number="KS-2026-0917")

    # --- Searches and proposes the best home.
    worker.click("text=Search placements")
    worker.wait_for_selector("#results .home")
    ranked = worker.locator("#results .home h3").all_inner_texts()
    assert ranked[0] == "Lighthouse House"
    assert "Boys Ranch" not in ranked
    look(worker, "04-survivor-search")
    worker.locator("#results .home").first.locator("input[name=homes]").check()
    worker.fill("#id_rationale", "Crisis bed with trauma therapy and Spanish speakers.")
    worker.click("text=Propose ticked homes")
    assert "Proposed to the MDT" in flash(worker)
    assert "Pending MDT review" in worker.content()

    # --- The MDT member reviews what the worker saw, and prints the packet.
    member = open_page(DESKTOP)
    sign_in(member, "mona")
    assert "Reviews waiting for you (1)" in member.content()
    look(member, "05-dashboard-mdt")
    member.click("text=Case KS-2026-0917 → Lighthouse House")
    member.wait_for_selector("text=What the case worker saw")
    page_text = member.inner_text("main")
    assert "ranked #1" in page_text and "Crisis bed with trauma therapy" in page_text
    assert "Rico" not in page_text and "63101" not in page_text  # need to know
    look(member, "06-mdt-review")
    member.goto(member.url + "?print=1")
    pdf = member.pdf(format="A4")
    (ARTIFACTS / "mdt-packet.pdf").write_bytes(pdf)
    from pypdf import PdfReader

    packet = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "MDT review packet" in packet and "KS-2026-0917" in packet
    assert "Lighthouse House" in packet and "Score breakdown" in packet
    assert "Confidential" in packet
    member.go_back()
    member.fill("#id_comment", "Good fit; staff secure enough.")
    member.click("button:has-text('Approve')")
    assert "Your review is recorded" in flash(member)
    assert "Approved" in member.inner_text(".lead")

    # --- The case worker refers.
    worker.goto(f"/survivors/{survivor.pk}/")
    worker.click("text=Lighthouse House")
    worker.click("text=Send referral")
    assert "Referral sent" in flash(worker)
    assert "Waiting for the home" in worker.content()
    look(worker, "07-referral-case-worker")

    # --- The home admin, on a phone, accepts without seeing who the child is first.
    home = open_page(PHONE)
    sign_in(home, "hank")
    assert "Referrals to answer (1)" in home.content()
    look(home, "08-dashboard-home-admin")
    home.click("text=Referral to Lighthouse House")
    before = home.inner_text("main")
    assert "Lupe" not in before and "Ortiz" not in before and "KS-2026-0917" not in before
    assert "Rico" not in before
    assert "Trauma therapy" in before and "alice@example.org" in before
    look(home, "09-referral-home-admin")
    home.click("text=Accept and hold 1 bed")
    assert "Accepted: the beds are held" in flash(home)
    assert "Lupe Ortiz" in home.inner_text("main")
    world["home"].refresh_from_db()
    assert (world["home"].available_beds, world["home"].beds_held) == (1, 1)
    home.goto(f"/homes/{world['home'].pk}/manage/")
    look(home, "10-home-admin-beds")

    # --- The case worker confirms the arrival.
    worker.goto("/")
    assert "Beds held: confirm arrival" in worker.content()
    worker.click("text=Case KS-2026-0917 at Lighthouse House")
    worker.click("text=Confirm the child arrived")
    assert "Arrival confirmed" in flash(worker)
    worker.goto(f"/survivors/{survivor.pk}/")
    assert "Placed" in worker.inner_text(".lead")
    look(worker, "11-survivor-placed")
    worker.goto("/notifications/")
    look(worker, "12-notifications")
    assert Referral.objects.get(survivor=survivor).status == "placed"

    # --- Someone from another agency sees none of it.
    outsider = open_page(DESKTOP)
    sign_in(outsider, "charlie")
    assert "KS-2026-0917" not in outsider.content()
    for url in (f"/survivors/{survivor.pk}/", f"/referrals/{Referral.objects.get().pk}/"):
        response = outsider.goto(url)
        assert response.status == 404, url
        assert "Lupe" not in outsider.content()
