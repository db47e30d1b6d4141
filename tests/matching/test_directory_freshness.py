"""Every committed write to a home, by any path, is in the next search of every process.

Two separate processes hold their own directories, as gunicorn workers do
(`directory_process.py`), on the test database; this test writes the way people and
programs do — the services, `QuerySet.update()`, psql, a long transaction, a host
whose clock runs fast, a burst of 20,000 rows — and asks both what a search lists.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from django.db import connection, transaction

from homes.jobs import home_changes_prune
from homes.models import Home, HomeChange
from homes.services import home_update_availability
from matching.directory import DirectoryCache, directory_cache
from matching.directory_sql import snapshot_bounds
from tests.factories import HomeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Process:
    """One process with its own directory, answering `listed HOME_ID`."""

    def __init__(self) -> None:
        env = {**os.environ, "DATABASE_URL": database_url()}
        self.popen = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/matching/directory_process.py")],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.popen.stdout.readline().strip() == "ready"

    def ask(self, home_id: int) -> dict:
        self.popen.stdin.write(f"listed {home_id}\n")
        self.popen.stdin.flush()
        return json.loads(self.popen.stdout.readline())

    def close(self) -> None:
        self.popen.stdin.close()
        self.popen.wait(timeout=30)


@pytest.fixture
def processes():
    started = [Process(), Process()]
    try:
        yield started
    finally:
        for process in started:
            process.close()


@pytest.fixture
def psql():
    """A connection of its own, as an administrator in psql has (autocommit)."""
    conn = psycopg2.connect(database_url())
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def listed_everywhere(processes, home_id: int) -> list[bool]:
    return [process.ask(home_id)["listed"] for process in processes]


def test_a_write_in_psql_or_by_queryset_update_is_in_the_next_search(processes, psql):
    by_psql, by_update = HomeFactory(), HomeFactory()
    assert listed_everywhere(processes, by_psql.pk) == [True, True]  # loaded, and cached

    with psql.cursor() as cursor:
        cursor.execute("UPDATE homes_home SET available_beds = 0 WHERE id = %s", [by_psql.pk])
    Home.objects.filter(pk=by_update.pk).update(available_beds=0)

    assert listed_everywhere(processes, by_psql.pk) == [False, False]
    assert listed_everywhere(processes, by_update.pk) == [False, False]
    assert [p.ask(by_psql.pk)["full_loads"] for p in processes] == [1, 1]  # patched, not reloaded


def test_a_changed_intake_phone_is_shown_with_the_next_search(processes, psql):
    home = HomeFactory(intake_phone="785-555-0100")
    assert [p.ask(home.pk)["phone"] for p in processes] == ["785-555-0100"] * 2  # and kept
    with psql.cursor() as cursor:
        cursor.execute(
            "UPDATE homes_home SET intake_phone = %s WHERE id = %s", ["785-555-0199", home.pk]
        )
    assert [p.ask(home.pk)["phone"] for p in processes] == ["785-555-0199"] * 2


def test_a_long_transaction_is_seen_when_it_commits_whatever_its_timestamps(processes, psql):
    slow, other = HomeFactory(), HomeFactory(available_beds=0)
    assert listed_everywhere(processes, slow.pk) == [True, True]

    long = psycopg2.connect(database_url())
    try:
        with long.cursor() as cursor:
            # It stamps an hour-old modified_at and holds its transaction open ...
            cursor.execute(
                "UPDATE homes_home SET available_beds = 0, "
                "modified_at = now() - interval '1 hour' WHERE id = %s",
                [slow.pk],
            )
        # ... while others write and search.
        home_update_availability(actor=None, home_id=other.pk, available_beds=2)
        assert listed_everywhere(processes, other.pk) == [True, True]
        assert listed_everywhere(processes, slow.pk) == [True, True]  # not committed yet
        long.commit()
    finally:
        long.close()

    assert listed_everywhere(processes, slow.pk) == [False, False]
    assert listed_everywhere(processes, slow.pk) == [False, False]  # and it stays so


def test_a_host_whose_clock_runs_fast_hides_no_later_write(processes, psql):
    fast, later = HomeFactory(), HomeFactory()
    assert listed_everywhere(processes, later.pk) == [True, True]
    with psql.cursor() as cursor:
        cursor.execute(
            "UPDATE homes_home SET staff_on_duty = 3, "
            "modified_at = now() + interval '30 seconds' WHERE id = %s",
            [fast.pk],
        )
    home_update_availability(actor=None, home_id=later.pk, available_beds=0)
    assert listed_everywhere(processes, later.pk) == [False, False]


def test_a_home_deleted_in_psql_or_deactivated_leaves_every_search(processes, psql):
    deleted, deactivated = HomeFactory(), HomeFactory()
    assert listed_everywhere(processes, deleted.pk) == [True, True]
    with psql.cursor() as cursor:
        cursor.execute("DELETE FROM homes_home WHERE id = %s", [deleted.pk])
        cursor.execute("UPDATE homes_home SET active = false WHERE id = %s", [deactivated.pk])
    assert [p.ask(deleted.pk)["beds"] for p in processes] == [None, None]
    assert [p.ask(deactivated.pk)["beds"] for p in processes] == [None, None]


def test_a_burst_of_20000_homes_is_read_once(processes, psql):
    template = HomeFactory()
    assert listed_everywhere(processes, template.pk) == [True, True]
    columns = [f.column for f in Home._meta.concrete_fields if f.column not in {"id", "name"}]
    with psql.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO homes_home (name, {', '.join(columns)}) "  # noqa: S608
            f"SELECT 'Burst ' || n, {', '.join(columns)} "
            "FROM homes_home, generate_series(1, 20000) AS n WHERE id = %s",
            [template.pk],
        )
        cursor.execute("SELECT max(id) FROM homes_home")
        (newest,) = cursor.fetchone()

    first = [p.ask(newest) for p in processes]
    assert [(a["listed"], a["applied"]) for a in first] == [(True, 20000)] * 2
    again = [p.ask(newest) for p in processes]
    assert [a["applied"] for a in again] == [0, 0]

    with psql.cursor() as cursor:
        cursor.execute("UPDATE homes_home SET available_beds = 0 WHERE name LIKE 'Burst %%'")
    after = [p.ask(newest) for p in processes]
    assert [(a["listed"], a["applied"]) for a in after] == [(False, 20000)] * 2
    assert [p.ask(newest)["applied"] for p in processes] == [0, 0]
    assert [p.ask(newest)["full_loads"] for p in processes] == [1, 1]


def feasible(home_id: int) -> bool:
    from django.utils import timezone

    from matching.selectors import match_needs, needs_from_fields

    needs = needs_from_fields(
        {"age": 15, "gender": "female", "guardianship": "parent", "custody_state": "KS"},
        today=timezone.localdate(),
    )
    return any(r.home.id == home_id for r in match_needs(needs, limit=1000).results)


class Rollback(Exception):
    pass


def test_its_own_write_is_searched_and_a_rollback_undone():
    home = HomeFactory()
    assert feasible(home.pk)
    with pytest.raises(Rollback), transaction.atomic():
        Home.objects.filter(pk=home.pk).update(available_beds=0)
        assert not feasible(home.pk)  # a search in the same transaction sees the write
        raise Rollback
    assert feasible(home.pk)  # and the cache forgets it when it rolls back


def test_a_write_after_its_own_last_search_is_read_when_it_commits():
    first, second = HomeFactory(), HomeFactory()
    assert feasible(second.pk)
    with transaction.atomic():
        Home.objects.filter(pk=first.pk).update(available_beds=0)
        assert not feasible(first.pk)
        Home.objects.filter(pk=second.pk).update(available_beds=0)  # after that search
    assert not feasible(second.pk)


def wait_until_every_snapshot_sees(txid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            if cursor.fetchone()[0] > txid or time.monotonic() > deadline:
                return
            time.sleep(0.1)


def test_pruning_the_log_reloads_only_a_directory_that_needed_what_was_pruned():
    home = HomeFactory()
    behind, current = DirectoryCache(), DirectoryCache()
    behind.current(), current.current()
    Home.objects.filter(pk=home.pk).update(available_beds=0)  # behind has not read this
    # "Current" must have read it with no older transaction still running anywhere on the
    # server: transaction ids are the whole server's, so one open in another database (a
    # parallel test run) would leave its snapshot needing entries older than the update,
    # and the prune below would rightly send it to a full reload too.
    update = HomeChange.objects.filter(home_id=home.pk).order_by("-txid").first()
    assert update is not None
    wait_until_every_snapshot_sees(update.txid)
    current.current()
    # Entries of transactions some snapshot may still see stay. Transaction ids are the
    # whole server's, so a transaction open in another database (a parallel test run)
    # holds them back for a moment: prune again until it has passed.
    pruned, deadline = 0, time.monotonic() + 60
    while HomeChange.objects.filter(home_id=home.pk).exists() and time.monotonic() < deadline:
        pruned += home_changes_prune(keep=datetime.timedelta(0))
        time.sleep(0.1)
    assert pruned > 0
    assert not HomeChange.objects.filter(home_id=home.pk).exists()

    current.current()
    assert current.full_loads == 1  # it had read everything pruned
    directory = behind.current()
    assert behind.full_loads == 2  # it had not: a whole reload, not a missed change
    assert directory.column("available_beds")[directory.row_of(home.pk)] == 0


def test_a_truncated_table_reloads_the_directory(psql):
    home = HomeFactory()
    assert feasible(home.pk)
    loads = directory_cache.full_loads
    with psql.cursor() as cursor:
        cursor.execute("TRUNCATE homes_home CASCADE")  # no rows named: the trigger leaves a marker
    newcomer = HomeFactory()
    assert feasible(newcomer.pk)
    assert not feasible(home.pk)
    assert directory_cache.full_loads == loads + 1


def test_a_home_whose_location_is_cleared_in_psql_leaves_the_directory(psql):
    home = HomeFactory(latitude=39.1, longitude=-94.6)
    assert feasible(home.pk)
    with psql.cursor() as cursor:
        # No coordinates and a ZIP with no centroid: it can no longer be located.
        cursor.execute(
            "UPDATE homes_home SET latitude = NULL, longitude = NULL, zip_code = '00000' "
            "WHERE id = %s",
            [home.pk],
        )
    assert not feasible(home.pk)
    assert directory_cache.current().row_of(home.pk) is None


@pytest.mark.parametrize(
    "snapshot, own, bounds",
    [
        ("100:100:", None, (100, (), None)),
        ("100:140:100,117,139", 141, (140, (100, 117, 139), 141)),
    ],
)
def test_snapshot_bounds_are_read_from_postgresqls_text(snapshot, own, bounds):
    """xmax and every transaction in progress: a transaction left out of xip would be
    skipped when it commits, and its homes never re-read."""
    assert snapshot_bounds(snapshot, own) == bounds


def test_the_bounds_parsed_are_the_snapshots_own():
    """With a transaction in progress on another connection and a later one committed,
    so xip is not empty."""
    other = psycopg2.connect(database_url())
    try:
        with other.cursor() as busy:
            busy.execute("SELECT pg_current_xact_id()::text::bigint")
            (running,) = busy.fetchone()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # commits (autocommit)
            cursor.execute(
                "SELECT pg_snapshot_xmax(s)::text::bigint, "
                "ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x ORDER BY x), "
                "pg_current_snapshot()::text FROM pg_current_snapshot() AS s"
            )
            xmax, xip, text = cursor.fetchone()
    finally:
        other.close()
    assert running in xip
    assert snapshot_bounds(text, None)[:2] == (xmax, tuple(xip))
