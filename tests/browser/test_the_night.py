"""The night as it happens (issue 25), end to end, every page on a phone at 375 px.

A Houston case worker, Rosa, on her phone:

1. Lupe is found at 2 a.m. The only home that fits, Bayou Light House, has no Harbor
   user. Rosa proposes it and refers at once under a crisis override; the home's on-call
   supervisor answers "yes" through the single-use link texted to the intake phone; Rosa
   confirms the arrival; the MDT member reviews the override after the fact.
2. Mia slept at the youth shelter (an interim stay); Lighthouse House, full all night,
   opens two beds; Rosa hears of it, the MDT approves the move, the home accepts, and
   Mia's arrival is a transfer that ends the interim stay.
3. Mia's recruiter, Tess, is in Harbor too: Rosa keeps them apart, and Tess's own search
   no longer offers the home where Mia now sleeps.
4. In the morning the supervisor on call hands Tess's case to Carol, the day worker,
   with a note Carol reads on her phone.

Every page: axe finds nothing serious and nothing scrolls sideways. The night's page
loads and taps (clicks, ticks, choices, submits) are counted and printed; the phone
screenshots of each step go to /work/notes/shots-night/ to be looked at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homes.services import home_admin_grant
from notifications.sms import LocmemBackend
from placement.models import Placement, Recommendation, Referral
from tests.browser.conftest import PHONE, axe_serious, sign_in
from tests.browser.test_story import flash
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory
from tests.placement.helpers import accepted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/notes/shots-night")

# Who takes a teenage girl in crisis, in general.
TAKES_HER = {
    "state": "TX", "genders_served": ["female"], "min_age": 12, "max_age": 17,
    "intake_24_7": True, "accepts_state_wards": True, "accepts_parent_placements": True,
}  # fmt: skip


class Night:
    """The night's page loads and taps across every phone in it, and its screenshots."""

    def __init__(self) -> None:
        self.loads = 0
        self.taps = 0
        self.shots: list[str] = []

    def phone(self, open_page):
        page = open_page(PHONE)
        page.on("load", lambda: setattr(self, "loads", self.loads + 1))
        return page

    def sign_in(self, page, username: str) -> None:
        sign_in(page, username)
        self.taps += 1  # the sign-in button

    def tap(self, page, selector: str) -> None:
        self.taps += 1
        page.click(selector)

    def tick(self, page, selector: str) -> None:
        self.taps += 1
        page.check(selector)

    def choose(self, page, selector: str, value: str) -> None:
        self.taps += 1
        page.select_option(selector, value)

    def look(self, page, name: str) -> None:
        """A phone screenshot of the step; nothing scrolls sideways; axe nothing serious."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = f"{len(self.shots) + 1:02d}-{name}"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        self.shots.append(name)
        wide, seen = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide <= seen, (name, wide, seen)
        assert axe_serious(page, f"the-night-{name}") == [], name


def on_the_first_screen(page, selector: str) -> None:
    """The step's action begins on the phone's first screen: not nine screens down."""
    box = page.locator(selector).bounding_box()
    assert box is not None and box["y"] < PHONE["height"], (selector, box)


@pytest.fixture
def houston(db, settings, live_server):
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    settings.SITE_URL = live_server.url
    LocmemBackend.outbox.clear()
    agency = AgencyFactory(code="tx-dfps", name="Texas DFPS", state="TX")
    team = TeamFactory(agency=agency, name="Harris County MDT")
    rosa = UserFactory(
        username="rosa", first_name="Rosa", last_name="Vega", role="case_worker",
        agency=agency, team=team, phone="(713) 555-0100",
    )  # fmt: skip
    UserFactory(
        username="carol", first_name="Carol", last_name="Diaz", role="case_worker",
        agency=agency, team=team,
    )  # fmt: skip
    UserFactory(username="bianca", role="supervisor", agency=agency, first_name="Bianca")
    mona = UserFactory(username="mona", role="mdt_member", team=team)
    bayou = HomeFactory(
        name="Bayou Light House", home_type="safe_home", zip_code="77471", licensed_beds=6,
        available_beds=1, staff_on_duty=2, residents_per_staff=3,
        intake_phone="(281) 555-0142", intake_email="intake@bayoulight.example.org",
        contact_name="James Okafor", **TAKES_HER,
    )  # no Harbor user: it answers through the link  # fmt: skip
    shelter = HomeFactory(
        name="Harris County Youth Shelter", home_type="emergency_shelter", zip_code="77379",
        licensed_beds=12, available_beds=4, staff_on_duty=4, residents_per_staff=4,
        intake_phone="(832) 555-0199", **TAKES_HER,
    )  # fmt: skip
    lighthouse = HomeFactory(
        name="Lighthouse House", home_type="safe_home", zip_code="77530", licensed_beds=6,
        available_beds=0, staff_on_duty=3, residents_per_staff=3,
        intake_phone="(281) 555-0166", **TAKES_HER,
    )  # full tonight  # fmt: skip
    sam = UserFactory(username="sam", role="home_admin")
    home_admin_grant(actor=None, user=sam, home=shelter)
    hank = UserFactory(username="hank", role="home_admin")
    home_admin_grant(actor=None, user=hank, home=lighthouse)
    children = {}
    for case_number, first, alias in (
        ("TX-NIGHT-1", "Lupe", "Greyhound station, 2 a.m."),
        ("TX-NIGHT-2", "Mia", "Girl in blue"),
        ("TX-NIGHT-3", "Tess", "The recruiter"),
    ):
        child = SurvivorFactory(
            agency=agency, team=team, case_number=case_number, first_name=first,
            last_name="Doe", alias=alias, custody_state="TX", residence_zip="77002",
            urgency="crisis", created_by=rosa,
        )  # fmt: skip
        child.assigned_workers.add(rosa)
        children[first] = child
    # Earlier in the evening the shelter said yes to Mia: her beds are held there.
    mia_at_the_shelter = accepted(rosa, mona, sam, children["Mia"], shelter)
    return {
        "homes": {"bayou": bayou, "shelter": shelter, "lighthouse": lighthouse},
        "mia_at_the_shelter": mia_at_the_shelter,
        **children,
    }


def test_the_night_as_it_happens_on_a_phone(open_page, houston):
    lupe, mia, tess = houston["Lupe"], houston["Mia"], houston["Tess"]
    bayou, lighthouse = houston["homes"]["bayou"], houston["homes"]["lighthouse"]
    night = Night()

    # --- 1. Lupe: a crisis override to a home with no Harbor user, answered by link.
    rosa = night.phone(open_page)
    night.sign_in(rosa, "rosa")
    night.look(rosa, "rosa-home")
    night.tap(rosa, f"a:text-is('{lupe.case_number}')")
    rosa.wait_for_selector(f"h1:has-text('Case {lupe.case_number}')")
    night.look(rosa, "lupe-case")
    night.tap(rosa, "text=Search placements")
    rosa.wait_for_selector("#results .home")
    night.look(rosa, "lupe-search")
    night.tick(rosa, f"#home-{bayou.pk} input[name=homes]")
    rosa.fill("#id_rationale", "The only safe home with a bed tonight.")
    night.tap(rosa, "text=Propose ticked homes")
    assert flash(rosa).startswith("Proposed to the MDT: Bayou Light House.")
    night.tap(rosa, "#history-h ~ ul a:has-text('Bayou Light House')")
    rosa.wait_for_selector("text=Refer now under crisis override")
    on_the_first_screen(rosa, "#refer-h")  # the form begins on the first screen
    night.look(rosa, "lupe-recommendation")
    rosa.fill("#id_justification", "Found at the bus station at 2 a.m.; nowhere safe tonight.")
    night.tap(rosa, "text=Refer now under crisis override")
    said = flash(rosa)
    assert "notified" not in said and "has no Harbor user" in said
    assert "by text message to (281) 555-0142: sent" in said
    night.look(rosa, "lupe-referred")
    referral = Referral.objects.get(survivor=lupe)
    assert referral.crisis_override and referral.home == bayou

    # The home's on-call supervisor opens the text message's link on her phone.
    (text,) = [m for m in LocmemBackend.outbox if m["to"] == "(281) 555-0142"]
    (url,) = re.findall(r"https?://\S+/r/[A-Za-z0-9_-]+/", text["body"])
    on_call = night.phone(open_page)
    on_call.goto(url)
    page = on_call.inner_text("main")
    assert "A referral to Bayou Light House" in page and "Lupe" not in page
    night.look(on_call, "bayou-link-opened")
    night.tick(on_call, "input[name=decision][value=accept]")
    on_call.fill("#id_answered_by", "James Okafor")
    on_call.fill("#id_answered_by_phone", "(281) 555-0199")
    night.tap(on_call, "button:has-text('Send the answer')")
    on_call.wait_for_selector("h1:has-text('Thank you')")
    night.look(on_call, "bayou-accepted")
    on_call.goto(url)
    assert "This link no longer works" in on_call.inner_text("main")

    # Rosa hears of the answer (her home page) and confirms the arrival.
    rosa.goto("/")
    night.tap(rosa, f"text=Case {lupe.case_number} at Bayou Light House")
    assert "Through the home's single-use link" in rosa.inner_text("main")
    on_the_first_screen(rosa, "#act-h")  # what happens next, confirm the arrival first
    night.look(rosa, "lupe-held-at-bayou")
    night.tap(rosa, "button:has-text('Confirm the child arrived')")
    assert "Arrival confirmed" in flash(rosa)
    night.look(rosa, "lupe-arrived")

    # The MDT member reviews the override after the fact; the arrival did not withdraw it.
    mona = night.phone(open_page)
    night.sign_in(mona, "mona")
    assert "review after placement" in mona.inner_text("ol.queue")
    night.look(mona, "mona-queue")
    night.tap(mona, f"text=Case {lupe.case_number} → Bayou Light House")
    assert "Review after placement:" in mona.inner_text("main")
    assert "Lupe" not in mona.inner_text("main")  # need to know
    night.look(mona, "mona-review-after-placement")
    mona.fill("#id_comment", "The right call for that night.")
    night.tap(mona, "button:has-text('Approve')")
    assert "Your review is recorded" in flash(mona)
    assert referral.recommendation.__class__.objects.get(pk=referral.recommendation_id).status == (
        Recommendation.Status.APPROVED
    )

    # --- 2. Mia: the shelter as an interim stay, a bed opening, the alert, the transfer.
    hold = houston["mia_at_the_shelter"]
    rosa.goto("/")
    night.tap(rosa, f"text=Case {mia.case_number} at Harris County Youth Shelter")
    night.tap(rosa, "button:has-text('Confirm the child arrived')")
    assert "Arrival confirmed" in flash(rosa)
    rosa.goto(f"/survivors/{mia.pk}/")
    assert "Interim stay" in rosa.inner_text("main")
    night.look(rosa, "mia-interim-stay")
    stay = Placement.objects.get(referral=hold)
    assert stay.interim

    hank = night.phone(open_page)
    night.sign_in(hank, "hank")
    night.tap(hank, "text=Lighthouse House")
    hank.wait_for_selector("#beds-h")
    night.tap(hank, "button[aria-label='2 free beds']")
    hank.wait_for_selector("button[aria-label='2 free beds'][aria-pressed=true]")
    night.look(hank, "lighthouse-two-beds")

    rosa.goto("/")
    alerts = rosa.inner_text("#beds-h + ul")
    assert "(in an interim stay at Harris County Youth Shelter)" in alerts
    assert "Lighthouse House" in alerts
    night.look(rosa, "rosa-bed-alert")
    night.tap(rosa, "#beds-h + ul a:has-text('Search placements for this child')")
    rosa.wait_for_selector(f"#home-{lighthouse.pk}")
    night.tick(rosa, f"#home-{lighthouse.pk} input[name=homes]")
    rosa.fill("#id_rationale", "A safe home for good; she has slept at the shelter.")
    night.tap(rosa, "text=Propose ticked homes")
    assert flash(rosa).startswith("Proposed to the MDT: Lighthouse House.")

    mona.goto("/")
    night.tap(mona, f"text=Case {mia.case_number} → Lighthouse House")
    mona.fill("#id_comment", "Approved: out of the shelter.")
    night.tap(mona, "button:has-text('Approve')")
    assert "Your review is recorded" in flash(mona)

    rosa.goto(f"/survivors/{mia.pk}/")
    night.tap(rosa, "#history-h ~ ul a:has-text('Lighthouse House')")
    night.tap(rosa, "text=Send referral")
    assert "Lighthouse House's Harbor user sees the referral" in flash(rosa)

    hank.goto("/")
    night.tap(hank, "text=Referral to Lighthouse House")
    night.look(hank, "lighthouse-referral")
    night.tap(hank, "text=Accept and hold 1 bed")
    hank.wait_for_selector(".messages")

    rosa.goto("/")
    night.tap(rosa, f"text=Case {mia.case_number} at Lighthouse House")
    night.tap(rosa, "button:has-text('Confirm the child arrived')")
    assert "Arrival confirmed" in flash(rosa)
    rosa.goto(f"/survivors/{mia.pk}/")
    text = rosa.inner_text("main")
    assert "At Lighthouse House since" in text and "transferred" in text
    night.look(rosa, "mia-transferred")
    stay.refresh_from_db()
    assert stay.end_reason == "transfer"

    # --- 3. Tess, who recruited Mia: kept apart, across their cases.
    rosa.goto(f"/survivors/{tess.pk}/")
    if not rosa.locator("#id_case_number").is_visible():
        night.tap(rosa, "text=Keep her apart from another child")
    rosa.fill("#id_case_number", mia.case_number)
    rosa.fill("#id_reason", "She recruited Mia at the bus station.")
    night.tap(rosa, "button:has-text('Keep apart')")
    assert "Kept apart" in flash(rosa)
    night.look(rosa, "tess-kept-apart")
    night.tap(rosa, "text=Search placements")
    rosa.wait_for_selector("#results")
    lighthouse.refresh_from_db()
    assert lighthouse.available_beds >= 1  # a bed is free there, and still not offered
    assert "Lighthouse House" not in rosa.inner_text("#results")
    night.look(rosa, "tess-search")

    # --- 4. Morning: the supervisor on call hands Tess's case to Carol.
    bianca = night.phone(open_page)
    night.sign_in(bianca, "bianca")
    night.tap(bianca, "text=On call")
    listed = bianca.locator("main h2, main h3").all_inner_texts()
    cases = [text for text in listed if text.startswith("Case TX-NIGHT-")]
    assert cases[0] == f"Case {tess.case_number}"  # still without a home: first
    night.look(bianca, "on-call")
    night.tap(bianca, f"text=Hand off case {tess.case_number}")
    night.choose(bianca, "select[name=case_worker]", "carol")
    bianca.get_by_label("Hand-off note").fill(
        "Kept apart from TX-NIGHT-2 (Mia). Call her aunt at 9."
    )
    night.tap(bianca, "button:has-text('Hand off the case')")
    assert flash(bianca) == f"Case {tess.case_number} is now carol's."
    night.look(bianca, "handed-off")
    carol = night.phone(open_page)
    night.sign_in(carol, "carol")
    night.tap(carol, f"a:text-is('{tess.case_number}')")
    assert "Call her aunt at 9" in carol.inner_text(".hand-off")
    night.look(carol, "carol-reads-the-note")

    print(f"\nthe night: {night.loads} page loads, {night.taps} taps, {len(night.shots)} shots")
