"""The waitlist: no child waits silently when no home fits."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from placement.models import WaitlistEntry, WaitlistOffer
from placement.services import waitlist_recheck
from placement.services.homes import home_availability_report
from survivors.models import Status
from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import accepted, placed, recommend

pytestmark = pytest.mark.postgres


@pytest.fixture
def full_home(home, home_admin):
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=0)
    return home


def test_it_refuses_to_waitlist_a_child_some_home_fits(alice, survivor, home, api):
    response = api(alice).post(f"/api/v1/survivors/{survivor.pk}/waitlist/")

    assert response.status_code == 409
    assert response.json()["code"] == "homes_available"
    assert "1 home fit" in response.json()["detail"]


def test_it_waitlists_then_tells_the_case_worker_of_each_opened_home_once(
    alice, bob, mdt, home_admin, survivor, full_home, api, django_capture_on_commit_callbacks
):
    response = api(alice).post(f"/api/v1/survivors/{survivor.pk}/waitlist/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "waitlisted"
    survivor.refresh_from_db()
    assert survivor.status == Status.WAITLISTED
    again = api(bob).post(f"/api/v1/survivors/{survivor.pk}/waitlist/")
    assert again.status_code == 409

    # A bed opens: the waitlist is re-checked at that home after commit.
    with django_capture_on_commit_callbacks(execute=True):
        home_availability_report(actor=home_admin, home_id=full_home.pk, available_beds=1)
    assert waitlist_recheck() == 0  # the full re-check finds nothing new
    assert waitlist_recheck(home_id=full_home.pk) == 0
    newcomer = HomeFactory(name="New Haven")
    assert waitlist_recheck() == 1

    opened = Notification.objects.filter(kind="bed_opened", recipient=alice)
    assert opened.count() == 2
    assert {o.message.split(" opened at ")[1].split(" (")[0] for o in opened} == {
        full_home.name,
        newcomer.name,
    }
    assert "Jane" not in " ".join(opened.values_list("message", flat=True))

    # Proposing a home takes the child off the waitlist.
    recommend(alice, survivor, full_home)
    assert WaitlistEntry.objects.get().ended_at is not None
    assert waitlist_recheck() == 0
    assert WaitlistOffer.objects.count() == 2


def test_it_keeps_others_off_the_waitlist_endpoint(charlie, mdt, survivor, full_home, api):
    url = f"/api/v1/survivors/{survivor.pk}/waitlist/"
    assert api(charlie).post(url).status_code == 404
    assert api(mdt).post(url).status_code == 403
    assert not WaitlistEntry.objects.exists()


def test_it_waitlists_a_child_only_an_emergency_shelter_fits(
    alice, home_admin, survivor, full_home, api
):
    """A shelter is an interim placement: the child may still wait for a real bed, and a
    shelter with room is never announced as the bed she waits for."""
    shelter = HomeFactory(name="Gulf Shelter", home_type="emergency_shelter")

    response = api(alice).post(f"/api/v1/survivors/{survivor.pk}/waitlist/")

    assert response.status_code == 200, response.json()
    assert waitlist_recheck() == 0
    assert waitlist_recheck(home_id=shelter.pk) == 0
    assert not Notification.objects.filter(kind="bed_opened").exists()
    HomeFactory(name="New Haven")
    assert waitlist_recheck() == 1


def test_it_keeps_watching_while_the_child_waits_at_an_emergency_shelter(
    alice, home_admin, survivor, full_home, api
):
    """An emergency shelter is an interim stay: proposing it keeps the waitlist open, and
    the case worker still hears when a home opens; proposing that home ends the wait."""
    shelter = HomeFactory(name="Gulf Shelter", home_type="emergency_shelter")
    assert api(alice).post(f"/api/v1/survivors/{survivor.pk}/waitlist/").status_code == 200

    recommend(alice, survivor, shelter)

    assert WaitlistEntry.objects.get().ended_at is None
    newcomer = HomeFactory(name="New Haven")
    assert waitlist_recheck() == 1
    (opened,) = Notification.objects.filter(kind="bed_opened", recipient=alice)
    assert "New Haven" in opened.message
    recommend(alice, survivor, newcomer)
    assert WaitlistEntry.objects.get().ended_at is not None


# Every change that frees a bed re-checks the waitlist at that home after the commit,
# whoever makes it: the home's report (above), a Harbor admin's edit of the profile,
# a withdrawn hold, a discharge.


@pytest.fixture
def waiting(alice, team):
    """A second child of alice's, for whom no home has a bed."""
    child = SurvivorFactory(agency=alice.agency, team=team, first_name="Mary", last_name="Poe")
    child.assigned_workers.add(alice)
    return child


def told_of(alice, home) -> bool:
    return Notification.objects.filter(
        kind="bed_opened", recipient=alice, message__contains=f" opened at {home.name}"
    ).exists()


def test_it_tells_the_case_worker_when_an_admin_edit_of_the_profile_frees_a_bed(
    alice, admin_user, survivor, full_home, api, django_capture_on_commit_callbacks
):
    assert api(alice).post(f"/api/v1/survivors/{survivor.pk}/waitlist/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_user).patch(
            f"/api/v1/homes/{full_home.pk}/", {"available_beds": 1}, format="json"
        )

    assert response.status_code == 200, response.json()
    assert told_of(alice, full_home)


def test_it_tells_the_case_worker_when_a_withdrawn_hold_gives_the_bed_back(
    alice, mdt, home_admin, survivor, waiting, home, api, django_capture_on_commit_callbacks
):
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=1)
    referral = accepted(alice, mdt, home_admin, survivor, home)
    assert api(alice).post(f"/api/v1/survivors/{waiting.pk}/waitlist/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(
            f"/api/v1/referrals/{referral.pk}/withdraw/", {"reason": "Family found."}, format="json"
        )

    assert response.status_code == 200, response.json()
    assert told_of(alice, home)


def test_it_tells_the_case_worker_when_a_discharge_frees_the_bed(
    alice, mdt, home_admin, survivor, waiting, home, api, django_capture_on_commit_callbacks
):
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=1)
    placement = placed(alice, mdt, home_admin, survivor, home)
    assert api(alice).post(f"/api/v1/survivors/{waiting.pk}/waitlist/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(
            f"/api/v1/placements/{placement.pk}/discharge/",
            {"end_reason": "runaway"},
            format="json",
        )

    assert response.status_code == 200, response.json()
    assert told_of(alice, home)
