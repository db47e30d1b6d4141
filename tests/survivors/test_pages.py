"""The intake and edit pages, and finding a case on the dashboard, as a worker uses them
at 2 a.m.: no papers, no name, Spanish by name, an estimate marked wherever age shows."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry, Outcome
from placement.models import Referral
from survivors.models import Survivor
from survivors.services import survivor_create
from tests.days import today_of
from tests.placement.helpers import recommend, referred

pytestmark = pytest.mark.postgres


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    """The page as a person reads it: tags out, entities decoded, spaces collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r" ([:,.;)])", r"\1", " ".join(html.unescape(body).split()))


NO_PAPERS = {
    "case_number": "", "first_name": "", "last_name": "",
    "alias": "Girl in blue, Greyhound station", "date_of_birth": "", "estimated_age": "15",
    "gender": "female", "guardianship": "state", "custody_state": "TX",
    "residence_zip": "77002", "urgency": "crisis", "substance_use": "none",
    "medical_level": "routine", "pregnant": "on", "mental_health_acuity": "moderate",
    "runaway_risk": "high", "dependents": "0", "primary_language": "Spanish",
    "zone-TOTAL_FORMS": "3", "zone-INITIAL_FORMS": "0", "zone-0-zip_code": "77002",
    "zone-0-radius_miles": "25", "notes": "Found at the bus station.",
}  # fmt: skip


def test_it_marks_the_required_fields_before_anything_is_submitted(alice):
    page = signed_in(alice).get("/survivors/new/").content.decode()

    for name in ("gender", "guardianship", "custody_state", "residence_zip"):
        tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page).group(0)
        assert " required" in tag, tag
        label = re.search(rf'<label for="id_{name}">(.*?)</label>', page).group(1)
        assert "(required)" in label
    for name in ("case_number", "first_name", "last_name", "alias", "notes"):
        tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', page).group(0)
        assert " required" not in tag
    assert "Required: the date of birth or, without papers, an estimated age" in page
    assert 'list="language-names"' in page and '<option value="Spanish">' in page
    assert 'value="English"' in page  # the starting language, by name


def test_it_records_a_child_without_papers_or_name(alice):
    response = signed_in(alice).post("/survivors/new/", NO_PAPERS, follow=True)

    survivor = Survivor.objects.get()
    year = today_of(alice).year
    assert survivor.case_number == f"KS-DCF-{year}-00001"
    assert (survivor.first_name, survivor.last_name) == ("", "")
    assert survivor.primary_language == "es"
    assert (survivor.estimated_age, survivor.age_estimated_on) == (15, today_of(alice))
    page = text(response)
    assert f"Intake saved as case KS-DCF-{year}-00001." in page
    assert f"Case KS-DCF-{year}-00001 — Unknown Known as “Girl in blue, Greyhound station”" in page
    assert "Age 15 (estimated)" in page
    assert "Language Spanish" in page


def test_it_records_an_intake_with_a_due_date_and_audits_the_day(alice):
    due = today_of(alice) + datetime.timedelta(days=90)
    data = {**NO_PAPERS, "pregnancy_due_date": due.isoformat()}

    response = signed_in(alice).post("/survivors/new/", data)

    assert response.status_code == 302
    survivor = Survivor.objects.get()
    assert survivor.pregnancy_due_date == due
    entry = AuditEntry.objects.get(action="survivor.create")
    assert entry.after["pregnancy_due_date"] == due.isoformat()


def test_it_takes_and_offers_the_childs_language_by_its_spanish_name(alice):
    client = signed_in(alice)

    page = client.get("/survivors/new/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    response = client.post(
        "/survivors/new/", {**NO_PAPERS, "primary_language": "Español"}, HTTP_ACCEPT_LANGUAGE="es"
    )

    assert '<option value="Español">' in page and '<option value="Spanish">' not in page
    assert response.status_code == 302
    assert Survivor.objects.get().primary_language == "es"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"estimated_age": ""}, "Date of birth: Give the date of birth or, without papers"),
        ({"date_of_birth": "2011-05-04"}, "Estimated age: Give the date of birth or an "
                                          "estimated age, not both."),
        ({"estimated_age": "40"}, "Estimated age: Ensure this value is less than or equal"),
        ({"primary_language": "Klingon"}, "Primary language: Pick a language from the list"),
        ({"gender": ""}, "Gender: This field is required."),
    ],
)  # fmt: skip
def test_it_names_the_field_that_stops_an_intake(alice, changes, message):
    response = signed_in(alice).post("/survivors/new/", {**NO_PAPERS, **changes})

    assert response.status_code == 400
    assert message in text(response)
    assert 'value="Girl in blue, Greyhound station"' in response.content.decode()
    assert not Survivor.objects.exists()


