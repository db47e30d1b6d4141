"""The whole placement path through the API on PostgreSQL, and every refusal on the way."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from audit.models import AuditEntry, Outcome
from homes.models import AvailabilityChange, Home
from notifications.models import Notification
from placement.models import Placement, Recommendation, Referral, Review
from placement.services import holds_expire
from survivors.models import Status, StatusChange
from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import accepted, approved, recommend, referred

pytestmark = pytest.mark.postgres

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def beds(home) -> tuple[int, int]:
    home.refresh_from_db()
    return home.available_beds, home.beds_held


def test_it_walks_a_child_from_recommendation_to_discharge(
    alice, mdt, home_admin, survivor, home, api
):
    # The case worker proposes the home her search ranked first.
    response = api(alice).post(
        f"/api/v1/survivors/{survivor.pk}/recommendations/",
        {"home": home.pk, "rationale": "Trauma therapy on site, 0 miles away."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    recommendation = response.json()
    assert recommendation["id"] == Recommendation.objects.get().pk
    assert recommendation["status"] == "pending_review"
    assert (recommendation["rank"], recommendation["feasible_count"]) == (1, 1)
    assert (
        round(sum(f["points"] for f in recommendation["breakdown"]), 1) == recommendation["score"]
    )
    assert recommendation["needs"]["age"] == 15
    assert recommendation["home_profile"]["available_beds"] == 2
    assert "Jane" not in json.dumps(recommendation)
    survivor.refresh_from_db()
    assert survivor.status == Status.PENDING_REVIEW

    # The MDT member of the child's team approves (quorum 1).
    response = api(mdt).post(
        f"/api/v1/recommendations/{recommendation['id']}/reviews/",
        {"decision": "approve", "comment": "Good fit."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["recommendation_status"] == "approved"
    assert response.json()["id"] == Review.objects.get().pk

    # The case worker refers.
    response = api(alice).post(
        f"/api/v1/recommendations/{recommendation['id']}/refer/", {}, format="json"
    )
    assert response.status_code == 201, response.json()
    referral = response.json()
    assert referral["status"] == "pending"
    assert referral["survivor"] == survivor.pk
    assert referral["beds"] == 1
    survivor.refresh_from_db()
    assert survivor.status == Status.REFERRED

    # The home admin sees the child de-identified: age, gender, needs, the worker's contact.
    response = api(home_admin).get(f"/api/v1/referrals/{referral['id']}/")
    assert response.status_code == 200
    seen = response.json()
    assert seen["child"]["age"] == 15 and seen["child"]["gender"] == "female"
    assert seen["referred_by"]["email"] == "alice@example.org"
    assert seen["identity"] is None and seen["survivor"] is None
    text = json.dumps(seen)
    assert "Jane" not in text and "Roe" not in text and survivor.case_number not in text

    # The home accepts: one bed is held for 24 hours, and now the home knows who is coming.
    response = api(home_admin).post(f"/api/v1/referrals/{referral['id']}/accept/")
    assert response.status_code == 200, response.json()
    held = response.json()
    assert held["status"] == "accepted"
    assert held["identity"]["first_name"] == "Jane"
    assert held["identity"]["case_number"] == survivor.case_number
    expires = datetime.datetime.fromisoformat(held["hold_expires_at"])
    assert abs(expires - timezone.now() - datetime.timedelta(hours=24)) < datetime.timedelta(
        minutes=1
    )
    assert beds(home) == (1, 1)

    # The child arrives.
    response = api(alice).post(f"/api/v1/referrals/{referral['id']}/place/")
    assert response.status_code == 201, response.json()
    placement = response.json()
    assert placement["id"] == Placement.objects.get().pk
    assert placement["status"] == "active"
    assert beds(home) == (1, 0)

    # And leaves.
    response = api(alice).post(
        f"/api/v1/placements/{placement['id']}/discharge/",
        {"end_reason": "reunified", "comment": "Back with her aunt."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "discharged"
    assert beds(home) == (2, 0)

    survivor.refresh_from_db()
    assert survivor.status == Status.DISCHARGED
    history = list(StatusChange.objects.filter(survivor=survivor).values_list("before", "after"))
    assert history == [
        ("intake", "pending_review"),
        ("pending_review", "referred"),
        ("referred", "placed"),
        ("placed", "discharged"),
    ]
    sources = list(
        AvailabilityChange.objects.filter(home=home).order_by("id").values_list("source", flat=True)
    )
    assert sources == ["hold", "placement", "discharge"]
    actions = set(
        AuditEntry.objects.filter(survivor_id=survivor.pk).values_list("action", flat=True)
    )
    assert actions >= {
        "recommendation.create",
        "review.create",
        "recommendation.approved",
        "referral.create",
        "referral.read",
        "referral.accept",
        "placement.create",
        "placement.discharge",
        "survivor.status",
    }
    assert AuditEntry.objects.filter(survivor_id=survivor.pk, action="survivor.status").count() == 4
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds >= {"review_requested", "review_done", "referral_received", "referral_accepted"}


def test_it_refuses_a_referral_before_approval_with_the_reason(alice, mdt, survivor, home, api):
    recommendation = recommend(alice, survivor, home)

    response = api(alice).post(f"/api/v1/recommendations/{recommendation.pk}/refer/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_approved"
    assert "0 of 1 approvals" in response.json()["detail"]
    assert not Referral.objects.exists()


def test_it_refers_at_once_under_a_justified_crisis_override(alice, mdt, survivor, home, api):
    recommendation = recommend(alice, survivor, home)
    url = f"/api/v1/recommendations/{recommendation.pk}/refer/"

    unjustified = api(alice).post(url, {"crisis_override": True}, format="json")
    assert unjustified.status_code == 400
    assert list(unjustified.json()) == ["justification"]

    response = api(alice).post(
        url,
        {"crisis_override": True, "justification": "Found at 2 a.m., nowhere safe tonight."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["crisis_override"] is True
    recommendation.refresh_from_db()
    assert recommendation.crisis_override and recommendation.crisis_override_by == alice
    assert recommendation.status == "pending_review"  # the review follows
    assert Notification.objects.filter(recipient=mdt, kind="review_requested").count() == 2
    entry = AuditEntry.objects.get(action="referral.create")
    assert entry.after["justification"] == "Found at 2 a.m., nowhere safe tonight."

    # The MDT rejects after the fact: the referral the home has not answered is withdrawn.
    review = api(mdt).post(
        f"/api/v1/recommendations/{recommendation.pk}/reviews/",
        {"decision": "reject", "comment": "Too close to the exclusion zone."},
        format="json",
    )
    assert review.status_code == 201
    assert review.json()["after_the_fact"] is True
    assert Referral.objects.get().status == "withdrawn"
    survivor.refresh_from_db()
    assert survivor.status == Status.SEARCHING


def test_it_lets_only_the_childs_team_review_once(
    alice, bob, mdt, mdt_other, mdt_same_agency_other_team, home_admin, survivor, home, api
):
    recommendation = recommend(alice, survivor, home)
    url = f"/api/v1/recommendations/{recommendation.pk}/reviews/"
    body = {"decision": "approve", "comment": ""}

    for outsider in (mdt_other, mdt_same_agency_other_team, home_admin):
        response = api(outsider).post(url, body, format="json")
        assert (response.status_code, response.json()) == (404, NOT_FOUND), outsider
    for not_a_reviewer in (alice, bob):
        assert api(not_a_reviewer).post(url, body, format="json").status_code == 403
    rejection = api(mdt).post(url, {"decision": "reject"}, format="json")
    assert rejection.status_code == 400 and list(rejection.json()) == ["comment"]

    assert api(mdt).post(url, body, format="json").status_code == 201
    again = api(mdt).post(url, body, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_reviewed"
    denied = AuditEntry.objects.filter(outcome=Outcome.DENIED, action="review.create")
    assert denied.count() == 5
    assert set(denied.values_list("survivor_id", flat=True)) == {survivor.pk}


def test_it_needs_the_quorum_and_any_rejection_rejects(alice, mdt, team, survivor, home, api):
    from tests.factories import UserFactory

    team.quorum = 2
    team.save()
    second = UserFactory(username="max", role="mdt_member", team=team)
    third = UserFactory(username="may", role="mdt_member", team=team)
    recommendation = recommend(alice, survivor, home)
    url = f"/api/v1/recommendations/{recommendation.pk}/reviews/"

    first = api(mdt).post(url, {"decision": "approve"}, format="json").json()
    assert first["recommendation_status"] == "pending_review"
    assert api(alice).post(f"/api/v1/recommendations/{recommendation.pk}/refer/").status_code == 409
    rejected = api(second).post(url, {"decision": "reject", "comment": "No."}, format="json")
    assert rejected.json()["recommendation_status"] == "rejected"
    late = api(third).post(url, {"decision": "approve"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "already_decided"
    refused = api(alice).post(f"/api/v1/recommendations/{recommendation.pk}/refer/")
    assert refused.status_code == 409 and refused.json()["code"] == "rejected"


def test_it_hides_referrals_from_other_homes_and_outsiders(
    alice, charlie, mdt, home_admin, home_admin_other, survivor, home, api
):
    referral = referred(alice, mdt, survivor, home)

    for outsider in (home_admin_other, charlie):
        for path in ("", "accept/"):
            url = f"/api/v1/referrals/{referral.pk}/{path}"
            response = api(outsider).get(url) if not path else api(outsider).post(url)
            assert (response.status_code, response.json()) == (404, NOT_FOUND)
    missing = api(home_admin).post("/api/v1/referrals/999999999/accept/")
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    assert api(alice).post(f"/api/v1/referrals/{referral.pk}/accept/").status_code == 403
    assert api(home_admin).post(f"/api/v1/referrals/{referral.pk}/place/").status_code == 403
    referral.refresh_from_db()
    assert referral.status == "pending"
    assert beds(home) == (2, 0)


def test_it_refuses_acceptance_and_arrival_after_the_hold_expired(
    alice, mdt, home_admin, survivor, home, api
):
    referral = accepted(alice, mdt, home_admin, survivor, home)
    Referral.objects.filter(pk=referral.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    # Before the job runs, the clock already says no.
    late = api(alice).post(f"/api/v1/referrals/{referral.pk}/place/")
    assert late.status_code == 409 and late.json()["code"] == "hold_expired"

    assert holds_expire() == {"warned": 0, "expired": 1}
    assert beds(home) == (2, 0)
    survivor.refresh_from_db()
    assert survivor.status == Status.SEARCHING
    again = api(home_admin).post(f"/api/v1/referrals/{referral.pk}/accept/")
    assert again.status_code == 409
    assert again.json()["code"] == "referral_expired"
    assert "expired" in again.json()["detail"]


def test_it_declines_with_a_reason_code_from_the_list(alice, mdt, home_admin, survivor, home, api):
    referral = referred(alice, mdt, survivor, home)
    url = f"/api/v1/referrals/{referral.pk}/decline/"

    assert api(home_admin).post(url, {"reason_code": "busy"}, format="json").status_code == 400
    other = api(home_admin).post(url, {"reason_code": "other"}, format="json")
    assert other.status_code == 400 and list(other.json()) == ["comment"]
    response = api(home_admin).post(
        url, {"reason_code": "staffing", "comment": "Two staff out sick."}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["reason_code"]) == ("declined", "staffing")
    assert response.json()["identity"] is None
    survivor.refresh_from_db()
    assert survivor.status == Status.SEARCHING
    assert Notification.objects.filter(recipient=alice, kind="referral_declined").exists()
    assert api(home_admin).post(url, {"reason_code": "no_bed"}, format="json").status_code == 409


def test_it_refers_to_three_homes_at_most_and_the_first_acceptance_withdraws_the_others(
    alice, mdt, home_admin, home_admin_other, survivor, home, api
):
    second = HomeFactory(name="Second Home")
    third = HomeFactory(name="Third Home")
    fourth = HomeFactory(name="Fourth Home")
    referrals = [referred(alice, mdt, survivor, h) for h in (home, second, third)]
    fourth_recommendation = approved(alice, mdt, survivor, fourth)

    too_many = api(alice).post(f"/api/v1/recommendations/{fourth_recommendation.pk}/refer/")
    assert too_many.status_code == 409 and too_many.json()["code"] == "too_many_referrals"

    assert api(home_admin).post(f"/api/v1/referrals/{referrals[0].pk}/accept/").status_code == 200
    statuses = [Referral.objects.get(pk=r.pk).status for r in referrals]
    assert statuses == ["accepted", "withdrawn", "withdrawn"]
    assert beds(home) == (1, 1)
    assert beds(second) == (2, 0)
    # With beds held, no more referrals and no acceptance elsewhere.
    still = api(alice).post(f"/api/v1/recommendations/{fourth_recommendation.pk}/refer/")
    assert still.status_code == 409 and still.json()["code"] == "hold_exists"


def test_it_withdraws_an_accepted_referral_and_the_beds_come_back(
    alice, mdt, home_admin, survivor, home, api
):
    referral = accepted(alice, mdt, home_admin, survivor, home)
    assert beds(home) == (1, 1)

    response = api(alice).post(
        f"/api/v1/referrals/{referral.pk}/withdraw/", {"reason": "Family found."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert beds(home) == (2, 0)
    assert Notification.objects.filter(recipient=home_admin, kind="referral_withdrawn").exists()


def test_it_refuses_a_home_that_does_not_fit_naming_the_rules(alice, survivor, api):
    boys = HomeFactory(name="Boys Only", genders_served=["male"])
    full = HomeFactory(name="Full House", available_beds=0)

    for home, fragment in ((boys, "Serves male youth"), (full, "Needs 1 bed; none free")):
        response = api(alice).post(
            f"/api/v1/survivors/{survivor.pk}/recommendations/",
            {"home": home.pk, "rationale": "Only one I know."},
            format="json",
        )
        assert response.status_code == 409, response.json()
        assert response.json()["code"] == "not_feasible"
        assert home.name in response.json()["detail"]
        assert fragment in response.json()["detail"]
    missing = api(alice).post(
        f"/api/v1/survivors/{survivor.pk}/recommendations/",
        {"home": 999999999, "rationale": "x"},
        format="json",
    )
    assert missing.status_code == 400 and list(missing.json()) == ["home"]


def test_it_keeps_a_survivor_hidden_from_those_who_may_not_see_them(
    charlie, mdt, home_admin, survivor, home, api
):
    url = f"/api/v1/survivors/{survivor.pk}/recommendations/"
    body = {"home": home.pk, "rationale": "x"}
    for outsider in (charlie, home_admin):
        response = api(outsider).post(url, body, format="json")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert api(mdt).post(url, body, format="json").status_code == 403
    assert not Recommendation.objects.exists()


def test_it_discharges_once_and_only_with_a_known_reason(
    alice, mdt, home_admin, survivor, home, api
):
    from tests.placement.helpers import placed

    placement = placed(alice, mdt, home_admin, survivor, home)
    url = f"/api/v1/placements/{placement.pk}/discharge/"

    assert api(alice).post(url, {"end_reason": "vanished"}, format="json").status_code == 400
    assert api(home_admin).post(url, {"end_reason": "runaway"}, format="json").status_code == 403
    assert api(home_admin).get(f"/api/v1/placements/{placement.pk}/").status_code == 200
    assert api(alice).post(url, {"end_reason": "runaway"}, format="json").status_code == 200
    again = api(alice).post(url, {"end_reason": "runaway"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_discharged"
    assert beds(home) == (2, 0)


def test_it_serves_a_parenting_youth_two_beds(alice, mdt, home_admin, survivor, home, api):
    home.accepts_parenting, home.max_dependents = True, 1
    home.save()
    survivor.dependents = 1
    survivor.save()

    referral = accepted(alice, mdt, home_admin, survivor, home)

    assert referral.beds == 2
    assert beds(home) == (0, 2)


def test_it_lists_referrals_to_a_home_for_its_admin(
    alice, mdt, home_admin, home_admin_other, survivor, home, api
):
    referral = referred(alice, mdt, survivor, home)
    other = SurvivorFactory(agency=alice.agency, team=survivor.team)
    other.assigned_workers.add(alice)
    referred(alice, mdt, other, HomeFactory(name="Elsewhere"))

    mine = api(home_admin).get("/api/v1/referrals/").json()
    assert [r["id"] for r in mine["results"]] == [referral.pk]
    assert mine["results"][0]["survivor"] is None
    assert api(home_admin_other).get("/api/v1/referrals/").json()["count"] == 0
    assert api(alice).get("/api/v1/referrals/?status=pending").json()["count"] == 2
    assert api(alice).get("/api/v1/referrals/?status=bogus").status_code == 400
    assert Home.objects.get(pk=home.pk).available_beds == 2
