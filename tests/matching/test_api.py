from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from audit.models import AuditEntry, Outcome
from engine import Directory, match
from homes.models import Home
from matching.models import MatchSearch
from matching.selectors import (
    OFFER_FIELDS,
    HomeSearch,
    home_contacts,
    needs_of_survivor,
    offer_from_row,
    tonight_plan,
)
from matching.serializers import match_response
from tests.factories import HomeFactory, years_before

WHAT_IF = {
    "age": 15,
    "gender": "female",
    "guardianship": "state",
    "custody_state": "MO",
    "icpc_approved_states": ["KS"],
    "residence_zip": "64108",
    "substance_use": "active",
    "dependents": 1,
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def directory(db):
    """A small directory around Kansas City, each home failing something different."""
    base = dict(
        state="KS", zip_code="66101", genders_served=["female"], substance_use_accepted="active",
        accepts_parenting=True, max_dependents=1, accepts_out_of_state=True, licensed_beds=6,
        available_beds=3, staff_on_duty=3, residents_per_staff=3,
    )  # fmt: skip
    return {
        "fits": HomeFactory(name="Fits", **base),
        "no_icpc": HomeFactory(name="Needs ICPC", **{**base, "state": "NE", "zip_code": "68102"}),
        "sober_only": HomeFactory(name="Sober only", **{**base, "substance_use_accepted": "none"}),
        "full": HomeFactory(name="Full", **{**base, "available_beds": 1}),
        "inactive": HomeFactory(name="Closed", active=False, **base),
    }


def test_it_answers_a_what_if_search_and_stores_nothing(alice, directory):
    response = client_for(alice).post("/api/v1/match/", WHAT_IF, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["homes_considered"] == 4  # the closed home is not considered
    assert body["feasible_count"] == 1
    assert body["results"][0]["home"]["name"] == "Fits"
    assert body["results"][0]["rank"] == 1
    factors = body["results"][0]["breakdown"]
    assert round(sum(f["points"] for f in factors), 1) == body["results"][0]["score"]
    misses = {m["home"]["name"]: m["failed"] for m in body["near_misses"]}
    assert misses["Needs ICPC"][0]["rule"] == "state_line"
    assert "ICPC" in misses["Needs ICPC"][0]["reason"]
    assert misses["Full"][0]["rule"] == "beds"
    assert {r["rule"] for r in body["relaxations"]} == {"state_line", "substance_use", "beds"}
    assert body["excluded"] is None
    assert not MatchSearch.objects.exists()


def test_it_writes_a_search_byte_for_byte_as_drfs_json_renderer_would(alice, directory):
    # A name with a line separator (DRF escapes it), a time with microseconds and one
    # without (DRF's form, with "Z" for UTC, is written by orjson itself).
    Home.objects.filter(pk=directory["fits"].pk).update(
        name="Fits\u2028Ünder één dak",
        availability_updated_at=timezone.now().replace(microsecond=123456),
    )
    Home.objects.filter(pk=directory["full"].pk).update(
        availability_updated_at=timezone.now().replace(microsecond=0)
    )
    response = client_for(alice).post("/api/v1/match/", WHAT_IF, format="json")
    assert response.status_code == 200
    assert response.content == JSONRenderer().render(response.data)
    assert b"Fits\\u2028\xc3\x9cnder" in response.content
    assert b".123456Z" in response.content
    # Errors too.
    response = client_for(alice).post("/api/v1/match/", {**WHAT_IF, "age": "x"}, format="json")
    assert response.status_code == 400
    assert response.content == JSONRenderer().render(response.data)


def test_it_lists_every_excluded_home_on_request(alice, directory):
    response = client_for(alice).post("/api/v1/match/?include_excluded=1", WHAT_IF, format="json")
    excluded = {m["home"]["name"] for m in response.json()["excluded"]}
    assert excluded == {"Needs ICPC", "Sober only", "Full"}


def test_it_pages_the_excluded_homes_fewest_failures_then_nearest(alice, directory):
    # Two more failing two rules each: after the three failing one.
    HomeFactory(name="Far and sober", state="KS", zip_code="67202", substance_use_accepted="none")
    HomeFactory(name="Near and sober", state="KS", zip_code="66044", substance_use_accepted="none")

    def page(offset: int, limit: int) -> dict:
        query = f"?include_excluded=1&excluded_limit={limit}&excluded_offset={offset}"
        response = client_for(alice).post(f"/api/v1/match/{query}", WHAT_IF, format="json")
        assert response.status_code == 200, response.json()
        return response.json()

    whole = page(0, 1000)
    names = [m["home"]["name"] for m in whole["excluded"]]
    failures = [len(m["failed"]) for m in whole["excluded"]]
    assert whole["excluded_count"] == 5
    assert failures == sorted(failures)
    assert names[-2:] == ["Near and sober", "Far and sober"]
    pages = [page(offset, 2) for offset in (0, 2, 4)]
    assert [len(p["excluded"]) for p in pages] == [2, 2, 1]
    assert [m["home"]["name"] for p in pages for m in p["excluded"]] == names
    assert page(5, 2)["excluded"] == []


@pytest.mark.parametrize(
    "query", ["excluded_limit=0", "excluded_limit=1001", "excluded_offset=-1", "excluded_limit=x"]
)
def test_it_refuses_a_bad_excluded_page_naming_the_parameter(alice, directory, query):
    response = client_for(alice).post(
        f"/api/v1/match/?include_excluded=1&{query}", WHAT_IF, format="json"
    )
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_it_downloads_every_excluded_home_as_csv_safe_to_open(alice, survivor, directory):
    import csv
    import io

    HomeFactory(name='=HYPERLINK("http://evil")', state="NE", zip_code="68102")
    client = client_for(alice)
    searched = client.get(f"/api/v1/survivors/{survivor.pk}/matches/?include_excluded=1")
    response = client.get(f"/api/v1/survivors/{survivor.pk}/matches/excluded/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # a BOM, for spreadsheets
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = searched.json()["excluded"]
    assert [int(r["home_id"]) for r in rows] == [m["home"]["id"] for m in expected]
    assert [r["failed_rules"].split() for r in rows] == [
        [f["rule"] for f in m["failed"]] for m in expected
    ]
    assert '\'=HYPERLINK("http://evil")' in [r["home"] for r in rows]
    assert not any(r["home"].startswith("=") for r in rows)
    assert AuditEntry.objects.filter(
        action="survivor.match_excluded", survivor_id=survivor.pk
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"age": None, "date_of_birth": None}, "age"),
        ({"gender": "x"}, "gender"),
        ({"custody_state": "Missouri"}, "custody_state"),
        ({"icpc_approved_states": ["KS", "ZZ"]}, "icpc_approved_states"),
        ({"residence_zip": "00000"}, "residence_zip"),
        ({"dependents": -1}, "dependents"),
        ({"exclusion_zones": [{"zip_code": "64108", "radius_miles": -5}]}, "exclusion_zones"),
        ({"services_needed": ["massage"]}, "services_needed"),
        ({"date_of_birth": "2999-01-01", "age": None}, "date_of_birth"),
        ({"max_distance_miles": 0}, "max_distance_miles"),
    ],
)
def test_it_refuses_a_bad_what_if_naming_the_field(alice, directory, changes, field):
    body = {k: v for k, v in {**WHAT_IF, **changes}.items() if v is not None}
    response = client_for(alice).post("/api/v1/match/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_each_what_if_answers_its_own_errors_one_after_another(alice, directory):
    # The serializer's fields are shared by every request (core.inputs): what one
    # request was refused for is never another's.
    client = client_for(alice)
    bad_zone = {**WHAT_IF, "exclusion_zones": [{"zip_code": "64108", "radius_miles": -5}]}
    first = client.post("/api/v1/match/", {**bad_zone, "gender": "x"}, format="json")
    second = client.post("/api/v1/match/", WHAT_IF, format="json")
    third = client.post("/api/v1/match/", {**WHAT_IF, "dependents": -1}, format="json")

    assert first.status_code == 400 and set(first.json()) == {"gender", "exclusion_zones"}
    assert second.status_code == 200
    assert third.status_code == 400 and set(third.json()) == {"dependents"}


def test_what_ifs_validated_at_once_in_threads_each_read_their_own_fields():
    from concurrent.futures import ThreadPoolExecutor

    from matching.serializers import WhatIfSerializer

    def bodies(number: int) -> list[dict]:
        zone = {"zip_code": "64108", "radius_miles": number % 30 + 1}
        return [{**WHAT_IF, "age": 11 + number % 7, "exclusion_zones": [zone] * (number % 3)}]

    def validated(number: int) -> tuple[int, object]:
        body = bodies(number)[0]
        serializer = WhatIfSerializer(data=body)
        if number % 5 == 0:  # some refused, among the others
            serializer = WhatIfSerializer(data={**body, "dependents": -1 - number})
            return number, (serializer.is_valid(), set(serializer.errors))
        assert serializer.is_valid(), serializer.errors
        data = serializer.validated_data
        return number, (data["age"], [zone["radius_miles"] for zone in data["exclusion_zones"]])

    with ThreadPoolExecutor(8) as pool:
        answers = dict(pool.map(validated, range(400)))

    for number, answer in answers.items():
        if number % 5 == 0:
            assert answer == (False, {"dependents"})
        else:
            zones = bodies(number)[0]["exclusion_zones"]
            assert answer == (11 + number % 7, [float(zone["radius_miles"]) for zone in zones])


def test_it_refuses_bad_query_parameters(alice, directory):
    response = client_for(alice).post("/api/v1/match/?limit=0", WHAT_IF, format="json")
    assert response.status_code == 400
    assert "limit" in response.json()


def test_it_needs_a_signed_in_user_for_a_what_if():
    assert APIClient().post("/api/v1/match/", WHAT_IF, format="json").status_code in (401, 403)


def as_json(data):
    return json.loads(JSONRenderer().render(data))


def without_freshness(results: list[dict]) -> list[dict]:
    """Freshness points move with the clock between two searches; all else must not."""
    return [
        {**r, "score": None, "breakdown": [f for f in r["breakdown"] if f["factor"] != "freshness"]}
        for r in results
    ]


@pytest.mark.postgres
def test_it_serves_the_engines_own_answer_for_a_stored_survivor(alice, survivor, directory):
    response = client_for(alice).get(f"/api/v1/survivors/{survivor.pk}/matches/?limit=50")
    assert response.status_code == 200
    offers = [offer_from_row(r) for r in Home.objects.filter(active=True).values(*OFFER_FIELDS)]
    needs = needs_of_survivor(survivor, today=timezone.localdate())
    expected = match(
        needs, Directory.from_offers(offers), now=timezone.now(), limit=50, include_excluded=True
    )
    contacts = home_contacts([home.id for home in offers])
    search = HomeSearch(expected, contacts, tonight_plan(needs, expected, contacts), needs)
    body, want = response.json(), as_json(match_response(search))
    assert without_freshness(body["results"]) == without_freshness(want["results"])
    assert body["results"], "the survivor fits at least one home"
    for key in (
        "homes_considered",
        "feasible_count",
        "near_misses",
        "near_miss_count",
        "relaxations",
        "tonight",
    ):
        assert body[key] == want[key], key


def test_it_records_a_stored_survivors_search(alice, survivor, directory):
    client_for(alice).get(f"/api/v1/survivors/{survivor.pk}/matches/")
    search = MatchSearch.objects.get()
    assert search.survivor == survivor and search.searched_by == alice
    assert search.homes_considered == 4
    assert set(search.failures_by_rule) >= {"beds", "state_line"}
    assert "first_name" not in search.needs and "Jane" not in str(search.needs)
    assert AuditEntry.objects.filter(action="survivor.match", survivor_id=survivor.pk).exists()


def test_it_hides_a_survivor_from_an_outsider_searching(charlie, home_admin, survivor, directory):
    for outsider in (charlie, home_admin):
        response = client_for(outsider).get(f"/api/v1/survivors/{survivor.pk}/matches/")
        assert response.status_code == 404
        missing = client_for(outsider).get("/api/v1/survivors/999999/matches/")
        assert response.json() == missing.json()
    assert not MatchSearch.objects.exists()
    denied = AuditEntry.objects.filter(survivor_id=survivor.pk, outcome=Outcome.DENIED)
    assert denied.count() == 2


def test_it_lets_the_supervisor_and_mdt_search(bob, mdt, survivor, directory):
    for user in (bob, mdt):
        assert client_for(user).get(f"/api/v1/survivors/{survivor.pk}/matches/").status_code == 200


def test_it_counts_age_on_the_search_date(alice, directory):
    today = timezone.localdate()
    twelfth_birthday_tomorrow = years_before(today + datetime.timedelta(days=1), 12)
    body = {k: v for k, v in WHAT_IF.items() if k != "age"}
    client = client_for(alice)

    too_young = client.post(
        "/api/v1/match/?include_excluded=1",
        {**body, "date_of_birth": twelfth_birthday_tomorrow.isoformat()},
        format="json",
    ).json()
    # Every home serves 12-17: the child is 11 until tomorrow.
    assert too_young["feasible_count"] == 0
    assert all("age" in {f["rule"] for f in m["failed"]} for m in too_young["excluded"])

    if (today.month, today.day) != (2, 29):  # a Feb 29 birthday counts on Mar 1
        born_today = years_before(today, 12)
        on_birthday = client.post(
            "/api/v1/match/", {**body, "date_of_birth": born_today.isoformat()}, format="json"
        ).json()
        assert on_birthday["feasible_count"] == 1


def test_it_flags_stale_availability_by_the_configured_hours(alice, directory, settings):
    """A deployment that wants beds confirmed daily sees a 30-hour-old count as stale."""
    fits = directory["fits"]
    Home.objects.filter(pk=fits.pk).update(
        availability_updated_at=timezone.now() - datetime.timedelta(hours=30),
        modified_at=timezone.now(),
    )
    body = {**WHAT_IF, "dependents": 0, "substance_use": "none"}

    settings.AVAILABILITY_STALE_HOURS = 72
    fresh = client_for(alice).post("/api/v1/match/", body, format="json").json()
    settings.AVAILABILITY_STALE_HOURS = 24
    stale = client_for(alice).post("/api/v1/match/", body, format="json").json()

    def fits_result(response):
        return next(r for r in response["results"] if r["home"]["id"] == fits.pk)

    assert fits_result(fresh)["stale"] is False
    assert fits_result(stale)["stale"] is True
    freshness = next(f for f in fits_result(stale)["breakdown"] if f["factor"] == "freshness")
    assert freshness["points"] == 0