# --- The edit page ----------------------------------------------------------------------


@pytest.fixture
def unnamed(alice):
    return survivor_create(
        actor=alice,
        data={
            "estimated_age": 15, "alias": "Girl in blue", "gender": "female",
            "guardianship": "state", "custody_state": "KS", "residence_zip": "66101",
            "primary_language": "es", "icpc_approved_states": ["MO"],
            "exclusion_zones": [{"zip_code": "64108", "radius_miles": 5}],
        },
    )  # fmt: skip


def edit_form(survivor: Survivor, **changes) -> dict:
    """What the edit page posts back untouched, with these changes."""
    values = {
        "case_number": survivor.case_number, "first_name": survivor.first_name,
        "last_name": survivor.last_name, "alias": survivor.alias,
        "date_of_birth": survivor.date_of_birth or "",
        "estimated_age": survivor.age_on(timezone.localdate()) if survivor.age_is_estimated
        else "",
        "gender": survivor.gender, "guardianship": survivor.guardianship,
        "custody_state": survivor.custody_state,
        "icpc_approved_states": ", ".join(survivor.icpc_approved_states),
        "residence_zip": survivor.residence_zip, "urgency": survivor.urgency,
        "substance_use": survivor.substance_use, "dependents": survivor.dependents,
        "medical_level": survivor.medical_level,
        "mental_health_acuity": survivor.mental_health_acuity,
        "runaway_risk": survivor.runaway_risk, "primary_language": survivor.language_name,
        "services_needed": survivor.services_needed, "notes": survivor.notes,
        "max_distance_miles": survivor.max_distance_miles or "",
    }  # fmt: skip
    # The zones' rows as the page shows them: every stored zone, then blank rows (three
    # rows at least, one blank at least), with the formset's counts.
    zones = survivor.exclusion_zones
    values["zone-TOTAL_FORMS"] = max(3, len(zones) + 1)
    values["zone-INITIAL_FORMS"] = len(zones)
    for row, zone in enumerate(zones):
        values[f"zone-{row}-zip_code"] = zone["zip_code"]
        values[f"zone-{row}-radius_miles"] = zone["radius_miles"]
    return {**values, **changes}


def test_it_links_the_edit_page_from_the_case_and_fills_it_with_the_record(alice, unnamed):
    case_page = signed_in(alice).get(f"/survivors/{unnamed.pk}/").content.decode()
    assert f'href="/survivors/{unnamed.pk}/edit/">Edit intake</a>' in case_page

    response = signed_in(alice).get(f"/survivors/{unnamed.pk}/edit/")

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Edit intake: case {unnamed.case_number}" in page
    for value in (unnamed.case_number, "Girl in blue", "Spanish", "MO", "64108"):
        assert f'value="{value}"' in page
    assert re.search(r'name="estimated_age"[^>]*value="15"', page)
    read = AuditEntry.objects.filter(action="survivor.read", survivor_id=unnamed.pk)
    assert read.filter(actor=alice, outcome=Outcome.OK).exists()


