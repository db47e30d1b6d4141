"""Whom to call: contacts in results, the license rule on live rows, and "When nothing
fits tonight" on the search page and in the API (DESIGN.md)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from engine.layout import BATCH_FIELDS
from homes.models import Home
from matching.directory import DirectoryCache
from matching.directory_sql import FULL_LOAD
from matching.models import MatchSearch
from matching.selectors import match_needs, needs_of_survivor
from placement.models import Recommendation
from placement.services.rules import live_failures
from tests.days import today_of
from tests.factories import HomeFactory, SurvivorFactory

PHONE, TEL = "(913) 555-0142", "tel:9135550142"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def child(alice, team):
    """A 15-year-old state ward of Kansas in crisis, in Kansas City, Kansas."""
    survivor = SurvivorFactory(
        agency=alice.agency, team=team, urgency="crisis", guardianship="state"
    )
    survivor.assigned_workers.add(alice)
    return survivor


FITS = dict(
    state="KS", zip_code="66101", licensed_beds=6, available_beds=2, staff_on_duty=2,
    residents_per_staff=3, intake_24_7=True, accepts_state_wards=True,
)  # fmt: skip


@pytest.fixture
def night(alice):
    """Nothing but an emergency shelter fits the child; each other home fails one rule.

    The lapsed license ended the day before the case worker's today, which is never later
    than the UTC day the API and the services judge by.
    """
    return {
        "shelter": HomeFactory(
            name="Night Shelter", home_type="emergency_shelter", zip_code="66044",
            intake_phone="(785) 555-0100", contact_name="Night desk",
            **{k: v for k, v in FITS.items() if k != "zip_code"},
        ),
        "short": HomeFactory(
            name="Short Staffed House", intake_phone=PHONE, contact_name="Maria Lopez",
            **{**FITS, "staff_on_duty": 1},
        ),
        "full": HomeFactory(
            name="Full House",
            intake_phone="(913) 555-0199",
            **{**FITS, "available_beds": 0, "staff_on_duty": 3},
        ),
        "daytime": HomeFactory(name="Daytime Intake", **{**FITS, "intake_24_7": False}),
        "expired": HomeFactory(
            name="Lapsed License",
            license_expires=today_of(alice) - datetime.timedelta(days=1),
            **FITS,
        ),
        "icpc": HomeFactory(
            name="Omaha Home", accepts_out_of_state=True,
            **{**FITS, "state": "NE", "zip_code": "68102"},
        ),
    }  # fmt: skip


# The API


def test_it_says_what_can_change_tonight_when_only_a_shelter_fits(alice, child, night):
    body = api(alice).get(f"/api/v1/survivors/{child.pk}/matches/").json()
    tonight = body["tonight"]

    assert tonight["nothing_fits"] is True
    calls = {c["home"]["name"]: c for c in tonight["fail_only"]}
    assert {name: c["rule"] for name, c in calls.items()} == {
        "Short Staffed House": "staffing",
        "Full House": "beds",
        "Daytime Intake": "crisis_intake",
    }
    short = calls["Short Staffed House"]
    assert (short["intake_phone"], short["contact_name"]) == (PHONE, "Maria Lopez")
    assert short["action"] == "One more staff on shift would open it"
    assert short["home"]["intake_phone"] == PHONE
    (shelter,) = tonight["interim_shelters"]
    assert shelter["label"] == "Interim: emergency shelter"
    assert (shelter["home"]["name"], shelter["intake_phone"]) == ("Night Shelter", "(785) 555-0100")
    assert {x["rule"] for x in tonight["takes_days"]} == {"license", "state_line"}
    assert tonight["waitlist"]["watched_homes"] == 2
    assert "2 homes are full or short of staff" in tonight["waitlist"]["summary"]


def test_it_lists_nothing_for_tonight_when_a_home_fits(alice, child, night):
    HomeFactory(name="Open Safe Home", **FITS)
    tonight = api(alice).get(f"/api/v1/survivors/{child.pk}/matches/").json()["tonight"]
    assert tonight["nothing_fits"] is False
    assert (tonight["fail_only"], tonight["interim_shelters"], tonight["takes_days"]) == (
        [],
        [],
        [],
    )


def test_it_gives_each_result_and_near_miss_its_contact(alice, child, night):
    body = api(alice).get(f"/api/v1/survivors/{child.pk}/matches/").json()
    assert body["results"][0]["home"]["contact_name"] == "Night desk"
    misses = {m["home"]["name"]: m["home"] for m in body["near_misses"]}
    assert misses["Short Staffed House"]["intake_phone"] == PHONE
    assert misses["Daytime Intake"]["intake_phone"] == ""


def test_it_explains_an_expired_license_in_the_what_if_search(alice, night):
    body = {
        "age": 15, "gender": "female", "guardianship": "state", "custody_state": "KS",
        "residence_zip": "66101", "urgency": "crisis",
    }  # fmt: skip
    response = api(alice).post("/api/v1/match/", body, format="json").json()
    misses = {m["home"]["name"]: m["failed"] for m in response["near_misses"]}
    expired_on = night["expired"].license_expires
    assert misses["Lapsed License"] == [
        {
            "rule": "license",
            "reason": f"License expired on {expired_on.day} {expired_on:%b} {expired_on.year}",
        }
    ]
    assert response["tonight"]["nothing_fits"] is True


# The license on live rows and in the directory


def test_it_refuses_a_commitment_to_a_home_whose_license_expired(child, night):
    home = night["expired"]
    failed = live_failures(child, Home.objects.get(pk=home.pk))
    assert [f["rule"] for f in failed] == ["license"]
    Home.objects.filter(pk=home.pk).update(license_expires=timezone.localdate())
    assert live_failures(child, Home.objects.get(pk=home.pk)) == []


def test_it_opens_a_home_once_its_license_is_renewed(child, night):
    home = night["expired"]
    needs = needs_of_survivor(child, today=timezone.localdate())

    def feasible() -> set[int]:
        return {r.home.id for r in match_needs(needs, limit=50).results}

    assert home.pk not in feasible()
    Home.objects.filter(pk=home.pk).update(
        license_expires=timezone.localdate() + datetime.timedelta(days=365),
        modified_at=timezone.now(),
    )
    assert home.pk in feasible()


def test_it_reads_the_license_day_alike_in_sql_and_through_the_orm(night):
    """The PostgreSQL full load and the SQLite demo's load give the same day numbers."""
    with connection.cursor() as cursor:
        cursor.execute(FULL_LOAD)
        sql = cursor.fetchall()
    orm = DirectoryCache._rows_without_sql_epoch()
    at = [BATCH_FIELDS.index(name) for name in ("id", "license_day", "updated_us")]

    def pick(rows):
        return sorted(tuple(row[i] for i in at) for row in rows)

    assert pick(sql) == pick(orm)
    days = {row[0]: row[1] for row in pick(sql)}
    epoch = datetime.date(1970, 1, 1)
    assert days[night["expired"].pk] == (night["expired"].license_expires - epoch).days
    assert days[night["shelter"].pk] == 2**31 - 1


