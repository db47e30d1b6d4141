"""Interim stays (DESIGN "Interim stays"): a child placed at an emergency shelter sleeps
somewhere safe tonight and is still seeking a home. Her status is `interim`, the
waitlist stays on (a bed that opens reaches her, children in crisis first), and the
arrival at a long-term home is a transfer that ends the interim stay and frees the
shelter's bed, counted as such in outcomes and reports."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from homes.services import home_admin_grant
from notifications.models import Notification
from placement.models import FollowUp, Placement, WaitlistEntry
from placement.services import referral_create, referral_place, waitlist_recheck
from placement.services.homes import home_availability_report
from placement.services.outcomes import follow_ups_create_due
from reports.query import report_query
from reports.time_to_placement import _first_placements
from survivors.models import Status
from tests.factories import HomeFactory, SurvivorFactory, UserFactory
from tests.placement.helpers import accepted, approved, placed

pytestmark = pytest.mark.postgres


@pytest.fixture
def shelter(db):
    return HomeFactory(
        name="Harris County Youth Shelter", home_type="emergency_shelter", intake_24_7=True
    )


@pytest.fixture
def shelter_admin(shelter):
    user = UserFactory(username="sam", role="home_admin")
    home_admin_grant(actor=None, user=user, home=shelter)
    return user


@pytest.fixture
def full_home(home, home_admin):
    """The only long-term home has no bed tonight (it takes a crisis at any hour)."""
    type(home).objects.filter(pk=home.pk).update(intake_24_7=True)
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=0)
    return home


def at_the_shelter(alice, mdt, shelter_admin, survivor, shelter) -> Placement:
    return placed(alice, mdt, shelter_admin, survivor, shelter)


def test_it_places_at_a_shelter_as_an_interim_stay_and_keeps_the_search_open(
    alice, mdt, shelter_admin, survivor, shelter, full_home, api
):
    placement = at_the_shelter(alice, mdt, shelter_admin, survivor, shelter)

    assert placement.interim is True
    survivor.refresh_from_db()
    assert survivor.status == Status.INTERIM
    assert WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).exists()
    body = api(alice).get(f"/api/v1/survivors/{survivor.pk}/").json()
    assert body["status"] == "interim"
    page = api(alice).get(f"/api/v1/placements/{placement.pk}/").json()
    assert page["interim"] is True and page["status"] == "active"


def test_it_waitlists_a_child_in_an_interim_stay(
    alice, mdt, shelter_admin, survivor, shelter, full_home, api
):
    at_the_shelter(alice, mdt, shelter_admin, survivor, shelter)
    # A stay recorded before interim stays kept the waitlist on: her entry had ended.
    WaitlistEntry.objects.filter(survivor=survivor).update(ended_at=timezone.now())

    response = api(alice).post(f"/api/v1/survivors/{survivor.pk}/waitlist/")

    assert response.status_code == 200, response.json()
    survivor.refresh_from_db()
    assert survivor.status == Status.INTERIM  # still at the shelter, still seeking
    again = api(alice).post(f"/api/v1/survivors/{survivor.pk}/waitlist/")
    assert again.status_code == 409
    assert again.json()["code"] == "survivor_waitlisted"


def test_it_tells_the_worker_when_a_bed_opens_for_a_child_at_the_shelter_crisis_first(
    alice,
    mdt,
    home_admin,
    shelter_admin,
    survivor,
    shelter,
    full_home,
    team,
    django_capture_on_commit_callbacks,
):
    calm = survivor
    crisis = SurvivorFactory(agency=alice.agency, team=team, urgency="crisis")
    crisis.assigned_workers.add(alice)
    at_the_shelter(alice, mdt, shelter_admin, calm, shelter)
    at_the_shelter(alice, mdt, shelter_admin, crisis, shelter)

    with django_capture_on_commit_callbacks(execute=True):
        home_availability_report(actor=home_admin, home_id=full_home.pk, available_beds=1)

    opened = list(Notification.objects.filter(kind="bed_opened", recipient=alice).order_by("id"))
    assert [n.object_id for n in opened] == [str(crisis.pk), str(calm.pk)]
    assert opened[0].message.startswith("Crisis: ")
    assert f"case {calm.case_number} (in an interim stay at {shelter.name})" in opened[1].message
    assert f"opened at {full_home.name}" in opened[1].message
    assert "Jane" not in opened[1].message
    assert waitlist_recheck() == 0  # each home once


def test_it_keeps_the_child_interim_while_a_home_is_proposed_and_referred(
    alice, mdt, home_admin, shelter_admin, survivor, shelter, home
):
    at_the_shelter(alice, mdt, shelter_admin, survivor, shelter)

    recommendation = approved(alice, mdt, survivor, home)
    survivor.refresh_from_db()
    assert survivor.status == Status.INTERIM
    assert WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).exists()
    referral_create(actor=alice, recommendation_id=recommendation.pk)
    survivor.refresh_from_db()
    assert survivor.status == Status.INTERIM


def test_it_transfers_from_the_shelter_to_the_home_freeing_the_shelter_bed(
    alice, mdt, home_admin, shelter_admin, survivor, shelter, home, api
):
    stay = at_the_shelter(alice, mdt, shelter_admin, survivor, shelter)
    shelter.refresh_from_db()
    free_at_shelter = shelter.available_beds

    referral = accepted(alice, mdt, home_admin, survivor, home)
    response = api(alice).post(f"/api/v1/referrals/{referral.pk}/place/")

    assert response.status_code == 201, response.json()
    home_placement = Placement.objects.get(pk=response.json()["id"])
    assert home_placement.interim is False
    stay.refresh_from_db()
    assert stay.ended_at is not None and stay.end_reason == "transfer"
    assert stay.transferred_to == home_placement
    shelter.refresh_from_db()
    assert shelter.available_beds == free_at_shelter + 1
    survivor.refresh_from_db()
    assert survivor.status == Status.PLACED
    assert not WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).exists()
    transfer = AuditEntry.objects.get(action="placement.transfer")
    assert transfer.object_id == str(stay.pk) and transfer.actor == alice
    old = api(alice).get(f"/api/v1/placements/{stay.pk}/").json()
    assert old["status"] == "transferred" and old["transferred_to"] == home_placement.pk
    assert old["end_reason"] == "transfer"


def test_it_counts_the_transfer_in_outcomes_and_time_to_placement(
    alice, mdt, home_admin, shelter_admin, admin_user, survivor, shelter, home
):
    stay = at_the_shelter(alice, mdt, shelter_admin, survivor, shelter)
    referral = accepted(alice, mdt, home_admin, survivor, home)
    home_placement = referral_place(actor=alice, referral_id=referral.pk)

    follow_ups_create_due(now=timezone.now() + datetime.timedelta(days=31))
    interim_30 = FollowUp.objects.get(placement=stay, day=30)
    assert interim_30.outcome == "transferred" and interim_30.from_discharge
    assert FollowUp.objects.get(placement=home_placement, day=30).outcome == ""

    today = timezone.localdate()
    query = report_query(
        user=admin_user, date_from=today - datetime.timedelta(days=1), date_to=today, state=None
    )
    assert [row["custody_state"] for row in _first_placements(query)] == ["KS"]
    assert Placement.objects.filter(survivor=survivor).count() == 2


def test_it_refuses_transfer_as_a_discharge_reason_or_a_recorded_outcome(
    alice, mdt, shelter_admin, survivor, shelter, api
):
    stay = at_the_shelter(alice, mdt, shelter_admin, survivor, shelter)

    discharge = api(alice).post(
        f"/api/v1/placements/{stay.pk}/discharge/", {"end_reason": "transfer"}, format="json"
    )
    assert discharge.status_code == 400 and "end_reason" in str(discharge.json())
    outcome = api(alice).post(
        f"/api/v1/placements/{stay.pk}/outcomes/",
        {"day": 30, "outcome": "transferred"},
        format="json",
    )
    assert outcome.status_code == 400
