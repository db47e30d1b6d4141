"""A bed is never held twice, whatever the concurrency: real parallel connections on
PostgreSQL, each thread with its own database connection and transaction."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from core.errors import Conflict
from homes.models import AvailabilityChange, Home
from placement.models import Recommendation, Referral
from placement.services import referral_accept
from survivors.models import Survivor
from tests.factories import HomeFactory, years_before

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50
FREE_BEDS = 5


class Crowd:
    """THREADS worker threads that live across rounds, each on its own connection.

    Every round they wait at a barrier, then all call `act(i)` at once.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.start = threading.Barrier(size + 1)
        self.done = threading.Barrier(size + 1)
        self.act: Callable[[int], object] | None = None
        self.results: list[object] = [None] * size
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(size)]
        for thread in self.threads:
            thread.start()

    def _run(self, i: int) -> None:
        try:
            while True:
                self.start.wait()
                if self.act is None:
                    return
                try:
                    self.results[i] = self.act(i)
                except Exception as exc:  # recorded, and the test fails on it
                    self.results[i] = ("error", repr(exc))
                self.done.wait()
        finally:
            connection.close()

    def round(self, act: Callable[[int], object]) -> list[object]:
        self.act = act
        self.results = [None] * self.size
        self.start.wait()
        self.done.wait()
        return list(self.results)

    def stop(self) -> None:
        self.act = None
        self.start.wait()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.fixture
def crowd():
    crowd = Crowd(THREADS)
    yield crowd
    crowd.stop()


def referrals_to(home: Home, worker, team, dependents: list[int]) -> list[int]:
    """One pending referral per child (fast: rows, not the whole workflow)."""
    tag = f"{home.pk}-{time.monotonic_ns()}"
    survivors = Survivor.objects.bulk_create(
        [
            Survivor(
                case_number=f"C-{tag}-{i}",
                first_name="Child",
                last_name=str(i),
                date_of_birth=years_before(timezone.localdate(), 15),
                gender="female",
                guardianship="state",
                custody_state="KS",
                residence_zip="66101",
                dependents=n,
                status="referred",
                agency_id=worker.agency_id,
                team=team,
            )
            for i, n in enumerate(dependents)
        ]
    )
    recommendations = Recommendation.objects.bulk_create(
        [
            Recommendation(
                survivor=s,
                home=home,
                team=team,
                quorum=1,
                proposed_by=worker,
                rationale="Concurrency test.",
                status="approved",
                searched_at=timezone.now(),
                needs={},
                home_profile={},
                rank=1,
                score=50.0,
                breakdown=[],
                feasible_count=1,
            )
            for s in survivors
        ]
    )
    referrals = Referral.objects.bulk_create(
        [
            Referral(
                recommendation=r,
                survivor=r.survivor,
                home=home,
                referred_by=worker,
                beds=1 + r.survivor.dependents,
            )
            for r in recommendations
        ]
    )
    return [r.pk for r in referrals]


def accept_as(home_admin, referral_ids: list[int]):
    def act(i: int):
        try:
            referral_accept(actor=home_admin, referral_id=referral_ids[i])
            return "accepted"
        except Conflict as exc:
            return ("conflict", exc.code, tuple(f["rule"] for f in getattr(exc, "failed", ())))

    return act


def assert_never_overheld(home: Home, referral_ids: list[int]) -> None:
    home.refresh_from_db()
    held = Referral.objects.filter(pk__in=referral_ids, status="accepted")
    assert home.available_beds >= 0
    assert home.available_beds + home.beds_held <= home.licensed_beds
    assert home.beds_held == sum(held.values_list("beds", flat=True))
    assert AvailabilityChange.objects.filter(home=home, source="hold").count() == held.count()
    assert (
        Referral.objects.filter(pk__in=referral_ids, status="pending").count()
        == len(referral_ids) - held.count()
    )


def test_it_holds_exactly_the_free_beds_under_50_concurrent_acceptances(
    crowd, alice, team, home_admin, capsys
):
    started = time.monotonic()
    log = []
    for round_number in range(1, 21):
        # Staff for every licensed bed: only the beds run out.
        home = HomeFactory(
            name=f"Round {round_number}", licensed_beds=8, available_beds=FREE_BEDS, staff_on_duty=3
        )
        home_admin_grant(home_admin, home)
        referral_ids = referrals_to(home, alice, team, [0] * THREADS)

        results = crowd.round(accept_as(home_admin, referral_ids))

        tally = Counter(r if isinstance(r, str) else r[0] for r in results)
        log.append((round_number, tally["accepted"], tally["conflict"], tally["error"]))
        assert tally == {"accepted": FREE_BEDS, "conflict": THREADS - FREE_BEDS}, results
        # Each loser is told the beds rule failed on the live row, under the home's lock.
        assert {r[1:] for r in results if r != "accepted"} == {("rules_failed", ("beds",))}
        assert_never_overheld(home, referral_ids)
        assert (home.available_beds, home.beds_held) == (0, FREE_BEDS)

    with capsys.disabled():
        print(f"\n50 acceptances x 20 rounds in {time.monotonic() - started:.1f} s:")
        for round_number, ok, conflicts, errors in log:
            print(f"  round {round_number:2}: {ok} accepted, {conflicts} conflict, {errors} error")


