"""Run by tests/config/test_sqlite_concurrency.py in a process of its own, on a file-based
SQLite database already migrated (the `make demo` shape): CROWD home administrators'
requests accept CROWD referrals to one home with FREE_BEDS free beds at the same moment,
each thread on its own connection, while READERS threads read pages. Prints one JSON
line: the status codes, and the home's beds afterwards."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from pathlib import Path

import django

CROWD = 10
FREE_BEDS = 3
READERS = 4


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.tokens import token_issue
    from homes.models import Home
    from homes.services import home_admin_grant
    from tests.factories import (
        AgencyFactory,
        HomeFactory,
        SurvivorFactory,
        TeamFactory,
        UserFactory,
    )
    from tests.placement.helpers import referred

    agency = AgencyFactory(code="ks-crowd", state="KS")
    team = TeamFactory(agency=agency)
    worker = UserFactory(role="case_worker", agency=agency, team=team)
    reviewer = UserFactory(role="mdt_member", team=team)
    home = HomeFactory(licensed_beds=8, available_beds=FREE_BEDS, staff_on_duty=3)
    keeper = UserFactory(role="home_admin")
    home_admin_grant(actor=None, user=keeper, home=home)
    referral_ids = []
    for _ in range(CROWD):
        survivor = SurvivorFactory(agency=agency, team=team)
        survivor.assigned_workers.add(worker)
        referral_ids.append(referred(worker, reviewer, survivor, home).pk)
    token, _ = token_issue(user=keeper)
    connection.close()

    start = threading.Barrier(CROWD + READERS)
    statuses: list[int] = []
    reads: list[int] = []

    def accept(referral_id: int) -> None:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            start.wait()
            statuses.append(client.post(f"/api/v1/referrals/{referral_id}/accept/").status_code)
        finally:
            connection.close()

    def read() -> None:
        client = Client(raise_request_exception=False)
        client.force_login(keeper)  # a session row written: a writer too
        try:
            start.wait()
            reads.append(client.get(f"/homes/{home.pk}/manage/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(pk,)) for pk in referral_ids]
    threads += [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    home = Home.objects.get(pk=home.pk)
    print(
        json.dumps(
            {
                "accept": dict(Counter(statuses)),
                "read": dict(Counter(reads)),
                "available_beds": home.available_beds,
                "beds_held": home.beds_held,
            }
        )
    )


if __name__ == "__main__":
    main()