def test_it_completes_an_intake_through_the_edit_page_and_audits_it(alice, unnamed):
    birth = datetime.date(2010, 3, 9)
    form = edit_form(
        unnamed, first_name="Lupe", date_of_birth=birth.isoformat(), estimated_age="",
        primary_language="english", icpc_approved_states="MO, NE",
        **{"zone-1-zip_code": "66102", "zone-1-radius_miles": "10"},
    )  # fmt: skip

    response = signed_in(alice).post(f"/survivors/{unnamed.pk}/edit/", form)

    assert response.status_code == 302
    assert response["Location"] == f"/survivors/{unnamed.pk}/"
    unnamed.refresh_from_db()
    assert (unnamed.first_name, unnamed.date_of_birth, unnamed.estimated_age) == (
        "Lupe", birth, None,
    )  # fmt: skip
    assert unnamed.primary_language == "en"
    assert unnamed.icpc_approved_states == ["MO", "NE"]
    assert unnamed.exclusion_zones == [
        {"zip_code": "64108", "radius_miles": 5.0},
        {"zip_code": "66102", "radius_miles": 10.0},
    ]
    update = AuditEntry.objects.get(action="survivor.update", survivor_id=unnamed.pk)
    assert update.actor == alice
    assert update.after["first_name"] == "<encrypted>"
    assert update.after["primary_language"] == "en"
    assert "Lupe" not in str(update.after)


def test_it_keeps_an_estimate_that_was_not_changed_and_restarts_a_new_one(alice, unnamed):
    year_ago = today_of(alice) - datetime.timedelta(days=366)
    Survivor.objects.filter(pk=unnamed.pk).update(age_estimated_on=year_ago)
    unnamed.refresh_from_db()
    client = signed_in(alice)
    assert 'value="16"' in client.get(f"/survivors/{unnamed.pk}/edit/").content.decode()

    client.post(f"/survivors/{unnamed.pk}/edit/", edit_form(unnamed, alias="Lupe?"))
    unnamed.refresh_from_db()
    assert (unnamed.estimated_age, unnamed.age_estimated_on) == (15, year_ago)

    client.post(f"/survivors/{unnamed.pk}/edit/", edit_form(unnamed, estimated_age="17"))
    unnamed.refresh_from_db()
    assert (unnamed.estimated_age, unnamed.age_estimated_on) == (17, today_of(alice))


def test_it_keeps_every_exclusion_zone_of_a_record_with_more_than_the_blank_rows(alice, unnamed):
    zones = [{"zip_code": z, "radius_miles": 5} for z in ("64108", "66102", "66101", "67202")]
    Survivor.objects.filter(pk=unnamed.pk).update(exclusion_zones=zones)
    unnamed.refresh_from_db()
    page = signed_in(alice).get(f"/survivors/{unnamed.pk}/edit/").content.decode()
    assert 'value="67202"' in page and 'name="zone-4-zip_code"' in page

    signed_in(alice).post(f"/survivors/{unnamed.pk}/edit/", edit_form(unnamed, alias="x"))

    unnamed.refresh_from_db()
    assert [z["zip_code"] for z in unnamed.exclusion_zones] == [
        "64108", "66102", "66101", "67202",
    ]  # fmt: skip


def test_it_shows_the_edit_errors_in_place_and_changes_nothing(alice, unnamed):
    response = signed_in(alice).post(
        f"/survivors/{unnamed.pk}/edit/", edit_form(unnamed, case_number="", alias="new")
    )
    assert response.status_code == 400
    assert "Case number: This field is required." in text(response)
    assert 'value="new"' in response.content.decode()
    unnamed.refresh_from_db()
    assert unnamed.alias == "Girl in blue"
    assert not AuditEntry.objects.filter(action="survivor.update").exists()


def test_it_withdraws_a_referral_the_edited_record_no_longer_fits(alice, mdt, survivor, home):
    Survivor.objects.filter(pk=survivor.pk).update(created_by=alice)
    survivor.refresh_from_db()
    referral = referred(alice, mdt, survivor, home)

    response = signed_in(alice).post(
        f"/survivors/{survivor.pk}/edit/",
        edit_form(survivor, **{"zone-0-zip_code": home.zip_code, "zone-0-radius_miles": "10"}),
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    assert "no longer fits" in referral.close_reason


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("alice", 200), ("bob", 200), ("admin_user", 200), ("mdt", 403), ("charlie", 404),
        ("other_supervisor", 404), ("mdt_other", 404), ("home_admin", 404),
    ],
)  # fmt: skip
def test_it_lets_the_api_editors_and_nobody_else_open_or_post_the_edit_page(
    request, unnamed, persona, status
):
    user = request.getfixturevalue(persona)
    client = signed_in(user)
    url = f"/survivors/{unnamed.pk}/edit/"

    assert client.get(url).status_code == status
    assert client.post(url, edit_form(unnamed, alias="Changed")).status_code == (
        302 if status == 200 else status
    )

    unnamed.refresh_from_db()
    assert (unnamed.alias == "Changed") == (status == 200)
    denied = AuditEntry.objects.filter(actor=user, outcome=Outcome.DENIED, object_id=unnamed.pk)
    assert denied.count() == (0 if status == 200 else 2)


