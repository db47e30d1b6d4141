"""A group at night (issue 25, item 7) on a phone at 375 px, in a real browser with axe.

A raid recovers four children at 1 a.m.: two sisters, a girl alone, and a boy. The plan
places the girl; no home takes the sisters together; no home takes a boy. The case
worker, on her phone, refers the girl now under a crisis override (the MDT reviews
after), records the decision to place the sisters apart (a new plan, which places them),
refers the new plan's children now too (the girl's line says she is referred already),
and waitlists the boy in one tap. No page scrolls sideways; axe finds nothing serious.
"""

from __future__ import annotations

import pytest

from placement.models import Batch, Referral, WaitlistEntry
from placement.services.batch_runs import batch_run
from placement.services.batches import batch_create
from tests.browser.conftest import PHONE, axe_serious, screenshot, sign_in
from tests.browser.test_story import flash
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def look(page, name: str) -> None:
    screenshot(page, f"batch-night-{name}-phone")
    wide, seen = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide <= seen, (name, wide, seen)
    assert axe_serious(page, f"batch-night-{name}") == [], name


@pytest.fixture
def raid(db):
    agency = AgencyFactory(code="tx-dfps", name="Texas DFPS", state="TX")
    team = TeamFactory(agency=agency, name="Harris County MDT")
    rosa = UserFactory(username="rosa", role="case_worker", agency=agency, team=team)
    UserFactory(username="mona", role="mdt_member", team=team)
    for name, zip_code in (
        ("Bayou Light House", "77471"),
        ("Lighthouse House", "77530"),
        ("Cypress Safe Home", "77429"),
    ):
        HomeFactory(
            name=name, state="TX", zip_code=zip_code, licensed_beds=4, available_beds=1,
            staff_on_duty=2, residents_per_staff=3, genders_served=["female"],
            intake_24_7=True, accepts_state_wards=True, accepts_parent_placements=True,
        )  # one bed each: no home takes the two sisters together  # fmt: skip
    children = {}
    for case_number, alias, gender in (
        ("TX-RAID-1", "Older sister", "female"),
        ("TX-RAID-2", "Younger sister", "female"),
        ("TX-RAID-3", "Girl alone", "female"),
        ("TX-RAID-4", "The boy", "male"),
    ):
        child = SurvivorFactory(
            agency=agency, team=team, case_number=case_number, alias=alias, gender=gender,
            custody_state="TX", residence_zip="77002", urgency="crisis", created_by=rosa,
        )  # fmt: skip
        child.assigned_workers.add(rosa)
        children[alias] = child
    sisters = [children["Older sister"].pk, children["Younger sister"].pk]
    batch = batch_create(
        actor=rosa, survivor_ids=[c.pk for c in children.values()], keep_together=[sisters]
    )
    batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and batch.placed_count == 1
    return {"batch": batch, **children}


def test_a_case_worker_places_a_group_at_night_on_her_phone(open_page, raid):
    batch, girl, boy = raid["batch"], raid["Girl alone"], raid["The boy"]
    page = open_page(PHONE)
    sign_in(page, "rosa")
    page.goto(f"/batches/{batch.pk}/")
    page.wait_for_selector("#crisis-h")
    text = page.inner_text("main")
    assert "No home takes TX-RAID-1, TX-RAID-2 together" in text
    assert "Waitlist the 3 unplaced children" in text
    look(page, "01-plan")

    # Refer the girl now: the MDT reviews the plan after the fact.
    page.fill("#id_justification", "Raid at 1 a.m.; the children cannot wait for the MDT.")
    page.click("button:has-text('Refer all now (crisis override)')")
    assert flash(page).startswith("Referred now under a crisis override")
    assert "Referred under a crisis override by rosa" in page.inner_text("#batch-override")
    assert Referral.objects.get(survivor=girl).crisis_override
    look(page, "02-referred-under-override")

    # The sisters: placed apart by a recorded decision, in a new plan.
    page.fill("#id_reason_1", "Sisters; no home has two beds tonight. Same town, visits daily.")
    page.click("button:has-text('Place them apart')")
    assert flash(page) == "Recorded: a new plan places the siblings apart."
    page.wait_for_selector("#batch-split")
    split = Batch.objects.get(split_from=batch)
    assert "Siblings placed apart by a recorded decision" in page.inner_text("#batch-split")
    page.wait_for_selector("#crisis-h")
    look(page, "03-split-plan")
    split.refresh_from_db()
    lines = dict(split.assignments.values_list("survivor__alias", "home_id"))
    assert lines["Older sister"] and lines["Younger sister"]
    assert lines["Older sister"] != lines["Younger sister"]

    # The new plan's children referred now too; the girl's line says why not again.
    page.fill("#id_justification", "Raid at 1 a.m.; the sisters cannot wait for the MDT.")
    page.click("button:has-text('Refer all now (crisis override)')")
    assert flash(page).startswith("Referred now under a crisis override")
    sisters = [raid["Older sister"], raid["Younger sister"]]
    assert Referral.objects.filter(survivor__in=sisters, crisis_override=True).count() == 2
    assert Referral.objects.filter(survivor=girl).count() == 1  # re-checked, not twice
    look(page, "04-split-referred")

    # The boy: no home takes boys tonight; waitlisted in one tap.
    page.click("button:has-text('Waitlist the unplaced child')")
    assert flash(page) == "The unplaced children are on the waitlist (each line says so)."
    assert WaitlistEntry.objects.filter(survivor=boy, ended_at__isnull=True).exists()
    look(page, "05-boy-waitlisted")
