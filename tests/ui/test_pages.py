from __future__ import annotations

import re

from django.test import Client

from audit.models import AuditEntry, Outcome
from homes.models import AvailabilityChange
from matching.models import MatchSearch
from survivors.models import Survivor


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_sends_anonymous_visitors_to_sign_in(db):
    response = Client().get("/survivors/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_records_an_intake_from_the_form(alice):
    response = signed_in(alice).post(
        "/survivors/new/",
        {
            "case_number": "KS-77", "first_name": "Lupe", "last_name": "Ortiz",
            "date_of_birth": "2011-05-04", "gender": "female", "guardianship": "state",
            "custody_state": "KS", "residence_zip": "66101", "urgency": "crisis",
            "substance_use": "none", "medical_level": "none", "mental_health_acuity": "low",
            "runaway_risk": "high", "dependents": "0", "primary_language": "es",
            "services_needed": ["trauma_therapy", "education"], "icpc_approved_states": "mo, NE",
            "zone-TOTAL_FORMS": "3", "zone-INITIAL_FORMS": "0", "zone-0-zip_code": "64108",
            "zone-0-radius_miles": "12", "notes": "Met at the hospital.",
        },
    )  # fmt: skip
    survivor = Survivor.objects.get(case_number="KS-77")
    assert response.status_code == 302
    assert response["Location"] == f"/survivors/{survivor.pk}/"
    assert survivor.icpc_approved_states == ["MO", "NE"]
    assert survivor.exclusion_zones == [{"zip_code": "64108", "radius_miles": 12.0}]
    assert survivor.assigned_workers.get() == alice


def test_it_shows_intake_errors_next_to_the_fields_and_saves_nothing(alice):
    response = signed_in(alice).post(
        "/survivors/new/",
        {"case_number": "KS-78", "date_of_birth": "2999-01-01", "residence_zip": "00000",
         "zone-TOTAL_FORMS": "3", "zone-INITIAL_FORMS": "0", "zone-0-zip_code": "64108",
         "zone-0-radius_miles": "-3"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "The intake was not saved" in page
    assert "The date of birth cannot be in the future." in page
    assert "ZIP code 00000 does not exist." in page
    assert 'aria-invalid="true"' in page
    assert not Survivor.objects.exists()


def test_it_keeps_a_survivor_page_need_to_know(survivor, alice, mdt, charlie, home_admin):
    survivor.notes = "Trafficker known as Rico."
    survivor.exclusion_zones = [{"zip_code": "64108", "radius_miles": 10}]
    survivor.save()
    page = signed_in(alice).get(f"/survivors/{survivor.pk}/").content.decode()
    assert "Jane Roe" in page and "Rico" in page and "64108" in page
    mdt_page = signed_in(mdt).get(f"/survivors/{survivor.pk}/").content.decode()
    assert "Rico" not in mdt_page and "64108" not in mdt_page
    for outsider in (charlie, home_admin):
        assert signed_in(outsider).get(f"/survivors/{survivor.pk}/").status_code == 404
    reads = AuditEntry.objects.filter(survivor_id=survivor.pk, action="survivor.read")
    assert reads.filter(outcome=Outcome.OK).count() == 2
    assert reads.filter(outcome=Outcome.DENIED).count() == 2


def test_it_shows_the_audit_trail_to_the_supervisor_only(survivor, alice, bob):
    assert signed_in(alice).get(f"/survivors/{survivor.pk}/audit/").status_code == 404
    signed_in(alice).get(f"/survivors/{survivor.pk}/")
    page = signed_in(bob).get(f"/survivors/{survivor.pk}/audit/").content.decode()
    assert "alice" in page and "survivor.read" in page


def test_it_ranks_homes_for_a_what_if_search_and_explains_misses(alice, home, other_home):
    body = {"age": "15", "gender": "female", "guardianship": "state", "custody_state": "KS",
            "residence_zip": "66101", "urgency": "planned"}  # fmt: skip
    page = signed_in(alice).post("/search/", body).content.decode()
    assert "Lighthouse House" in page  # fits
    assert "1</strong> of 2 active homes" in page
    assert "Cedar Place" in page and "State line / ICPC" in page  # MO home refuses out of state
    partial = signed_in(alice).post("/search/", body, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Lighthouse House" in partial


def test_it_names_the_field_of_a_bad_what_if(alice, home):
    page = signed_in(alice).post("/search/", {"gender": "female", "guardianship": "state",
                                              "custody_state": "KS"}).content.decode()  # fmt: skip
    assert "Please check the form" in page and "Give the child&#x27;s age" in page


def test_it_searches_for_a_survivor_and_records_it(alice, survivor, home):
    page = signed_in(alice).get(f"/survivors/{survivor.pk}/search/").content.decode()
    assert "Lighthouse House" in page
    assert MatchSearch.objects.filter(survivor=survivor, searched_by=alice).count() == 1


def test_it_lists_excluded_homes_and_links_the_whole_list_as_csv(alice, survivor, home, other_home):
    client = signed_in(alice)
    page = client.post(
        f"/survivors/{survivor.pk}/search/", {"include_excluded": "on"}
    ).content.decode()
    assert "Excluded homes (1)" in page and "Cedar Place" in page
    link = f"/api/v1/survivors/{survivor.pk}/matches/excluded/"
    assert f'href="{link}"' in page
    download = client.get(link)
    assert download.status_code == 200
    assert "Cedar Place" in b"".join(download.streaming_content).decode()


def test_it_lets_a_home_admin_set_beds_in_one_tap(home_admin, home):
    client = signed_in(home_admin)
    page = client.get(f"/homes/{home.pk}/manage/").content.decode()
    assert 'name="available_beds" value="0"' in page
    response = client.post(f"/homes/{home.pk}/availability/", {"available_beds": "5"})
    assert response.status_code == 302
    home.refresh_from_db()
    assert home.available_beds == 5
    change = AvailabilityChange.objects.get(home=home)
    assert (change.available_beds_before, change.available_beds_after, change.by) == (
        2,
        5,
        home_admin,
    )
    client.post(f"/homes/{home.pk}/availability/", {"confirm": "1"})
    assert home.availability_changes.filter(source="confirmed").exists()


def test_it_refuses_beds_above_licensed_with_a_message(home_admin, home):
    client = signed_in(home_admin)
    response = client.post(f"/homes/{home.pk}/availability/", {"available_beds": "99"}, follow=True)
    assert "Must be between 0 and the 6 licensed beds." in response.content.decode()
    home.refresh_from_db()
    assert home.available_beds == 2


def test_it_hides_other_homes_from_a_home_admin(home_admin, other_home, alice):
    assert signed_in(home_admin).get(f"/homes/{other_home.pk}/manage/").status_code == 404
    assert (
        signed_in(alice)
        .post(f"/homes/{other_home.pk}/availability/", {"available_beds": "0"})
        .status_code
        == 404
    )


def test_it_audits_an_outsiders_search_and_discharge_attempts(survivor, charlie):
    client = signed_in(charlie)
    assert client.get(f"/survivors/{survivor.pk}/search/").status_code == 404
    assert (
        client.post("/placements/999999/discharge/", {"end_reason": "planned"}).status_code == 404
    )
    denied = AuditEntry.objects.filter(actor=charlie, outcome=Outcome.DENIED)
    assert denied.get(action="survivor.match").survivor_id == survivor.pk
    assert denied.get(action="placement.discharge").survivor_id is None  # no such placement
    assert not MatchSearch.objects.exists()


def test_it_explains_a_refusal_in_the_page_and_offers_the_way_home(
    mdt, alice, home_admin, survivor, home
):
    """An MDT member who posts an acceptance reads why not, on a Harbor page with a way back."""
    from tests.placement.helpers import referred

    referral = referred(alice, mdt, survivor, home)
    response = signed_in(mdt).post(f"/referrals/{referral.pk}/accept/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "Only this home&#x27;s administrators answer its referrals." in page
    assert 'href="/"' in page and "Harbor" in page


def test_it_answers_an_unknown_case_with_a_page_that_does_not_hint(charlie, survivor):
    """Another agency's worker gets the same page for a hidden case as for no case."""
    hidden = signed_in(charlie).get(f"/survivors/{survivor.pk}/")
    missing = signed_in(charlie).get("/survivors/999999/")

    assert hidden.status_code == missing.status_code == 404

    def without_token(response) -> str:  # the CSRF token is masked anew on every page
        page = re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)

    assert without_token(hidden) == without_token(missing)
    assert "Nothing here" in hidden.content.decode()


def test_it_brings_a_signed_in_again_user_back_to_the_referral_not_to_an_error(
    alice, mdt, home_admin, survivor, home
):
    """A home admin whose session ran out signs in again and lands on the referral page."""
    from tests.placement.helpers import referred

    referral = referred(alice, mdt, survivor, home)
    response = signed_in(home_admin).get(f"/referrals/{referral.pk}/accept/")

    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    referral.refresh_from_db()
    assert referral.status == "pending"  # a GET never accepts


def test_it_says_on_the_referral_page_why_a_referral_was_withdrawn(
    alice, mdt, home_admin, survivor, home
):
    """Both the case worker and the home read the withdrawal's reason on the referral."""
    from placement.services import referral_withdraw
    from tests.placement.helpers import referred

    referral = referred(alice, mdt, survivor, home)
    referral_withdraw(actor=alice, referral_id=referral.pk, reason="The aunt can take her.")

    for user in (alice, home_admin):
        page = signed_in(user).get(f"/referrals/{referral.pk}/").content.decode()
        assert "The aunt can take her." in page