def test_it_sends_an_anonymous_visitor_of_the_edit_page_to_sign_in(unnamed):
    response = Client().get(f"/survivors/{unnamed.pk}/edit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- An estimated age, wherever age shows -------------------------------------------------


def test_it_marks_an_estimated_age_on_the_recommendation_packet_and_referral(
    alice, mdt, home_admin, survivor, home
):
    Survivor.objects.filter(pk=survivor.pk).update(created_by=alice)
    referral = referred(alice, mdt, survivor, home)
    # The child's papers turn out to be someone else's: her age is an estimate now.
    Survivor.objects.filter(pk=survivor.pk).update(
        date_of_birth=None, estimated_age=15, age_estimated_on=timezone.localdate()
    )
    recommendation = referral.recommendation

    for user in (alice, mdt):
        packet = text(signed_in(user).get(f"/recommendations/{recommendation.pk}/?print=1"))
        assert re.search(r"Age \d+ \(estimated\)", packet), packet[:2000]
        page = text(signed_in(user).get(f"/recommendations/{recommendation.pk}/"))
        assert re.search(r"Age \d+ \(estimated\)", page)
    for user in (alice, home_admin):
        assert "Age 15 (estimated)" in text(signed_in(user).get(f"/referrals/{referral.pk}/"))
    mdt_case = text(signed_in(mdt).get(f"/survivors/{survivor.pk}/"))
    assert "Age 15 (estimated)" in mdt_case


def test_it_shows_a_known_age_without_the_estimate_mark(alice, survivor, home):
    Survivor.objects.filter(pk=survivor.pk).update(created_by=alice)
    recommendation = recommend(alice, survivor, home)
    assert "(estimated)" not in text(signed_in(alice).get(f"/survivors/{survivor.pk}/"))
    page = text(signed_in(alice).get(f"/recommendations/{recommendation.pk}/?print=1"))
    assert "Age 15" in page and "(estimated)" not in page


# --- Finding a case on the dashboard ------------------------------------------------------


@pytest.fixture
def lupe(alice):
    return survivor_create(
        actor=alice,
        data={
            "first_name": "Lupe", "last_name": "Ortiz", "alias": "Girl in blue",
            "estimated_age": 15, "gender": "female", "guardianship": "state",
            "custody_state": "KS", "residence_zip": "66101",
        },
    )  # fmt: skip


def test_it_finds_a_case_by_name_on_the_dashboard_and_audits_the_search_not_the_words(
    alice, survivor, lupe
):
    response = signed_in(alice).post("/", {"search": "ortiz"})

    page = text(response)
    assert response.status_code == 200
    assert "1 case found" in page
    assert f"Case {lupe.case_number} — Lupe Ortiz (“Girl in blue”)" in page
    search = AuditEntry.objects.get(action="survivor.search")
    assert search.actor == alice
    assert search.after == {"results": 1, "status": None, "by_text": True}
    assert "ortiz" not in str(AuditEntry.objects.values_list("before", "after")).lower()
    reads = AuditEntry.objects.filter(action="survivor.read", actor=alice)
    assert list(reads.values_list("survivor_id", flat=True)) == [lupe.pk]


def test_it_filters_the_dashboard_by_status(alice, survivor, lupe):
    Survivor.objects.filter(pk=survivor.pk).update(status="waitlisted")
    page = text(signed_in(alice).post("/", {"search": "", "status": "waitlisted"}))
    assert "1 case found" in page
    found = page.split("1 case found.")[1].split("Cases you can see")[0]
    assert survivor.case_number in found
    assert lupe.case_number not in found


def test_it_names_the_status_field_when_the_status_is_unknown(alice, lupe):
    response = signed_in(alice).post("/", {"status": "lost"})
    assert response.status_code == 400
    assert "Select a valid choice. lost is not one of the available choices." in text(response)
    assert not AuditEntry.objects.filter(action="survivor.search").exists()


def test_it_lets_an_mdt_member_find_a_case_by_number_and_never_shows_a_name(mdt, lupe):
    client = signed_in(mdt)
    by_name = text(client.post("/", {"search": "Lupe"}))
    assert "0 cases found" in by_name
    assert "Case number, alias or name" not in by_name

    by_number = client.post("/", {"search": lupe.case_number[-5:]}).content.decode()
    assert "1 case found" in by_number
    assert lupe.case_number in by_number
    assert "Lupe" not in by_number and "Girl in blue" not in by_number


# --- The exclusion zones' rows ------------------------------------------------------------


def test_it_shows_a_zone_rows_error_at_that_row_and_saves_nothing(alice):
    form = {**NO_PAPERS, "zone-1-zip_code": "66101"}  # a ZIP code with no radius

    response = signed_in(alice).post("/survivors/new/", form)

    assert response.status_code == 400
    page = response.content.decode()
    row = re.search(r'<input[^>]*name="zone-1-radius_miles"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in row and 'aria-describedby="id_zone-1-radius_miles_error"' in row
    assert '<span class="error" id="id_zone-1-radius_miles_error">Give the radius in miles.' in page
    assert "Exclusion zones: Zone 2: Give the radius in miles." in text(response)
    assert 'name="zone-0-zip_code" value="77002"' in page  # the other rows as typed
    assert not Survivor.objects.exists()


def test_it_refuses_more_exclusion_zones_than_the_api_takes(alice, unnamed):
    zones = {"zone-TOTAL_FORMS": "51", "zone-INITIAL_FORMS": "1"}
    for row in range(51):
        zones |= {f"zone-{row}-zip_code": "64108", f"zone-{row}-radius_miles": "5"}
    client = signed_in(alice)

    response = client.post(f"/survivors/{unnamed.pk}/edit/", edit_form(unnamed, **zones))
    too_many = client.post(
        f"/survivors/{unnamed.pk}/edit/", edit_form(unnamed, **{**zones, "zone-TOTAL_FORMS": "99"})
    )

    assert response.status_code == too_many.status_code == 400
    assert "Exclusion zones: Give at most 50 exclusion zones." in text(response)
    assert "Exclusion zones: Give at most 50 exclusion zones." in text(too_many)
    unnamed.refresh_from_db()
    assert len(unnamed.exclusion_zones) == 1


def test_it_refuses_zone_rows_posted_without_their_count(alice):
    """A post with no zone row has no zones; rows without the formset's counts are not
    dropped in silence."""
    form = {k: v for k, v in NO_PAPERS.items() if not k.startswith("zone-")}
    client = signed_in(alice)

    refused = client.post("/survivors/new/", {**form, "zone-0-zip_code": "77002"})
    saved = client.post("/survivors/new/", form)

    assert refused.status_code == 400
    assert "ManagementForm data is missing" in text(refused)
    assert saved.status_code == 302
    assert Survivor.objects.get().exclusion_zones == []


def test_it_shows_the_services_refusal_on_the_form(alice):
    """The model's own check (one case number per agency), after the form passed it."""
    signed_in(alice).post("/survivors/new/", {**NO_PAPERS, "case_number": "KS-77"})

    response = signed_in(alice).post("/survivors/new/", {**NO_PAPERS, "case_number": "KS-77"})

    assert response.status_code == 400
    assert "This agency already has a survivor with this case number." in text(response)
    assert Survivor.objects.count() == 1


def test_it_finds_a_case_by_post_so_the_name_is_never_in_a_url(alice, survivor, lupe):
    """Issue 29 finding 7: "Find a case" was a GET, so `/?search=<name>` reached the
    access log (and the browser's history, and the next page's Referer)."""
    client = signed_in(alice)
    page = client.get("/").content.decode()
    assert 'method="post"' in page.split("Find a case", 1)[1].split("</form>", 1)[0]

    by_url = text(client.get("/", {"search": "ortiz"}))  # an old bookmark: not searched
    assert "case found" not in by_url and "Lupe Ortiz" not in by_url
    assert not AuditEntry.objects.filter(action="survivor.search").exists()
