"""The rule `language`: when the child needs an interpreter, only a home that lists her
language is offered (issue 26: "language match becomes a filter, not only points, when
set"). Without the flag the language stays a score factor, as before. The rule was added
through the one specification (engine/types.py), like `juvenile_justice`."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from homes.services import home_update
from placement.models import Referral
from tests.factories import HomeFactory
from tests.placement.helpers import approved

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# The engine writes the code; the API names the language (core.sentences).
REASON = "Does not list Spanish; the child needs an interpreter"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def speaks_spanish(survivor):
    survivor.primary_language = "es"
    survivor.interpreter_needed = True
    survivor.save(update_fields=["primary_language", "interpreter_needed"])
    return survivor


def test_the_search_offers_only_homes_that_list_her_language_and_says_why(alice, speaks_spanish):
    spanish = HomeFactory(name="Casa", languages=["en", "es"])
    english = HomeFactory(name="English Only", languages=["en"])

    body = api(alice).get(f"/api/v1/survivors/{speaks_spanish.pk}/matches/").json()

    assert [r["home"]["id"] for r in body["results"]] == [spanish.pk]
    (miss,) = body["near_misses"]
    assert miss["home"]["id"] == english.pk
    assert miss["failed"] == [{"rule": "language", "reason": REASON}]
    (relaxation,) = [r for r in body["relaxations"] if r["rule"] == "language"]
    assert relaxation["homes"] == 1
    assert relaxation["suggestion"] == ("1 home does not list Spanish; ask it about an interpreter")


def test_it_says_why_in_spanish_too(alice, speaks_spanish):
    HomeFactory(languages=["en"])
    body = (
        api(alice)
        .get(f"/api/v1/survivors/{speaks_spanish.pk}/matches/", HTTP_ACCEPT_LANGUAGE="es")
        .json()
    )
    (miss,) = body["near_misses"]
    assert miss["failed"] == [
        {"rule": "language", "reason": "No indica Español; el menor necesita intérprete"}
    ]


def test_without_an_interpreter_needed_the_language_is_only_points(alice, survivor):
    survivor.primary_language = "es"
    survivor.save(update_fields=["primary_language"])
    english = HomeFactory(languages=["en"])

    body = api(alice).get(f"/api/v1/survivors/{survivor.pk}/matches/").json()

    assert english.pk in [r["home"]["id"] for r in body["results"]]


def test_a_what_if_search_takes_the_flag(alice):
    english = HomeFactory(languages=["en"])
    body = {
        "age": 15, "gender": "female", "guardianship": "state", "custody_state": "KS",
        "primary_language": "es",
    }  # fmt: skip
    plain = api(alice).post("/api/v1/match/", body, format="json").json()
    assert english.pk in [r["home"]["id"] for r in plain["results"]]
    flagged = (
        api(alice).post("/api/v1/match/", {**body, "interpreter_needed": True}, format="json")
    ).json()
    assert english.pk not in [r["home"]["id"] for r in flagged["results"]]
    assert [m["failed"] for m in flagged["near_misses"]] == [
        [{"rule": "language", "reason": REASON}]
    ]
    wrong = api(alice).post(
        "/api/v1/match/", {**body, "interpreter_needed": "perhaps"}, format="json"
    )
    assert wrong.status_code == 400
    assert "interpreter_needed" in wrong.json()


def test_a_referral_is_refused_when_the_home_no_longer_lists_her_language(
    alice, mdt, speaks_spanish
):
    home = HomeFactory(languages=["en", "es"])
    recommendation = approved(alice, mdt, speaks_spanish, home)
    home_update(actor=None, home_id=home.pk, data={"languages": ["en"]})

    response = api(alice).post(f"/api/v1/recommendations/{recommendation.pk}/refer/")

    assert response.status_code == 409
    assert response.json()["failed"] == [{"rule": "language", "reason": REASON}]
    assert not Referral.objects.filter(survivor=speaks_spanish).exists()


def test_the_intake_page_shows_the_flag_once_with_what_it_does(alice):
    client = Client()
    client.force_login(alice)
    form = client.get("/survivors/new/").content.decode()
    assert form.count('name="interpreter_needed"') == 1
    assert "Only homes that list the child&#x27;s language are offered" in form
