"""The law around a placement (issue 26) in a real browser at phone width, with axe.

At night a case worker records a Native girl, a sex-trafficking victim, whose tribe is
not known yet: the report to law enforcement appears with its 24-hour clock. The next
morning the tribe is named: the tribe's notice appears and the search puts the home the
tribe approved, 73 miles away, above the generic home 6 miles away. She is placed there,
runs away and comes back; the NCMEC report was never recorded, and her supervisor sees
it overdue on his home page.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from homes.services import home_admin_grant
from placement.models import Duty
from placement.services import duties_chase
from survivors.models import Survivor
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_story import flash, look
from tests.factories import HomeFactory, UserFactory
from tests.placement.helpers import placed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIBE = "Cherokee Nation"


def test_it_keeps_the_clocks_and_icwas_order_for_a_native_girl(open_page, alice, bob, mdt):
    HomeFactory(
        name="Near Foster", home_type="specialized_foster", zip_code="66106", intake_24_7=True
    )
    tribal = HomeFactory(
        name="Tribal Home", home_type="foster", zip_code="66523", intake_24_7=True,
        icwa_category="tribe_approved", approving_tribes=[TRIBE],
    )  # fmt: skip
    page = open_page(PHONE)
    sign_in(page, "alice")

    # 2 a.m.: the intake, tribe unknown, trafficking type sex.
    page.goto("/survivors/new/")
    page.fill("#id_estimated_age", "15")
    page.select_option("#id_gender", "female")
    page.select_option("#id_guardianship", "state")
    page.select_option("#id_custody_state", "KS")
    page.fill("#id_residence_zip", "66101")
    page.select_option("#id_indian_child", "unknown")
    page.select_option("#id_trafficking_type", "sex")
    look(page, "law-intake")
    page.click("button.primary[type=submit]")
    page.wait_for_load_state()
    assert "Intake saved" in flash(page)
    survivor = Survivor.objects.get()
    duties = page.locator("#duties").inner_text()
    assert "Report to law enforcement" in duties and "due" in duties
    look(page, "law-case-night")

    page.goto(f"/survivors/{survivor.pk}/search/")
    assert page.locator("ol.homes h3").first.inner_text() == "Near Foster"

    # The next morning: the tribe is named.
    page.goto(f"/survivors/{survivor.pk}/edit/")
    page.select_option("#id_indian_child", "yes")
    page.fill("#id_tribes", TRIBE)
    page.click("button.primary[type=submit]")
    page.wait_for_load_state()
    assert "Notify the child's tribe" in page.locator("#duties").inner_text()
    page.goto(f"/survivors/{survivor.pk}/search/")
    assert page.locator("ol.homes h3").first.inner_text() == "Tribal Home"
    assert "ICWA preference 2" in page.locator("ol.homes li").first.inner_text()
    assert "ICWA applies" in page.content()
    look(page, "law-search-icwa")

    # Placed at the tribe's home; she runs away and comes back.
    hank = UserFactory(username="hank", role="home_admin")
    home_admin_grant(actor=None, user=hank, home=tribal)
    placed(alice, mdt, hank, survivor, tribal)
    page.goto(f"/survivors/{survivor.pk}/")
    page.click("details.missing summary")
    page.check("#id_confirm")
    page.click("details.missing button[type=submit]")
    page.wait_for_load_state()
    assert "Reported missing" in flash(page)
    assert "Missing: report to NCMEC" in page.locator("#duties").inner_text()
    look(page, "law-case-missing")
    page.fill("#id_found_at", "Greyhound station, Kansas City")
    page.click("details.returned button[type=submit]")
    page.wait_for_load_state()
    assert "Her return is recorded" in flash(page)
    assert "Screen for trafficking on return" in page.locator("#duties").inner_text()

    # The NCMEC report's 24 hours pass unrecorded: the supervisor is told and sees it.
    ncmec = Duty.objects.get(kind="missing_report_ncmec")
    Duty.objects.filter(pk=ncmec.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    assert duties_chase()["escalated"] >= 1
    boss = open_page(PHONE)
    sign_in(boss, "bob")
    duties_card = boss.locator("section.duties").inner_text()
    assert "Overdue" in duties_card and "Missing: report to NCMEC" in duties_card
    assert duties_card.index("Missing: report to NCMEC") < duties_card.index("Notify")
    look(boss, "law-supervisor")
