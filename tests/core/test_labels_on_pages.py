"""Pages show labels, not codes: "Spanish" not "es", "Legal advocacy" not `legal_advocacy`,
"Moderate" beside "Routine", "1 bed" not "1 beds", and an approval count in English.

Each page is rendered for the role that reads it and its visible text searched."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import recommend, referred

CODES = ["legal_advocacy", "trauma_therapy", "moderate", "routine", "safe_home", "in_recovery"]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def assert_no_codes(text: str) -> None:
    for code in CODES:
        assert not re.search(rf"\b{code}\b", text), (code, text)
    assert not re.search(r"\bes\b", text), text  # the language code, not "Spanish"
    assert not re.search(r"\b1 (beds|homes|approvals)\b", text), text
    assert not re.search(r"\b0 of 1 approval\b", text), text


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spanish_case(alice, team):
    survivor = SurvivorFactory(
        agency=alice.agency,
        team=team,
        primary_language="es",
        services_needed=["legal_advocacy", "trauma_therapy"],
        mental_health_acuity="moderate",
        runaway_risk="moderate",
        medical_level="routine",
        substance_use="in_recovery",
    )
    survivor.assigned_workers.add(alice)
    return survivor


@pytest.fixture
def one_bed_home(db):
    return HomeFactory(
        name="Casa Esperanza",
        licensed_beds=1,
        available_beds=1,
        languages=["en", "es"],
        services=["legal_advocacy", "trauma_therapy"],
        medical_level="routine",
        mental_health_max="high",
        substance_use_accepted="in_recovery",
        staff_secure=True,
    )


def test_it_shows_the_case_worker_labels_on_the_case_and_its_search(alice, spanish_case):
    case = visible_text(signed_in(alice).get(f"/survivors/{spanish_case.pk}/"))
    search = visible_text(signed_in(alice).get(f"/survivors/{spanish_case.pk}/search/"))

    for text in (case, search):
        assert_no_codes(text)
    assert "Spanish" in case and "Legal advocacy" in case and "Moderate" in case


def test_it_shows_the_mdt_labels_and_a_readable_approval_count(
    alice, mdt, spanish_case, one_bed_home
):
    recommendation = recommend(alice, spanish_case, one_bed_home)

    text = visible_text(signed_in(mdt).get(f"/recommendations/{recommendation.pk}/"))

    assert_no_codes(text)
    assert "1 approval needed, 0 given" in text
    assert "Spanish" in text and "Routine" in text and "Moderate" in text


def test_it_shows_the_home_labels_and_counts_one_bed_as_a_bed(
    alice, mdt, spanish_case, one_bed_home
):
    from homes.services import home_admin_grant
    from tests.factories import UserFactory

    keeper = UserFactory(role="home_admin")
    home_admin_grant(actor=None, user=keeper, home=one_bed_home)
    referral = referred(alice, mdt, spanish_case, one_bed_home)
    client = signed_in(keeper)

    pages = {
        "referral": visible_text(client.get(f"/referrals/{referral.pk}/")),
        "dashboard": visible_text(client.get("/")),
        "manage": visible_text(client.get(f"/homes/{one_bed_home.pk}/manage/")),
    }

    for text in pages.values():
        assert_no_codes(text)
    assert "1 licensed bed" in pages["manage"]
    assert "of 1 bed free" in pages["dashboard"]
