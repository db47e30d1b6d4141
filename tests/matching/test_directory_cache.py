from __future__ import annotations

import datetime

import pytest

from homes.services import home_update, home_update_availability
from matching.selectors import match_needs, needs_from_fields
from tests.factories import HomeFactory

NEEDS = {
    "age": 15,
    "gender": "female",
    "guardianship": "state",
    "custody_state": "KS",
    "residence_zip": "66044",
}


def feasible_ids(**changes) -> set[int]:
    from django.utils import timezone

    needs = needs_from_fields({**NEEDS, **changes}, today=timezone.localdate())
    return {r.home.id for r in match_needs(needs, limit=500).results}


@pytest.mark.django_db
def test_it_sees_a_bed_freed_a_moment_ago(home_admin, home):
    home_update_availability(actor=home_admin, home_id=home.pk, available_beds=0)
    assert home.pk not in feasible_ids()  # cached now, without the bed
    home_update_availability(actor=home_admin, home_id=home.pk, available_beds=1)
    assert home.pk in feasible_ids()


@pytest.mark.django_db
def test_it_drops_a_deactivated_home_and_picks_up_a_new_one(admin_user, home):
    assert feasible_ids() == {home.pk}
    home_update(actor=admin_user, home_id=home.pk, data={"active": False})
    newcomer = HomeFactory(name="New Haven")
    assert feasible_ids() == {newcomer.pk}


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_shows_whom_to_call_from_the_directory_and_a_closed_home_from_the_database(
    admin_user, home, django_assert_num_queries
):
    from matching.selectors import Contact, home_contacts

    closed = HomeFactory(name="Closed", active=False, intake_phone="785-555-0142")
    assert feasible_ids() == {home.pk}
    with django_assert_num_queries(0):  # the search's homes: no second read
        assert home_contacts([home.pk]) == {home.pk: Contact(home.intake_phone, home.contact_name)}
    assert home_contacts([home.pk, closed.pk])[closed.pk] == Contact(
        "785-555-0142", closed.contact_name
    )
    home_update(actor=admin_user, home_id=home.pk, data={"intake_phone": "785-555-0177"})
    feasible_ids()
    assert home_contacts([home.pk])[home.pk].intake_phone == "785-555-0177"


@pytest.mark.django_db
def test_it_prefers_a_homes_own_coordinates_over_its_zip(home):
    # 66101 is Kansas City; these coordinates put the home in Wichita, 170 miles away.
    HomeFactory(name="Wichita", latitude=37.6872, longitude=-97.3301)
    needs = needs_from_fields(
        {**NEEDS, "residence_zip": "67202"}, today=__import__("datetime").date(2026, 1, 1)
    )
    ranked = match_needs(needs, limit=5).results
    assert ranked[0].home.name == "Wichita"
    assert ranked[0].distance_miles < 5
    assert ranked[1].distance_miles > 150


@pytest.mark.django_db(transaction=True)
def test_gunicorn_loads_the_directory_once_before_it_forks_the_workers(home):
    import gc
    import runpy
    from pathlib import Path

    from django.urls import clear_url_caches, get_resolver

    from matching.selectors import directory_cache

    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    assert not directory_cache.loaded
    clear_url_caches()  # as in a fresh server: no URL configuration read yet
    try:
        config["when_ready"](None)
    finally:
        gc.unfreeze()
    assert directory_cache.loaded
    assert home.pk in directory_cache.current()
    # The views are imported once, before the fork, not at each worker's first request.
    assert "url_patterns" in vars(get_resolver())


@pytest.mark.django_db(transaction=True)
def test_a_load_started_while_django_sets_up_is_the_one_the_workers_share(home, monkeypatch):
    """gunicorn's parent starts the load before Django's setup (gunicorn.conf.py's
    raw_env, read by config/wsgi.py): the directory is read once, up to date when the
    parent forks, and no thread of the load is left running (none may cross a fork)."""
    import gc
    import runpy
    import threading
    from pathlib import Path

    from homes.models import Home
    from matching import directory
    from matching.selectors import directory_cache

    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["raw_env"] == ["HARBOR_LOAD_DIRECTORY_EARLY=1"]
    directory_cache.reset()
    loads = directory_cache.full_loads
    monkeypatch.setattr(directory, "_early_load", None)
    directory.load_while_setting_up()
    later = HomeFactory(name="Written while the app was set up")
    Home.objects.filter(pk=home.pk).update(active=False)
    try:
        directory.warm_before_fork()
    finally:
        gc.unfreeze()
    assert directory_cache.full_loads == loads + 1
    held = directory_cache.current()
    assert later.pk in held and home.pk not in held
    assert [thread.name for thread in threading.enumerate() if "directory" in thread.name] == []


