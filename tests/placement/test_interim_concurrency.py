"""A transfer out of an interim stay under concurrency, on PostgreSQL with real parallel
connections: the shelter's bed is freed exactly once, and a bed is never held or
filled twice, whichever transaction wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.errors import Conflict, RulesFailed
from homes.models import Home
from homes.services import home_admin_grant
from placement.models import Placement, Referral
from placement.services import referral_accept, referral_place
from survivors.models import Status
from tests.factories import HomeFactory, SurvivorFactory, UserFactory
from tests.placement.helpers import accepted, placed, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*acts):
    """Run each act in its own thread and connection, released together."""
    start = threading.Barrier(len(acts))
    results: list[object] = [None] * len(acts)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = acts[i]()
        except Exception as exc:  # the test reads what each got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(acts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def shelter(db):
    return HomeFactory(
        name="Harris County Youth Shelter",
        home_type="emergency_shelter",
        intake_24_7=True,
        licensed_beds=1,
        available_beds=1,
        staff_on_duty=1,
    )


@pytest.fixture
def shelter_admin(shelter):
    user = UserFactory(username="sam", role="home_admin")
    home_admin_grant(actor=None, user=user, home=shelter)
    return user


def beds(home: Home) -> tuple[int, int]:
    home.refresh_from_db()
    return home.available_beds, home.beds_held


def test_it_transfers_once_when_the_arrival_is_confirmed_twice_at_once(
    alice, bob, mdt, home_admin, shelter_admin, survivor, shelter, home
):
    stay = placed(alice, mdt, shelter_admin, survivor, shelter)
    referral = accepted(alice, mdt, home_admin, survivor, home)
    assert beds(shelter) == (0, 0)

    results = at_once(
        lambda: referral_place(actor=alice, referral_id=referral.pk),
        lambda: referral_place(actor=bob, referral_id=referral.pk),
    )

    placements = [r for r in results if isinstance(r, Placement)]
    refusals = [r for r in results if isinstance(r, Conflict)]
    assert len(placements) == 1 and len(refusals) == 1, results
    assert refusals[0].code == "referral_placed"
    assert beds(shelter) == (1, 0)  # freed once, not twice
    assert beds(home) == (1, 0)  # two free, one filled
    stay.refresh_from_db()
    assert stay.end_reason == "transfer" and stay.transferred_to_id == placements[0].pk
    survivor.refresh_from_db()
    assert survivor.status == Status.PLACED


def test_it_never_fills_the_shelter_bed_twice_when_a_transfer_races_another_child(
    alice, mdt, home_admin, shelter_admin, survivor, shelter, home, team
):
    """The shelter's only bed: one girl leaves it for a home while another girl's
    referral there is accepted. The acceptance gets the bed only if the transfer freed
    it first; either way the shelter never holds more than it has."""
    second = SurvivorFactory(agency=alice.agency, team=team, first_name="Ana")
    second.assigned_workers.add(alice)
    waiting = referred(alice, mdt, second, shelter)  # sent while the bed was free
    placed(alice, mdt, shelter_admin, survivor, shelter)
    referral = accepted(alice, mdt, home_admin, survivor, home)
    assert beds(shelter) == (0, 0)

    transfer, acceptance = at_once(
        lambda: referral_place(actor=alice, referral_id=referral.pk),
        lambda: referral_accept(actor=shelter_admin, referral_id=waiting.pk),
    )

    assert isinstance(transfer, Placement), transfer
    waiting.refresh_from_db()
    if isinstance(acceptance, Referral):
        assert waiting.status == Referral.Status.ACCEPTED
        assert beds(shelter) == (0, 1)
    else:
        assert isinstance(acceptance, RulesFailed), acceptance
        assert {f["rule"] for f in acceptance.failed} >= {"beds"}
        assert waiting.status == Referral.Status.PENDING
        assert beds(shelter) == (1, 0)
        # Once the transfer committed, the bed is there for her.
        referral_accept(actor=shelter_admin, referral_id=waiting.pk)
        assert beds(shelter) == (0, 1)
    assert Placement.objects.filter(home=shelter, ended_at__isnull=True).count() == 0
