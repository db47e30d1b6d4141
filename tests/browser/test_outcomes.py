"""Placement outcomes in a real browser, with axe: a case worker on her phone records a
30-day follow-up the beat reminded her of; the MDT member reads a home's stability
beside a recommendation, and "few placements" when there are too few to judge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from placement.models import Placement
from placement.services.outcomes import follow_ups_create_due
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_story import flash, look
from tests.factories import HomeFactory
from tests.placement.helpers import placed, recommend
from tests.placement.test_outcomes import placements_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_case_worker_records_a_follow_up_on_her_phone(
    open_page, alice, mdt, home_admin, survivor, home
):
    placement = placed(alice, mdt, home_admin, survivor, home)
    Placement.objects.filter(pk=placement.pk).update(started_at=timezone.now() - timedelta(days=32))
    follow_ups_create_due()
    page = open_page(PHONE)
    sign_in(page, "alice")

    page.goto("/")
    assert "Follow-ups due (1)" in page.locator("#follow-ups-due-h").inner_text()
    look(page, "outcomes-dashboard")
    page.click(f"text=Case {survivor.case_number} at Lighthouse House")
    look(page, "outcomes-survivor")
    page.get_by_label("30-day outcome at Lighthouse House").select_option("stable")
    page.get_by_role("button", name="Record the 30-day outcome").click()
    page.wait_for_load_state()

    assert flash(page) == "30-day follow-up recorded: stable."
    assert "Stable, recorded" in page.locator("#follow-ups-h ~ div table").inner_text()
    look(page, "outcomes-recorded")


def test_the_mdt_reads_a_homes_stability_and_few_placements(
    open_page, alice, mdt, survivor, home, team
):
    other_home = HomeFactory(name="Prairie Haven", zip_code="66044")
    placements_at(home, ["stable"] * 9 + ["runaway", "disrupted"], alice, team)
    placements_at(other_home, ["stable"] * 3, alice, team)
    full = recommend(alice, survivor, home)
    page = open_page()
    sign_in(page, "mona")

    page.goto(f"/recommendations/{full.pk}/")
    text = page.locator(".stability").inner_text()
    assert "82 % of 11 placements stable or moved as planned; 1 ran away; 1 disrupted" in text
    look(page, "outcomes-stability")

    few = recommend(alice, survivor, other_home)
    page.goto(f"/recommendations/{few.pk}/?print=1")
    text = page.locator(".stability").inner_text()
    assert "Few placements (fewer than 11): not enough to judge." in text
    assert "3" not in text
    look(page, "outcomes-stability-few-packet")