# The search page


def test_it_shows_the_tonight_list_with_numbers_to_call(alice, child, night):
    page = signed_in(alice).get(f"/survivors/{child.pk}/search/").content.decode()

    assert "No home fits this child tonight" in page
    assert f'<a href="{TEL}">{PHONE}</a> (Maria Lopez)' in page
    assert "One more staff on shift would open it" in page
    assert "Interim: emergency shelter" in page
    assert f'action="/survivors/{child.pk}/waitlist/"' in page
    assert "Harbor watches them" in page
    days = page.index("These take days")
    assert "1 home has an expired license" in page[days:]
    assert "Request ICPC approval for NE" in page[days:]
    # The shelter can be proposed through the normal workflow.
    assert f'name="homes" value="{night["shelter"].pk}" form="propose-form"' in page


def test_it_asks_to_call_first_with_the_number_when_beds_are_stale(alice, child, night):
    Home.objects.filter(pk=night["shelter"].pk).update(
        availability_updated_at=None, intake_phone=PHONE, contact_name="Maria Lopez"
    )
    page = signed_in(alice).get(f"/survivors/{child.pk}/search/").content.decode()
    assert f'call first: <a href="{TEL}">{PHONE}</a> (Maria Lopez)' in page


# The Propose box


@pytest.fixture
def two_homes(db):
    return [HomeFactory(name="Prairie House", **FITS), HomeFactory(name="Oak House", **FITS)]


def test_it_puts_the_propose_box_above_the_results(alice, child, two_homes):
    page = signed_in(alice).get(f"/survivors/{child.pk}/search/").content.decode()
    assert page.index('id="propose-form"') < page.index('class="homes"')


def test_it_keeps_the_ticked_homes_when_the_rationale_is_missing(alice, child, two_homes):
    ids = [str(home.pk) for home in two_homes]
    response = signed_in(alice).post(
        f"/survivors/{child.pk}/propose/",
        {"homes": ids, "rationale": "   ", "filters": "1", "max_distance_miles": "40"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    for home_id in ids:
        assert re.search(rf'value="{home_id}" form="propose-form" checked', page)
    assert "Say why these homes: the MDT reads it." in page
    assert 'id="rationale-error"' in page
    # The same filters the worker searched with.
    assert 'name="max_distance_miles" value="40"' in page
    assert not Recommendation.objects.exists()
    # Shown again, not searched again: a read on the child's trail, no new search record.
    assert not MatchSearch.objects.exists()
    assert AuditEntry.objects.filter(action="survivor.read", survivor_id=child.pk).exists()


def test_it_confirms_a_proposal_of_several_homes_in_one_banner(alice, child, two_homes):
    response = signed_in(alice).post(
        f"/survivors/{child.pk}/propose/",
        {"homes": [str(home.pk) for home in two_homes], "rationale": "Both are near."},
        follow=True,
    )

    assert response.redirect_chain == [(f"/survivors/{child.pk}/", 302)]
    page = response.content.decode()
    assert page.count("Proposed to the MDT") == 1
    assert "Proposed to the MDT: Prairie House and Oak House." in page
    assert Recommendation.objects.count() == 2
