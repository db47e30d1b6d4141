"""The workflow pages as a worker meets them: contacts on both sides of a referral, a
status that tells the truth, the MDT queue by urgency, no one-click withdrawal or
discharge, and the home's view of the child once it accepted."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from placement.models import Placement, Referral
from placement.services import review_create
from survivors.models import Status
from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import accepted, approved, placed, recommend, referred

pytestmark = pytest.mark.postgres


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces folded: what a reader sees."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def sections(html: str) -> list[str]:
    return re.findall(r"<section\b.*?</section>", html, flags=re.S)


# --- Contacts --------------------------------------------------------------------------


def test_it_gives_the_case_worker_the_homes_number_to_tap(alice, mdt, survivor, home):
    home.intake_phone, home.contact_name = "+1 (913) 555-0142", "Maria Lopez"
    home.save(update_fields=["intake_phone", "contact_name"])
    referral = referred(alice, mdt, survivor, home)

    page = signed_in(alice).get(f"/referrals/{referral.pk}/").content.decode()

    assert '<a href="tel:+19135550142">+1 (913) 555-0142</a>' in page
    assert "ask for Maria Lopez" in text_of(page)


def test_it_says_when_a_home_has_no_number_on_file(alice, mdt, survivor, home):
    referral = referred(alice, mdt, survivor, home)
    page = signed_in(alice).get(f"/referrals/{referral.pk}/").content.decode()
    assert "No intake phone is on file for this home." in page


def test_it_gives_the_home_the_case_workers_name_agency_and_number(
    alice, mdt, home_admin, survivor, home
):
    alice.first_name, alice.last_name, alice.phone = "Alice", "Archer", "785-555-0101"
    alice.save(update_fields=["first_name", "last_name", "phone"])
    referral = referred(alice, mdt, survivor, home)

    page = signed_in(home_admin).get(f"/referrals/{referral.pk}/").content.decode()

    assert "Alice Archer" in page and "Kansas DCF" in page
    assert '<a href="tel:7855550101">785-555-0101</a>' in page


# --- What the home sees of the child ----------------------------------------------------


def test_it_shows_the_home_the_notes_once_it_accepted_as_the_api_does(
    alice, mdt, home_admin, survivor, home, api
):
    survivor.notes = "Afraid of men in uniform; sister in Wichita."
    survivor.save(update_fields=["notes"])
    referral = referred(alice, mdt, survivor, home)
    client = signed_in(home_admin)

    before = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Afraid of men" not in before and survivor.case_number not in before
    assert "Jane" not in before

    from placement.services import referral_accept

    referral_accept(actor=home_admin, referral_id=referral.pk)
    after = client.get(f"/referrals/{referral.pk}/").content.decode()
    identity = api(home_admin).get(f"/api/v1/referrals/{referral.pk}/").json()["identity"]

    assert identity["notes"] in after
    assert identity["case_number"] in after and identity["date_of_birth"] in after
    assert identity["first_name"] in after and identity["last_name"] in after


# --- Truthful status --------------------------------------------------------------------


def test_it_says_ready_to_refer_not_searching_for_an_approved_recommendation(
    alice, mdt, survivor, home
):
    """One home approved, another rejected: the stored status settles on "searching", but
    the case is ready to refer, on the case page and in the dashboard's list and counts."""
    approved(alice, mdt, survivor, home)
    rejected = recommend(alice, survivor, HomeFactory(name="Second Home"))
    review_create(actor=mdt, recommendation_id=rejected.pk, decision="reject", comment="Too far.")
    survivor.refresh_from_db()
    assert survivor.status == Status.SEARCHING

    client = signed_in(alice)
    case_page = client.get(f"/survivors/{survivor.pk}/").content.decode()
    assert "Approved: ready to refer" in case_page
    assert 'class="badge status-searching"' not in case_page

    dashboard = text_of(client.get("/").content.decode())
    assert f"{survivor.case_number} Approved: ready to refer" in dashboard
    assert "1 Approved: ready to refer" in dashboard and "0 Searching" in dashboard


def test_it_says_referred_once_the_approved_home_is_referred(alice, mdt, survivor, home):
    recommendation = approved(alice, mdt, survivor, home)
    client = signed_in(alice)
    assert "Send referral" in client.get(f"/recommendations/{recommendation.pk}/").content.decode()

    referred_ = client.post(f"/recommendations/{recommendation.pk}/refer/", follow=True)
    assert "Referral sent" in referred_.content.decode()

    page = client.get(f"/survivors/{survivor.pk}/").content.decode()
    assert "Approved: ready to refer" not in page
    assert 'class="badge status-referred"' in page
    again = client.get(f"/recommendations/{recommendation.pk}/").content.decode()
    assert "Send referral" not in again and "Refer now" not in again