@pytest.mark.django_db(transaction=True)
def test_loading_before_the_fork_runs_no_collection_and_leaves_the_collector_on(home):
    """The collector is paused while the directory is read (enough homes here for
    several passes otherwise) and until it is frozen, then on again for the workers."""
    import gc

    from homes.models import Home
    from matching.directory import warm_before_fork
    from matching.selectors import directory_cache

    Home.objects.bulk_create(HomeFactory.build_batch(2000))
    passes = []

    def count(phase, info):
        if phase == "start":
            passes.append(info["generation"])

    directory_cache.reset()
    gc.callbacks.append(count)
    try:
        warm_before_fork()
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
    assert passes == []
    assert gc.isenabled()
    assert home.pk in directory_cache.current()


@pytest.mark.django_db
def test_a_failed_load_leaves_the_collector_on(monkeypatch):
    import gc

    from matching.directory import DirectoryCache

    def broken(self):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(DirectoryCache, "_load_all", broken)
    with pytest.raises(RuntimeError):
        DirectoryCache().current()
    assert gc.isenabled()


def _homes_as_loaded(directory) -> dict[int, object]:
    return {offer.id: offer for offer in directory.offers(range(len(directory)))}


def _contacts_as_loaded(directory) -> dict[int, tuple[str, str]]:
    rows = range(len(directory))
    return dict(zip(directory.ids.tolist(), directory.contacts(rows), strict=True))


@pytest.mark.parametrize(
    "alongside", [pytest.param(True, id="words-and-half-the-numbers-elsewhere"), False]
)
@pytest.mark.django_db(transaction=True)
def test_a_full_load_holds_every_home_as_the_database_does(monkeypatch, alongside):
    """The full load reads PostgreSQL's COPY streams in pieces (here of a few rows, so
    rows and escapes fall across piece boundaries): every home it holds is the home a
    row-by-row read of the table gives, names with tabs, backslashes, line breaks and
    accents, tag sets in any order, a ZIP centroid for a home without coordinates; and
    whom to call at each, the contact names as varied, a phone or none."""
    from engine import Directory
    from homes.models import Home
    from matching import directory_copy
    from matching.directory import DirectoryCache

    names = ["Casa de la Niña", "Tab\there", "Back\\slash", "Two\nlines", "Ünïcödé 🏠", ""]
    for number, name in enumerate(names * 3):
        HomeFactory(
            name=f"{name} {number}" if number >= len(names) else name,
            state=["KS", "MO", "NE"][number % 3],
            zip_code=["66101", "64108", "68102"][number % 3],
            languages=[["en"], ["es", "en"], ["en", "es"], ["en", "vi", "es"]][number % 4],
            services=[[], ["trauma_therapy", "education"]][number % 2],
            approving_tribes=[[], ["Cherokee Nation"]][number % 2],
            intake_phone=["785-555-0100", "", "+1 (816) 555-0199 x12"][number % 3],
            contact_name=names[(number + 1) % len(names)],
        )
    HomeFactory(name="No coordinates", latitude=None, longitude=None, zip_code="66044")
    HomeFactory(name="Never updated", availability_updated_at=None, medical_level="complex")
    HomeFactory(name="Licensed", license_expires=datetime.date(2027, 3, 1), home_type="foster")
    HomeFactory(name="Old license", license_expires=datetime.date(1969, 12, 31))
    HomeFactory(name="Closed", active=False)
    monkeypatch.setattr(directory_copy, "PIECE", 97)

    cache = DirectoryCache()
    if not alongside:  # the words read on the same connection, after the numbers
        monkeypatch.setattr(DirectoryCache, "_read_elsewhere", None)
        batch = cache._read_all(alongside=False)
        loaded = Directory()
        loaded.upsert_columns(batch)
    else:
        loaded = cache.current()
    expected = Directory()
    expected.upsert_columns(cache._batch(cache._rows_without_sql_epoch())[0])

    assert _homes_as_loaded(loaded) == _homes_as_loaded(expected)
    assert len(loaded) == Home.objects.filter(active=True).count() == 22
    stored = Home.objects.filter(active=True).values_list("id", "intake_phone", "contact_name")
    assert _contacts_as_loaded(loaded) == {home: (phone, name) for home, phone, name in stored}
    assert _contacts_as_loaded(expected) == _contacts_as_loaded(loaded)
    held = {offer.name: offer for offer in _homes_as_loaded(loaded).values()}
    assert {"Tab\there", "Back\\slash", "Two\nlines", "Ünïcödé 🏠", ""} <= held.keys()
    assert held["Casa de la Niña"].languages == frozenset({"en"})
    assert held["Tab\there"].languages == frozenset({"en", "es"})
    assert held["Never updated"].availability_updated_at is None
    assert held["Licensed"].license_expires == datetime.date(2027, 3, 1)
    assert held["Old license"].license_expires == datetime.date(1969, 12, 31)


