"""Mass recovery (issue 13) in a real browser, with axe on every page.

An operation recovers twelve girls at once. The supervisor places them as a group: three
sisters kept together, a recruiter kept apart from a girl she recruited. She watches the
progress bar while the plan is worked out, reads the plan and sends it to the MDT. The
MDT member, on her phone, approves it as one review; every referral goes out, re-checked,
and shows on the case worker's and the homes' pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homes.services import home_admin_grant
from placement.models import Batch, Referral
from placement.services import batch_runs, batches
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_story import flash, look
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots")


@pytest.fixture
def operation(db):
    agency = AgencyFactory(code="ks-dcf", name="Kansas DCF", state="KS")
    team = TeamFactory(agency=agency, name="KS Metro MDT")
    UserFactory(username="bob", role="supervisor", agency=agency)
    alice = UserFactory(username="alice", role="case_worker", agency=agency, team=team)
    UserFactory(username="mona", role="mdt_member", team=team)
    homes = [
        HomeFactory(
            name=name, zip_code=zip_code, licensed_beds=6, available_beds=3, staff_on_duty=3
        )
        for name, zip_code in (
            ("Lighthouse House", "66101"),
            ("Prairie Haven", "66044"),
            ("Wichita Safe Home", "67202"),
            ("Flint Hills House", "66502"),
            ("Emporia Refuge", "66801"),
        )
    ]
    hank = UserFactory(username="hank", role="home_admin")
    for home in homes:
        home_admin_grant(actor=None, user=hank, home=home)
    children = []
    for index in range(12):
        child = SurvivorFactory(
            agency=agency, team=team, case_number=f"KS-OP-{index + 1:02d}",
            first_name=f"Girl{index + 1}", last_name="Doe", created_by=alice,
        )  # fmt: skip
        child.assigned_workers.add(alice)
        children.append(child)
    return {"children": children, "homes": homes}


def test_a_supervisor_places_twelve_children_and_the_mdt_approves_on_a_phone(
    open_page, operation, monkeypatch
):
    children = operation["children"]
    sisters, (recruiter, recruited) = children[:3], (children[5], children[6])
    # The plan's job is run by the test, so the page meets it still planning (in the test
    # suite a queued task would otherwise run inline, before the page loads).
    queued = []
    monkeypatch.setattr(batches, "batch_queue", queued.append)
    SHOTS.mkdir(exist_ok=True)

    # --- 1. The supervisor picks the twelve, the sisters as one group, the pair apart.
    page = open_page(DESKTOP)
    sign_in(page, "bob")
    page.click("text=Place a group of children")
    page.wait_for_selector("h1:has-text('Place a group of children')")
    look(page, "batch-01-place-a-group")
    for child in children:
        page.check(f"#pick_{child.pk}")
    for sister in sisters:
        page.fill(f"#id_group_{sister.pk}", "Ortiz sisters")
    page.fill("#id_keep_apart", f"{recruiter.case_number}, {recruited.case_number}")
    page.fill("#id_time_limit_seconds", "20")
    page.click("button:has-text('Make a plan')")

    # --- 2. The progress bar, updated by polling, with a Cancel button.
    bar = page.locator("progress#batch-bar")
    bar.wait_for()
    batch = Batch.objects.get()
    assert [b.pk for b in queued] == [batch.pk]
    assert batch.keep_together == [[s.pk for s in sisters]]
    assert batch.keep_apart == [[recruiter.pk, recruited.pk]]
    assert page.locator("#batch-progress[hx-trigger='every 1s']").count() == 1
    assert page.locator("button:has-text('Cancel')").is_visible()
    look(page, "batch-02-progress")
    Batch.objects.filter(pk=batch.pk).update(progress=40, progress_note="Finding homes: 5 of 12")
    page.wait_for_selector("progress#batch-bar[value='40']")
    assert "Finding homes: 5 of 12" in page.inner_text("#batch-progress")

    # --- 3. The plan: the worker's job finishes; the page shows it and stops polling.
    batch_runs.batch_run(batch_id=batch.pk)
    page.wait_for_selector("button:has-text('Send to MDT')")
    assert page.locator("[hx-trigger]").count() == 0
    batch.refresh_from_db()
    assert (batch.status, batch.placed_count, batch.optimal) == ("done", 12, True)
    homes = dict(batch.assignments.values_list("survivor_id", "home_id"))
    assert len({homes[s.pk] for s in sisters}) == 1
    assert homes[recruiter.pk] != homes[recruited.pk]
    plan = page.inner_text("section[aria-labelledby=plan-h]")
    assert "12 of 12 children placed" in plan and "Optimal" in plan
    assert all(child.case_number in plan for child in children)
    assert page.locator("li.plan-line").count() == 12
    look(page, "batch-03-plan")
    page.screenshot(path=str(SHOTS / "batch-plan.png"), full_page=True)
    page.click("button:has-text('Send to MDT')")
    page.wait_for_selector(".messages")
    assert flash(page) == "Sent to the MDT as one review: the team is notified."

    # --- 4. The MDT member, on her phone, approves the whole plan at once.
    mdt = open_page(PHONE)
    sign_in(mdt, "mona")
    mdt.click(f"text=Group plan {batch.pk}: 12 children")
    mdt.wait_for_selector("h1:has-text('MDT review')")
    review = mdt.inner_text("main")
    assert all(child.case_number in review for child in children)
    assert all(child.first_name not in review for child in children)  # need to know
    assert "Approve the plan" in review and "Also fit" in review
    look(mdt, "batch-04-mdt-review")
    mdt.screenshot(path=str(SHOTS / "batch-mdt-review.png"), full_page=True)
    assert mdt.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    mdt.fill("#id_comment", "Siblings together, the pair apart: approved.")
    mdt.click("button:has-text('Approve the plan')")
    mdt.wait_for_selector(".messages")
    assert flash(mdt) == "Your review of the whole plan is recorded."
    assert mdt.locator("p.outcome:has-text('Referred')").count() == 12
    look(mdt, "batch-05-mdt-approved")

    # --- 5. The referrals went out, each re-checked, and show where people look.
    assert Referral.objects.filter(status=Referral.Status.PENDING).count() == 12
    worker = open_page(PHONE)
    sign_in(worker, "alice")
    waiting = worker.inner_text("section[aria-labelledby=await-h]")
    assert all(child.case_number in waiting for child in children)
    look(worker, "batch-06-case-worker-referrals")
    home = open_page(PHONE)
    sign_in(home, "hank")
    answer = home.locator("section[aria-labelledby=answer-h] li")
    assert answer.count() == 12
    home.click("section[aria-labelledby=answer-h] li >> nth=0 >> a")
    home.wait_for_selector("h1")
    look(home, "batch-07-home-referral")