# --- The MDT queue ---------------------------------------------------------------------


def test_it_queues_the_mdts_reviews_crisis_first_then_longest_waiting_with_markers(
    alice, mdt, team, agency
):
    home = HomeFactory(
        name="Haven", accepts_parenting=True, max_dependents=2, accepts_pregnant=True,
        intake_24_7=True, available_beds=3, staff_on_duty=3,
    )  # fmt: skip

    def case(number: str, **needs):
        survivor = SurvivorFactory(agency=agency, team=team, case_number=number, **needs)
        survivor.assigned_workers.add(alice)
        recommend(alice, survivor, home)

    case("KS-OLDEST")
    case("KS-MOTHER", pregnant=True, dependents=1)
    case("KS-CRISIS", urgency="crisis")

    page = signed_in(mdt).get("/").content.decode()
    queue = re.search(r'<ol class="queue">(.*?)</ol>', page, flags=re.S).group(1)
    rows = [text_of(row) for row in re.findall(r"<li>(.*?)</li>", queue, flags=re.S)]

    assert [row.split(" → ")[0].split("Case ")[1] for row in rows] == [
        "KS-CRISIS",
        "KS-OLDEST",
        "KS-MOTHER",
    ]
    assert rows[0].startswith("Crisis ")
    assert rows[2].startswith("Pregnant Own children: 1 ")
    assert "Crisis" not in rows[1] and "Pregnant" not in rows[1]


# --- No one-click accidents ------------------------------------------------------------


def test_it_withdraws_only_with_the_box_ticked(alice, mdt, survivor, home):
    referral = referred(alice, mdt, survivor, home)
    client = signed_in(alice)
    url = f"/referrals/{referral.pk}/withdraw/"

    refused = client.post(url, {"reason": "Aunt found."}, follow=True).content.decode()
    assert "Confirm: Tick the box to confirm you are withdrawing this referral." in refused
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING

    client.post(url, {"reason": "Aunt found.", "confirm": "on"})
    referral.refresh_from_db()
    assert (referral.status, referral.close_reason) == (Referral.Status.WITHDRAWN, "Aunt found.")


def test_it_keeps_withdraw_away_from_confirm_arrival(alice, mdt, home_admin, survivor, home):
    referral = accepted(alice, mdt, home_admin, survivor, home)
    page = signed_in(alice).get(f"/referrals/{referral.pk}/").content.decode()

    (arrival,) = [s for s in sections(page) if "Confirm the child arrived" in s]
    (withdraw,) = [s for s in sections(page) if "Withdraw referral" in s]
    assert arrival != withdraw
    assert "Withdraw" not in text_of(arrival)
    assert 'class="primary"' not in withdraw
    assert re.search(r'<input type="checkbox" name="confirm"[^>]* required', withdraw)


def test_it_discharges_only_with_a_chosen_reason_and_the_box_ticked(
    alice, mdt, home_admin, survivor, home
):
    placement = placed(alice, mdt, home_admin, survivor, home)
    client = signed_in(alice)

    page = client.get(f"/survivors/{survivor.pk}/").content.decode()
    select = re.search(r'<select name="end_reason".*?</select>', page, flags=re.S).group(0)
    first_option = re.search(r"<option[^>]*>[^<]*</option>", select).group(0)
    assert first_option == '<option value="" selected>Choose a reason</option>'
    assert " required" in select.split(">")[0]

    url = f"/placements/{placement.pk}/discharge/"
    no_reason = client.post(url, {"confirm": "on"}, follow=True).content.decode()
    assert "End reason: Choose why the child left." in no_reason
    no_box = client.post(url, {"end_reason": "planned"}, follow=True).content.decode()
    assert "Confirm: Tick the box to confirm the child has left this home." in no_box
    placement.refresh_from_db()
    assert placement.ended_at is None

    client.post(url, {"end_reason": "reunified", "confirm": "on"})
    placement.refresh_from_db()
    assert (placement.end_reason, placement.ended_at is not None) == (
        Placement.EndReason.REUNIFIED,
        True,
    )
