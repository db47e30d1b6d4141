"""Issued case numbers stay unique when many intakes arrive at once: real parallel
connections on PostgreSQL, each thread with its own connection and transaction."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from survivors.models import Survivor
from survivors.services import survivor_create
from tests.factories import AgencyFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12


def test_it_issues_distinct_case_numbers_to_parallel_intakes():
    agency = AgencyFactory(code="tx-dfps", state="TX")
    team = TeamFactory(agency=agency)
    workers = [UserFactory(role="case_worker", agency=agency, team=team) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def intake(i: int) -> None:
        try:
            start.wait()
            survivor = survivor_create(
                actor=workers[i],
                data={
                    "case_number": "",
                    "estimated_age": 15,
                    "gender": "female",
                    "guardianship": "state",
                    "custody_state": "TX",
                    "residence_zip": "77002",
                },
            )
            results[i] = survivor.case_number
        except Exception as exc:  # recorded: the test fails on it
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=intake, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    year = timezone.localdate().year
    assert sorted(results) == [f"TX-DFPS-{year}-{n:05d}" for n in range(1, THREADS + 1)]
    assert Survivor.objects.filter(agency=agency).count() == THREADS