def test_it_never_overholds_when_a_parenting_youth_competes_with_single_children(
    crowd, alice, team, home_admin, capsys
):
    outcomes = Counter()
    for round_number in range(1, 11):
        home = HomeFactory(
            name=f"Parenting {round_number}",
            licensed_beds=8,
            available_beds=FREE_BEDS,
            accepts_parenting=True,
            max_dependents=1,
            staff_on_duty=3,
        )
        home_admin_grant(home_admin, home)
        # The parenting youth (2 beds) stands at a different place in the crowd each round.
        dependents = [0] * THREADS
        dependents[(round_number * 7) % THREADS] = 1
        referral_ids = referrals_to(home, alice, team, dependents)

        results = crowd.round(accept_as(home_admin, referral_ids))

        assert all(r == "accepted" or r[0] == "conflict" for r in results), results
        parent_won = results[dependents.index(1)] == "accepted"
        accepted = sum(r == "accepted" for r in results)
        # Beds 5: the parent and 3 children, or 5 children (the parent refused with 1 left
        # or after the beds were gone).
        assert accepted == (4 if parent_won else 5)
        assert_never_overheld(home, referral_ids)
        assert (home.available_beds, home.beds_held) == (0, FREE_BEDS)
        outcomes["parent accepted" if parent_won else "parent refused"] += 1
    with capsys.disabled():
        print(f"\nparenting youth vs 49 single children, 10 rounds: {dict(outcomes)}")


def test_it_answers_409_to_every_loser_through_the_api(crowd, alice, team, home_admin):
    home = HomeFactory(name="Over HTTP", licensed_beds=8, available_beds=FREE_BEDS, staff_on_duty=3)
    home_admin_grant(home_admin, home)
    referral_ids = referrals_to(home, alice, team, [0] * THREADS)
    key, _ = token_issue(user=home_admin)

    def act(i: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = client.post(f"/api/v1/referrals/{referral_ids[i]}/accept/")
        return response.status_code, response.json()

    results = crowd.round(act)

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: FREE_BEDS, 409: THREADS - FREE_BEDS}, results
    refusals = [body for status, body in results if status == 409]
    assert all(body["code"] == "rules_failed" for body in refusals)
    assert all([f["rule"] for f in body["failed"]] == ["beds"] for body in refusals)
    assert "Over HTTP no longer fits this child: Needs 1 bed; none free" in refusals[0]["detail"]
    assert_never_overheld(home, referral_ids)


def home_admin_grant(user, home: Home) -> None:
    from homes.services import home_admin_grant as grant

    grant(actor=None, user=user, home=home)


def test_it_holds_beds_for_a_child_at_one_home_only_when_three_accept_at_once(
    crowd, alice, team, home_admin
):
    for round_number in range(1, 6):
        homes = [HomeFactory(name=f"Race {round_number}-{n}") for n in range(3)]
        for home in homes:
            home_admin_grant(home_admin, home)
        survivor_referrals = [referrals_to(home, alice, team, [0])[0] for home in homes]
        # One child, three homes: re-point the three referrals at the first one's child.
        child = Referral.objects.get(pk=survivor_referrals[0]).survivor_id
        Referral.objects.filter(pk__in=survivor_referrals).update(survivor_id=child)

        def act(i: int, ids=tuple(survivor_referrals)):
            if i >= 3:
                return "idle"
            try:
                referral_accept(actor=home_admin, referral_id=ids[i])
                return "accepted"
            except Conflict as exc:
                return exc.code

        results = crowd.round(act)[:3]

        assert sorted(results) == ["accepted", "referral_withdrawn", "referral_withdrawn"]
        held = Referral.objects.filter(survivor_id=child, status="accepted")
        assert held.count() == 1
        assert (
            sum(
                Home.objects.filter(pk__in=[h.pk for h in homes]).values_list(
                    "beds_held", flat=True
                )
            )
            == 1
        )
