from __future__ import annotations

import time

import pytest

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, axe_serious, screenshot, sign_in
from tests.factories import HomeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def homes(db):
    HomeFactory(name="Lighthouse House", zip_code="66101", home_type="crisis_stabilization",
                intake_24_7=True, genders_served=["female"])  # fmt: skip
    HomeFactory(name="Cedar Place", state="MO", zip_code="64108", genders_served=["female"])
    HomeFactory(name="Boys Haven", zip_code="66044", genders_served=["male"])


def test_it_gets_from_sign_in_to_a_ranked_shortlist_quickly(open_page, alice, homes):
    page = open_page(DESKTOP)
    loads = []
    page.on("load", lambda: loads.append(page.url))
    started = time.perf_counter()
    sign_in(page, "alice", next_url="/search/")
    page.fill("#id_age", "15")
    page.select_option("#id_custody_state", "KS")
    page.fill("#id_residence_zip", "66101")
    page.select_option("#id_urgency", "planned")
    page.click("button.primary")
    page.wait_for_selector("#results .home")
    elapsed = time.perf_counter() - started

    names = page.locator("#results .home h3").all_inner_texts()
    assert names == ["Lighthouse House"]
    assert "Gender" in page.locator(".misses").inner_text()  # Boys Haven, and why not
    assert "State line / ICPC" in page.locator(".misses").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "time-to-shortlist.txt").write_text(
        f"{elapsed:.2f} s from the sign-in page to a ranked shortlist, {len(loads)} page loads\n"
    )
    print(f"\ntime to shortlist: {elapsed:.2f} s, {len(loads)} page loads")
    assert len(loads) <= 3
    screenshot(page, "search-desktop")
    assert axe_serious(page, "what-if-search") == []


def test_it_shows_a_readable_search_on_a_phone(open_page, alice, homes):
    page = open_page(PHONE)
    sign_in(page, "alice", next_url="/search/")
    page.fill("#id_age", "15")
    page.select_option("#id_custody_state", "KS")
    page.fill("#id_residence_zip", "66101")
    page.click("button.primary")
    page.wait_for_selector("#results .home")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "no sideways scrolling on a phone"
    screenshot(page, "search-phone")


def test_it_names_what_is_wrong_in_the_search_form(open_page, alice, homes):
    page = open_page(DESKTOP)
    sign_in(page, "alice", next_url="/search/")
    page.fill("#id_residence_zip", "00000")
    page.click("button.primary")
    alert = page.locator("#results [role=alert]")
    alert.wait_for()
    assert "ZIP code 00000 does not exist." in alert.inner_text()
    assert "Custody state: This field is required." in alert.inner_text()


def test_it_signs_in_and_out_accessibly(open_page, alice):
    page = open_page(PHONE)
    page.goto("/login/")
    screenshot(page, "login-phone")
    assert axe_serious(page, "login") == []
    sign_in(page, "alice", password="wrong-password")
    assert "Please enter a correct username and password" in page.content()
    sign_in(page, "alice")
    assert page.url.endswith("/")
    assert axe_serious(page, "dashboard-case-worker") == []
    page.click("text=Sign out")
    page.wait_for_url("**/login/")
