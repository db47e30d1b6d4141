"""Never offered, anywhere (issue 25, item 6; DESIGN "Safety across cases").

A home inside one of the child's exclusion zones (engine.NEVER_OFFERED_RULES) is never
a near miss, a call tonight, a relaxation or a number to call, in the API or on the
pages; an approved recommendation whose home no longer fits says why and offers no
referral; and no notice tells the worker to send a referral the server would refuse.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from engine import NEVER_OFFERED_RULES
from homes.models import Home
from notifications.models import Notification
from survivors.models import Survivor
from tests.factories import HomeFactory
from tests.placement.helpers import approved, recommend, referred
from tests.placement.test_live_rules import ZONE_AROUND, inbox, patch_survivor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ZONE = [{"zip_code": ZONE_AROUND, "radius_miles": 10}]
PHONE = "785-555-0142"


@pytest.fixture
def case(alice, survivor):
    survivor.created_by = alice
    survivor.save(update_fields=["created_by"])
    return survivor


@pytest.fixture
def zoned(case, home):
    """The child must be kept away from `home`'s area; `home` fails nothing else, and a
    full home in Wichita fails only `beds` (a real near miss, to show the list works)."""
    Home.objects.filter(pk=home.pk).update(
        intake_phone=PHONE, contact_name="Night Nurse Ada", intake_24_7=True
    )
    HomeFactory(
        name="Wichita House", zip_code="67202", available_beds=0, staff_on_duty=3, intake_24_7=True
    )
    Survivor.objects.filter(pk=case.pk).update(exclusion_zones=ZONE, urgency="crisis")
    case.refresh_from_db()
    return case


def test_it_knows_the_exclusion_zone_as_never_offered():
    assert "exclusion_zone" in NEVER_OFFERED_RULES


def test_it_never_lists_a_home_inside_a_zone_as_a_near_miss_or_a_call_tonight(
    api, alice, zoned, home
):
    body = api(alice).get(f"/api/v1/survivors/{zoned.pk}/matches/").json()

    assert [m["home"]["name"] for m in body["near_misses"]] == ["Wichita House"]
    assert body["near_miss_count"] == 1
    assert [x["rule"] for x in body["relaxations"]] == ["beds"]
    tonight = body["tonight"]
    assert tonight["nothing_fits"] is True
    assert [c["home"]["name"] for c in tonight["fail_only"]] == ["Wichita House"]
    assert all(x["rule"] != "exclusion_zone" for x in tonight["takes_days"])
    assert home.name not in str(body) and PHONE not in str(body)


def test_it_lists_a_home_inside_a_zone_only_as_excluded_without_its_number(api, alice, zoned, home):
    body = api(alice).get(f"/api/v1/survivors/{zoned.pk}/matches/?include_excluded=1").json()

    (inside,) = [m for m in body["excluded"] if m["home"]["id"] == home.pk]
    assert [f["rule"] for f in inside["failed"]] == ["exclusion_zone"]
    assert PHONE not in str(body)


def test_it_shows_no_home_inside_a_zone_on_the_search_page(client, alice, zoned, home):
    client.force_login(alice)
    page = client.get(reverse("survivor-search", args=[zoned.pk]), {"filters": "1"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "Wichita House" in text
    assert home.name not in text and PHONE not in text
    assert "Night Nurse Ada" not in text


def test_it_says_why_and_offers_no_referral_once_the_approved_home_fails_a_rule(
    client, api, alice, mdt, case, home
):
    recommendation = approved(alice, mdt, case, home)
    client.force_login(alice)
    page = client.get(reverse("recommendation-page", args=[recommendation.pk])).content.decode()
    assert "Send referral" in page

    patch_survivor(api, alice, case, {"exclusion_zones": ZONE})

    page = client.get(reverse("recommendation-page", args=[recommendation.pk])).content.decode()
    assert f"{home.name} no longer fits this child" in page
    assert "Exclusion zone" in page
    assert "Send referral" not in page
    assert "crisis override" not in page.lower()


def test_it_never_tells_the_worker_to_send_a_referral_the_server_would_refuse(
    api, alice, mdt, case, home
):
    """The issue's 409: a zone added over a referred home withdrew the referral, and the
    notice said "send the referral" to the approved home, which the server refused."""
    referral = referred(alice, mdt, case, home)

    patch_survivor(api, alice, case, {"exclusion_zones": ZONE})

    (notice,) = inbox(api, alice, Notification.Kind.REFERRAL_WITHDRAWN)
    assert "send the referral" not in notice
    assert "no longer fits" in notice and "search again" in notice
    refused = api(alice).post(f"/api/v1/recommendations/{referral.recommendation_id}/refer/")
    assert refused.status_code == 409


def test_it_tells_an_approval_of_a_home_that_no_longer_fits_without_send_the_referral(
    api, alice, mdt, case, home
):
    recommendation = recommend(alice, case, home)
    patch_survivor(api, alice, case, {"exclusion_zones": ZONE})

    review = api(mdt).post(
        f"/api/v1/recommendations/{recommendation.pk}/reviews/",
        {"decision": "approve", "comment": "Good fit."},
        format="json",
    )

    assert review.status_code == 201, review.json()
    (notice,) = inbox(api, alice, Notification.Kind.REVIEW_DONE)
    assert "It is approved, but" in notice and "no longer fits" in notice
    assert "Inside an exclusion zone" in notice and ZONE_AROUND not in notice
    assert "send the referral" not in notice
