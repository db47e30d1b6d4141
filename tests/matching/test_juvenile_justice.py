"""The rule `juvenile_justice`, end to end: a child with juvenile justice involvement is
placed only where the home takes such youth (DESIGN.md, names added for the next work).

The rule was added through the one specification of the matching fields (engine/types.py);
these tests prove it reached every place a case worker, a home admin or a supervisor meets
it: intake (page and API), the home's profile (page, API, spreadsheet), the search (results,
near misses, relaxations), the re-check at every commitment, and the reports' facts.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from homes.columns import HEADERS, read_row
from homes.models import Home
from homes.services import home_update
from matching.models import NEED_BIT, MatchSearch
from placement.models import Referral
from survivors.models import Survivor
from tests.api.payloads import INTAKE
from tests.factories import HomeFactory
from tests.placement.helpers import approved, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

REASON = "Does not take youth with juvenile justice involvement"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def involved(survivor):
    survivor.juvenile_justice_involved = True
    survivor.save(update_fields=["juvenile_justice_involved"])
    return survivor


def test_it_records_the_involvement_at_intake_through_the_api(alice):
    response = api(alice).post(
        "/api/v1/survivors/",
        {**INTAKE, "juvenile_justice_involved": True, "exclusion_zones": []},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["juvenile_justice_involved"] is True
    assert Survivor.objects.get(pk=response.json()["id"]).juvenile_justice_involved


def test_it_records_the_involvement_at_intake_on_the_page(alice):
    client = page(alice)
    form = client.get("/survivors/new/").content.decode()
    assert 'name="juvenile_justice_involved"' in form
    assert "Juvenile justice involvement" in form

    response = client.post(
        "/survivors/new/",
        {
            "estimated_age": "15",
            "gender": "female",
            "guardianship": "state",
            "custody_state": "KS",
            "residence_zip": "66101",
            "juvenile_justice_involved": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    survivor = Survivor.objects.get()
    assert survivor.juvenile_justice_involved
    assert "Juvenile justice involvement" in client.get(response["Location"]).content.decode()


def test_a_home_takes_such_youth_unless_its_profile_says_otherwise(admin_user):
    client = api(admin_user)
    created = client.post(
        "/api/v1/homes/",
        {
            "name": "Harbor Light",
            "home_type": "safe_home",
            "state": "KS",
            "zip_code": "66101",
            "licensed_beds": 4,
            "available_beds": 2,
            "staff_on_duty": 2,
            "genders_served": ["female"],
            "languages": ["en"],
            "services": ["trauma_therapy"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["accepts_juvenile_justice"] is True
    home_id = created.json()["id"]
    changed = client.patch(
        f"/api/v1/homes/{home_id}/", {"accepts_juvenile_justice": False}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert Home.objects.get(pk=home_id).accepts_juvenile_justice is False
    listed = client.get("/api/v1/homes/?accepts_juvenile_justice=false").json()
    assert [home["id"] for home in listed["results"]] == [home_id]


def test_the_home_profile_page_offers_the_flag(home, home_admin):
    content = page(home_admin).get(f"/homes/{home.pk}/profile/").content.decode()
    assert 'name="accepts_juvenile_justice"' in content
    assert "Takes youth with juvenile justice involvement" in content


def test_the_spreadsheet_has_a_column_for_it():
    assert "accepts_juvenile_justice" in HEADERS
    home = HomeFactory(accepts_juvenile_justice=False)
    from homes.columns import write_row

    cells = dict(zip(HEADERS, write_row(home), strict=True))
    assert cells["accepts_juvenile_justice"] == "no"
    assert read_row(cells)["accepts_juvenile_justice"] is False
    assert read_row({**cells, "accepts_juvenile_justice": "yes"})["accepts_juvenile_justice"]


def test_the_search_leaves_out_a_home_that_does_not_take_such_youth_and_says_why(
    alice, involved, home
):
    refusing = HomeFactory(name="Closed Door", accepts_juvenile_justice=False)
    body = api(alice).get(f"/api/v1/survivors/{involved.pk}/matches/").json()

    assert [r["home"]["id"] for r in body["results"]] == [home.pk]
    (miss,) = body["near_misses"]
    assert miss["home"]["id"] == refusing.pk
    assert miss["failed"] == [{"rule": "juvenile_justice", "reason": REASON}]
    (relaxation,) = [r for r in body["relaxations"] if r["rule"] == "juvenile_justice"]
    assert relaxation["homes"] == 1
    assert "juvenile justice" in relaxation["suggestion"]

    search = MatchSearch.objects.get(survivor=involved)
    assert search.need_flags & NEED_BIT["juvenile_justice"]
    assert search.failures_by_rule["juvenile_justice"] == 1


def test_a_what_if_search_takes_the_flag_and_defaults_it_to_no(alice):
    refusing = HomeFactory(accepts_juvenile_justice=False)
    body = {"age": 15, "gender": "female", "guardianship": "state", "custody_state": "KS"}
    plain = api(alice).post("/api/v1/match/", body, format="json").json()
    assert refusing.pk in [r["home"]["id"] for r in plain["results"]]
    flagged = (
        api(alice)
        .post("/api/v1/match/", {**body, "juvenile_justice_involved": True}, format="json")
        .json()
    )
    assert refusing.pk not in [r["home"]["id"] for r in flagged["results"]]
    assert [m["failed"] for m in flagged["near_misses"]] == [
        [{"rule": "juvenile_justice", "reason": REASON}]
    ]
    wrong = api(alice).post(
        "/api/v1/match/", {**body, "juvenile_justice_involved": "perhaps"}, format="json"
    )
    assert wrong.status_code == 400
    assert "juvenile_justice_involved" in wrong.json()


def test_a_referral_is_refused_when_the_home_stopped_taking_such_youth(alice, mdt, involved, home):
    recommendation = approved(alice, mdt, involved, home)
    home_update(actor=None, home_id=home.pk, data={"accepts_juvenile_justice": False})

    response = api(alice).post(f"/api/v1/recommendations/{recommendation.pk}/refer/")

    assert response.status_code == 409
    assert response.json()["failed"] == [{"rule": "juvenile_justice", "reason": REASON}]
    assert not Referral.objects.filter(survivor=involved).exists()


def test_recording_the_involvement_withdraws_a_referral_to_a_home_that_does_not_take_it(
    alice, mdt, survivor, home
):
    home_update(actor=None, home_id=home.pk, data={"accepts_juvenile_justice": False})
    survivor.created_by = alice
    survivor.save(update_fields=["created_by"])
    referral = referred(alice, mdt, survivor, home)

    response = api(alice).patch(
        f"/api/v1/survivors/{survivor.pk}/", {"juvenile_justice_involved": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