@pytest.mark.django_db(transaction=True)
def test_a_full_load_holds_homes_in_id_order_whatever_order_the_table_keeps(monkeypatch):
    """The COPYs read the table in its own order, in two halves of its blocks: homes
    written again since they were made lie out of id order, and each flag travels as a
    bit of one number. The directory holds them in id order (as a search breaks ties),
    each flag as the home has it, every home as a row-by-row read gives it."""
    from django.db import connection
    from django.db.models import F

    from engine import Directory
    from homes.models import Home
    from matching.directory import DirectoryCache
    from matching.directory_sql import FLAGS

    homes = []
    for number in range(80):
        # Each flag alone, then all of them, then none, and so on round.
        alone = number % (len(FLAGS) + 2)
        flags = {flag: alone == bit or alone == len(FLAGS) for bit, flag in enumerate(FLAGS)}
        homes.append(HomeFactory(name=f"Home {number} " + "x" * 150, **flags))
    # Written again: a new version of each row, later in the table than the homes after it.
    rewritten = [home.id for home in homes[:40:3]]
    Home.objects.filter(id__in=rewritten).update(available_beds=F("available_beds"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size('homes_home') / 8192")
        assert cursor.fetchone()[0] > 2  # rows on both sides of the halves' split
    monkeypatch.setattr(DirectoryCache, "_middle_block", staticmethod(lambda: 2))

    cache = DirectoryCache()
    loaded = cache.current()
    expected = Directory()
    expected.upsert_columns(cache._batch(cache._rows_without_sql_epoch())[0])

    assert loaded.column("id").tolist() == sorted(home.id for home in homes)
    assert _homes_as_loaded(loaded) == _homes_as_loaded(expected)
    for home in homes:
        offer = loaded.offer(loaded.row_of(home.id))
        assert {flag: getattr(offer, flag) for flag in FLAGS} == {
            flag: getattr(home, flag) for flag in FLAGS
        }


def test_a_home_read_in_both_halves_is_held_once():
    """A home written between the two halves' snapshots can come in both: the load
    keeps one row of it (the change log reads it again at the next sync)."""
    import numpy as np

    from matching.directory_copy import in_id_order

    ids = np.array([5, 1, 9, 3, 5, 2], np.int64)
    order = in_id_order(ids)
    assert ids[order].tolist() == [1, 2, 3, 5, 9]
    assert in_id_order(np.array([1, 2, 7], np.int64)) is None


@pytest.mark.django_db(transaction=True)
def test_whole_numbers_at_the_limits_of_their_columns_load_as_the_database_holds_them():
    """The counts and ages are held in 32 bits, as the database keeps them: a home at the
    top of every column (and one at the bottom) loads with the values it has, and its
    staffing headroom, a product of two of them, is computed without overflowing."""
    from engine import Directory
    from matching.directory import DirectoryCache

    top, small_top = 2**31 - 1, 2**15 - 1
    biggest = HomeFactory(
        name="Biggest",
        licensed_beds=top,
        available_beds=top,
        staff_on_duty=top,
        residents_per_staff=top,
        min_age=small_top,
        max_age=small_top,
        accepts_parenting=True,
        max_dependents=small_top,
    )
    smallest = HomeFactory(
        name="Smallest",
        licensed_beds=0,
        available_beds=0,
        staff_on_duty=0,
        residents_per_staff=1,
        min_age=0,
        max_age=0,
        accepts_parenting=True,
        max_dependents=0,
    )
    cache = DirectoryCache()
    loaded = cache.current()
    expected = Directory()
    expected.upsert_columns(cache._batch(cache._rows_without_sql_epoch())[0])

    assert _homes_as_loaded(loaded) == _homes_as_loaded(expected)
    offer = loaded.offer(loaded.row_of(biggest.id))
    assert (offer.licensed_beds, offer.available_beds, offer.staff_on_duty) == (top, top, top)
    assert (offer.residents_per_staff, offer.max_dependents) == (top, small_top)
    assert (offer.min_age, offer.max_age) == (small_top, small_top)
    row = loaded.row_of(biggest.id)
    assert int(loaded.column("staff_headroom")[row]) == top * top
    assert int(loaded.column("dependents_cap")[row]) == small_top
    low = loaded.offer(loaded.row_of(smallest.id))
    assert (low.licensed_beds, low.staff_on_duty, low.max_age, low.max_dependents) == (0, 0, 0, 0)
    assert int(loaded.column("staff_headroom")[loaded.row_of(smallest.id)]) == 0
