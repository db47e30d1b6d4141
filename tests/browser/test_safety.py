"""Safety across cases and the MDT packet in a real browser, at 375 px, axe on each page.

A case worker on her phone keeps a recruiter and the girl she recruited apart; once the
recruiter is referred to a home, the recruit's own search does not offer it. The MDT
packet of a typical case prints on two pages, each with the case number.
"""

from __future__ import annotations

import io

import pytest

from homes.services import home_admin_grant
from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.browser.test_story import flash, look
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory
from tests.placement.helpers import recommend, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ring(db):
    """Two girls recovered from one ring, both alice's cases, and two homes that take them."""
    agency = AgencyFactory(code="ks-dcf", name="Kansas DCF", state="KS")
    team = TeamFactory(agency=agency, name="KS Metro MDT")
    alice = UserFactory(username="alice", role="case_worker", agency=agency, team=team)
    mona = UserFactory(username="mona", role="mdt_member", team=team)
    homes = [
        HomeFactory(
            name=name,
            zip_code=zip_code,
            genders_served=["female"],
            intake_24_7=True,
            licensed_beds=6,
            available_beds=3,
            staff_on_duty=3,
            services=["trauma_therapy"],
        )  # fmt: skip
        for name, zip_code in (("Lighthouse House", "66101"), ("Prairie Haven", "66044"))
    ]
    hank = UserFactory(username="hank", role="home_admin")
    for home in homes:
        home_admin_grant(actor=None, user=hank, home=home)
    girls = {}
    for case_number, alias in (("KS-RING-1", "Recruiter"), ("KS-RING-2", "Girl in blue")):
        child = SurvivorFactory(
            agency=agency, team=team, case_number=case_number, alias=alias, created_by=alice
        )
        child.assigned_workers.add(alice)
        girls[alias] = child
    return {"alice": alice, "mona": mona, "homes": homes, **girls}


def test_a_recruiter_and_her_recruit_are_kept_apart_across_their_cases(open_page, ring):
    recruiter, recruit = ring["Recruiter"], ring["Girl in blue"]
    lighthouse = ring["homes"][0]
    page = open_page(PHONE)
    sign_in(page, "alice")
    page.goto(f"/survivors/{recruit.pk}/")
    look(page, "safety-01-case-page")
    if not page.locator("#id_case_number").is_visible():
        page.click("text=Keep her apart from another child")
    page.fill("#id_case_number", "KS-RING-1")
    page.fill("#id_reason", "She recruited her at the bus station.")
    page.click("button:has-text('Keep apart')")
    assert "Kept apart" in flash(page)
    links = page.inner_text("section[aria-labelledby=keep-apart-h]")
    assert "Case KS-RING-1" in links and "She recruited her" in links
    look(page, "safety-02-kept-apart")

    # Before: both homes are offered to the recruit.
    page.click("text=Search placements")
    page.wait_for_selector("#results .home")
    assert "Lighthouse House" in page.locator("#results .home h3").all_inner_texts()

    # The recruiter is referred to Lighthouse House (her own case, the usual workflow).
    referred(ring["alice"], ring["mona"], recruiter, lighthouse)

    # After: the recruit's search does not offer it, anywhere on the page (not as a near
    # miss, a call tonight or a contact either).
    page.goto(f"/survivors/{recruit.pk}/search/")
    page.wait_for_selector("#results .home")
    assert page.locator("#results .home h3").all_inner_texts() == ["Prairie Haven"]
    assert "Lighthouse House" not in page.inner_text("#results")
    look(page, "safety-03-recruit-search")
    # Nor can it be proposed for her behind the page's back.
    with pytest.raises(Exception, match="kept apart"):
        recommend(ring["alice"], recruit, lighthouse)


def test_the_mdt_packet_prints_on_two_pages_with_the_case_number_on_each(open_page, ring):
    from pypdf import PdfReader

    from placement.services import review_create

    child = ring["Girl in blue"]
    rationale = (
        "Closest trauma-informed home with a crisis bed tonight. Staff speak Spanish and the "
        "home has taken two girls from this ring before without incident. School on site."
    )
    recommendation = recommend(ring["alice"], child, ring["homes"][0], rationale=rationale)
    other = UserFactory(username="mo", role="mdt_member", team=ring["mona"].team)
    review_create(
        actor=other,
        recommendation_id=recommendation.pk,
        decision="approve",
        comment="Good fit; the ring's other girls are elsewhere.",
    )
    page = open_page(PHONE)
    sign_in(page, "mona")
    page.goto(f"/recommendations/{recommendation.pk}/?print=1")
    pdf = page.pdf(format="A4")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "mdt-packet-typical.pdf").write_bytes(pdf)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) <= 2, [len(text) for text in pages]
    assert all("KS-RING-2" in text for text in pages)
    # No page is almost empty: a second page holds more than the signature line.
    assert len(pages) == 1 or all(len(text) > 300 for text in pages), [len(t) for t in pages]
    assert "signature" in pages[-1]
