"""The directory of active homes each process searches, kept current by the database.

A process loads every active home once into `engine.Directory` (numpy columns, no
Python object per home). Before each search it asks PostgreSQL which homes changed
since it last looked and re-reads only those rows.

"Which homes changed" comes from `homes.HomeChange`, a log that a trigger on
`homes_home` writes for every committed insert, update, delete or truncate, whoever
makes it (the ORM, `QuerySet.update()`, psql, the admin). Each entry carries its
transaction id, and the cache remembers the bounds of the last snapshot it read
under (`xmax` and the transactions then in progress, `xip`): every transaction
that snapshot could not see is either at or above `xmax` or in `xip`, so the next
read takes exactly those entries, in PostgreSQL's commit order. No clock is
compared, a long transaction is found when it commits, and a burst of writes is
read once. Re-reading a home is always safe (it reads the home's row as it is now),
so the bounds are taken in one statement and the rows read in the next: anything
committed in between is read twice, never missed.

The searching connection's own uncommitted writes are visible to it, and a search
inside a transaction must see them; but they may yet roll back. Homes read from the
connection's own transaction are "dirty": every later sync re-reads them, so a
rollback is undone in the cache at the next search of any thread.

On SQLite (the one-laptop demo, a few hundred homes) there is no transaction id to
read: the cache reloads the directory at every search, which takes milliseconds
there and cannot go stale.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import logging
import secrets
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import numpy as np
from django.db import connection

from core.metrics import DIRECTORY_SYNC_SECONDS, SEARCH_SECONDS
from engine import (
    Directory,
    MatchResult,
    Miss,
    SurvivorNeeds,
    excluded_order,
    failed_rules,
    match,
    shown_distance,
)
from engine.directory import CONTACT, Coded, contact_text, take
from engine.geo import zip_centroid, zip_centroids
from engine.layout import (
    BATCH_FIELDS,
    epoch_day,
    epoch_us,
)
from matching.directory_copy import LayoutError, Numbers, Words, in_id_order
from matching.directory_sql import (
    CHANGED_HOMES,
    CHANGES,
    CONTACT_COLUMNS,
    CONTACTS,
    FULL_LOAD,
    HASHED,
    MIDDLE_BLOCK,
    ROW_COLUMNS,
    SNAPSHOT,
    TAG_FIELDS,
    TAG_TEXTS,
    WORDS_COPY,
    binary_load,
    snapshot_bounds,
)

logger = logging.getLogger(__name__)

# Rows read per fetch of a full load as text.
_CHUNK = 20_000
# Room for this share more homes than loaded, so a forked worker rarely grows (copies)
# its columns when homes are added after it starts.
_SLACK = 0.05


class DirectoryCache:
    """One process's directory: a full load the first time, then only changed homes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._directory: Directory | None = None
        self._xmax = 0
        self._xip: tuple[int, ...] = ()
        self._dirty: frozenset[int] = frozenset()
        self._tags: dict[str, frozenset[str]] = {}
        # For the record (tests, logs): full loads so far, and rows the last sync read
        # (the second search after a burst of writes reads none again).
        self.full_loads = 0
        self.last_applied = 0

    @property
    def loaded(self) -> bool:
        return self._directory is not None

    def reset(self) -> None:
        with self._lock:
            self._directory = None
            self._xmax, self._xip, self._dirty = 0, (), frozenset()

    def search(self, needs: SurvivorNeeds, **options: Any) -> MatchResult:
        """Sync, then match, under one lock: a Directory is patched in place, so a search
        running beside a sync in another thread could read a half-written row."""
        with SEARCH_SECONDS.time(), self._lock:
            return match(needs, self._synced(), **options)

    def excluded(self, needs: SurvivorNeeds, *, chunk: int = 1000) -> Iterator[Miss]:
        """Every home the child is not eligible for, with every reason, for a download.

        The order (fewest failed rules, then nearest, then id) is fixed at the start;
        each home is then explained from its row as it is when its chunk is written, a
        chunk per hold of the lock, so a download of a national directory neither
        holds 250,000 explanations in memory nor keeps other searches waiting. A home
        that became eligible meanwhile is left out.
        """
        with self._lock:
            ids, distances = excluded_order(needs, self._synced())
        for start in range(0, len(ids), chunk):
            with self._lock:
                directory = self._directory
                if directory is None:
                    return
                for home_id, distance in zip(
                    ids[start : start + chunk].tolist(),
                    distances[start : start + chunk].tolist(),
                    strict=True,
                ):
                    row = directory.row_of(home_id)
                    if row is None:
                        continue
                    home = directory.offer(row)
                    failed = failed_rules(needs, home)
                    if failed:
                        yield Miss(home, shown_distance(distance), failed)

    def contacts(self, home_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(intake_phone, contact_name) of these homes, by id; homes that no longer
        exist are left out. On PostgreSQL the directory's own, as its last sync read
        them (a search's homes: no second read of the database); a home it does not
        hold (inactive) and every home elsewhere, read from the database."""
        wanted = set(home_ids)
        if not wanted:
            return {}
        found: dict[int, tuple[str, str]] = {}
        if connection.vendor == "postgresql":
            with self._lock:
                directory = self._directory
                if directory is not None:
                    held = {}
                    for home_id in wanted:
                        row = directory.row_of(home_id)
                        if row is not None:
                            held[home_id] = row
                    found = dict(zip(held, directory.contacts(held.values()), strict=True))
        missing = sorted(wanted - found.keys())
        if not missing:
            return found
        if connection.vendor != "postgresql":
            from homes.models import Home

            stored = Home.objects.filter(pk__in=missing).values_list(
                "id", "intake_phone", "contact_name"
            )
            return {home_id: (phone, name) for home_id, phone, name in stored}
        with connection.cursor() as cursor:
            cursor.execute(CONTACTS, [missing])
            found.update((home_id, (phone, name)) for home_id, phone, name in cursor.fetchall())
        return found

    def current(self) -> Directory:
        with self._lock:
            return self._synced()

    def _synced(self) -> Directory:
        if connection.vendor != "postgresql":
            self._directory = self._load()
            return self._directory
        if self._directory is None:
            self._directory = self._load()
            return self._directory
        with DIRECTORY_SYNC_SECONDS.time():
            if not self._apply_changes(self._directory):
                self._directory = self._load()
        return self._directory

    # Reading.

    def _snapshot(self, cursor: Any) -> tuple[int, tuple[int, ...], int | None]:
        cursor.execute(SNAPSHOT)
        return snapshot_bounds(*cursor.fetchone())

    def _load(self) -> Directory:
        """Every active home, read after taking the bounds the next sync starts from."""
        with _collector_paused():
            return self._load_all()

    def _load_all(self) -> Directory:
        postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            if postgres:
                xmax, xip, own = self._snapshot(cursor)
        directory = Directory()
        if postgres:
            batch = self._read_all(alongside=own is None)
            # Room first, so the columns are written once, in their final arrays.
            directory.reserve(int(len(batch["id"]) * (1 + _SLACK)) + 64)
            directory.upsert_columns(batch)
            del batch
            # Homes of this connection's own transaction were read too: re-read them later.
            self._xmax, self._xip = xmax, (*xip, own) if own is not None else xip
            self._dirty = frozenset(self._own_homes(own)) if own is not None else frozenset()
        else:
            rows = self._rows_without_sql_epoch()
            directory.upsert_columns(self._batch(rows)[0])
        directory.reserve(int(len(directory) * (1 + _SLACK)) + 64)
        self.full_loads += 1
        self.last_applied = len(directory)
        return directory

    def _read_all(self, *, alongside: bool) -> dict[str, Any]:
        """Every active, located home as one batch for Directory.upsert_columns.

        Two COPY statements, each reading what is committed when it starts, read in
        pieces straight into compact columns (directory_copy): the numbers in binary,
        the words as text. A home written between them can differ between the two or
        be in one only. Either way its change log entry lies past the bounds taken
        before both, so the next sync reads it whole again; a home in one result only
        is left out until then.

        `alongside`: the words, and the upper half of the numbers (the table's blocks
        from the middle on), are read on other connections while this one copies the
        lower half, so PostgreSQL works on them at once (a gunicorn parent loading before
        it forks). Not from inside a transaction that wrote: the other connections could
        not see those writes. The rows come in no particular order and are sorted by id
        here (in_id_order)."""
        numbers, upper, words = Numbers(), Numbers(), Words()
        seed = secrets.randbits(62)
        middle = self._middle_block() if alongside else None
        # Read on other connections meanwhile: the words, and the upper half of the
        # numbers (the lower half is read here).
        elsewhere: list[tuple[str, Numbers | Words]] = []
        if alongside:
            elsewhere.append((WORDS_COPY, words))
            if middle is not None:
                elsewhere.append((binary_load(seed, from_block=middle), upper))
        failed: list[Numbers | Words] = []
        readers = [
            threading.Thread(
                target=self._read_elsewhere, args=(sql, sink, failed), name="directory-load"
            )
            for sql, sink in elsewhere
        ]
        for reader in readers:
            reader.start()
        try:
            with connection.cursor() as cursor:
                cursor.copy_expert(binary_load(seed, to_block=middle), numbers)
                numbers.finish()
                if not alongside:
                    cursor.copy_expert(WORDS_COPY, words)
                    words.finish()
            for reader in readers:
                reader.join()
            # What another connection failed to read (logged), read here.
            for sql, sink in elsewhere:
                if any(sink is broken for broken in failed):
                    again = Words() if isinstance(sink, Words) else Numbers()
                    with connection.cursor() as cursor:
                        cursor.copy_expert(sql, again)
                    again.finish()
                    if isinstance(again, Words):
                        words = again
                    else:
                        upper = again
        except LayoutError:
            # Not the layout asked for (a server that writes a header extension, a value
            # that came out null): read every home as text, as SQLite's path does.
            logger.warning("Binary directory load did not parse; reading it as text")
            for reader in readers:
                reader.join()
            return self._read_all_as_text()
        batch: dict[str, Any] = numbers.columns()
        if middle is not None:
            above = upper.columns()
            batch = {name: np.concatenate((values, above[name])) for name, values in batch.items()}
        order = in_id_order(batch["id"])
        if order is not None:
            batch = {name: values[order] for name, values in batch.items()}
        ids = batch["id"]
        text_ids, texts = words.columns()
        order = in_id_order(text_ids)
        if order is not None:
            text_ids = text_ids[order]
            texts = {name: take(values, order) for name, values in texts.items()}
        if len(ids) != len(text_ids) or not np.array_equal(ids, text_ids):
            _, keep, keep_text = np.intersect1d(ids, text_ids, True, True)
            batch = {name: values[keep] for name, values in batch.items()}
            texts = {name: take(values, keep_text) for name, values in texts.items()}
        batch.update(texts)
        tags = self._tag_columns(batch["id"], [batch.pop(name) for name in HASHED], seed)
        if tags is None:
            logger.warning("A home's tags changed during the directory load; reading it as text")
            return self._read_all_as_text()
        batch.update(tags)
        return self._locate(batch)[0]

    def _tag_columns(
        self, ids: np.ndarray, hashes: list[np.ndarray], seed: int
    ) -> dict[str, Coded] | None:
        """Each tag field as its distinct sets and each home's code, from the homes'
        hashes: the text of each distinct set read from one home that has it. None when
        such a home's set changed since the load read its hash (read again, as text)."""
        found = [np.unique(column, return_index=True, return_inverse=True) for column in hashes]
        wanted = sorted({int(home) for _, first, _ in found for home in ids[first].tolist()})
        with connection.cursor() as cursor:
            cursor.execute(TAG_TEXTS, {"ids": wanted, "seed": seed})
            texts = {row[0]: row[1:] for row in cursor.fetchall()}
        columns = {}
        for index, (field, (distinct, first, codes)) in enumerate(
            zip(TAG_FIELDS, found, strict=True)
        ):
            values = []
            for value, home in zip(distinct.tolist(), ids[first].tolist(), strict=True):
                row = texts.get(home)
                if row is None or row[2 * index] != value:
                    return None
                values.append(self._tagset(row[2 * index + 1]))
            columns[field] = Coded(values, codes.ravel())
        return columns

    @staticmethod
    def _middle_block() -> int:
        with connection.cursor() as cursor:
            cursor.execute(MIDDLE_BLOCK)
            (middle,) = cursor.fetchone()
        return int(middle)

    @staticmethod
    def _read_elsewhere(sql: str, into: Numbers | Words, failed: list[Numbers | Words]) -> None:
        try:
            other = connection.get_new_connection(connection.get_connection_params())
        except Exception:
            logger.exception("Could not open another connection for the directory load")
            failed.append(into)
            return
        try:
            with other.cursor() as cursor:
                cursor.copy_expert(sql, into)
            into.finish()
        except Exception:
            logger.exception("Could not read part of the directory on another connection")
            failed.append(into)
        finally:
            other.close()

    def _read_all_as_text(self) -> dict[str, Any]:
        batch: dict[str, list[Any]] = {name: [] for name in (*BATCH_FIELDS, CONTACT)}
        with connection.chunked_cursor() as cursor:
            cursor.execute(FULL_LOAD)
            while rows := cursor.fetchmany(_CHUNK):
                for name, values in self._batch(rows)[0].items():
                    batch[name].extend(values)
        return batch

    @staticmethod
    def _locate(batch: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
        """Homes without coordinates (NaN) take their ZIP's centroid; those with neither
        are left out, and their ids returned (they cannot be ranked by distance or
        checked against an exclusion zone, so they are never considered)."""
        latitude = np.asarray(batch["latitude"], np.float64)  # None reads as NaN
        longitude = np.asarray(batch["longitude"], np.float64)
        batch["latitude"], batch["longitude"] = latitude, longitude
        missing = np.flatnonzero(np.isnan(latitude) | np.isnan(longitude))
        if not len(missing):
            return batch, []
        latitude, longitude = latitude.copy(), longitude.copy()
        located = np.ones(len(latitude), np.bool_)
        centroids = zip_centroids(batch["zip_code"][row] for row in missing.tolist())
        for row in missing.tolist():
            where = centroids[batch["zip_code"][row]]
            if where is None:
                located[row] = False
            else:
                latitude[row], longitude[row] = where
        batch["latitude"], batch["longitude"] = latitude, longitude
        if located.all():
            return batch, []
        rows = np.flatnonzero(located)
        unlocated = [batch["id"][i] for i in np.flatnonzero(~located).tolist()]
        return {name: take(values, rows) for name, values in batch.items()}, [
            int(home_id) for home_id in unlocated
        ]

    def _own_homes(self, own: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT home_id FROM homes_homechange "
                "WHERE txid = %s AND home_id IS NOT NULL",
                [own],
            )
            return [home_id for (home_id,) in cursor.fetchall()]

    def _apply_changes(self, directory: Directory) -> bool:
        """Patch in every home changed since the last sync; False when only a full load
        can be trusted (the table was truncated, or the log pruned past our bounds).

        The homes are read in a second statement, after the bounds: a home committed in
        between is read as it is now and again at the next sync, never missed."""
        with connection.cursor() as cursor:
            cursor.execute(CHANGES, {"xmax": self._xmax, "xip": list(self._xip)})
            entries = cursor.fetchall()
            xmax, xip, own = next(
                snapshot_bounds(row[2], row[3]) for row in entries if row[2] is not None
            )
            changed, dirty = set(self._dirty), set()
            oldest_needed = min((self._xmax, *self._xip))
            for home_id, pruned_below, bounds, _, mine in entries:
                if bounds is not None:
                    continue
                if home_id is None:
                    if pruned_below is None or pruned_below > oldest_needed:
                        return False  # truncated, or entries we needed were pruned
                    continue
                changed.add(home_id)
                if mine:
                    dirty.add(home_id)
            rows = []
            if changed:
                cursor.execute(CHANGED_HOMES, [sorted(changed)])
                rows = cursor.fetchall()
        live = [tuple(values) for _, active, *values in rows if active]
        gone = list(changed - {home_id for home_id, active, *_ in rows if active})
        columns, unlocated = self._batch(live)
        # A home whose location was cleared leaves the directory, as a deactivated one does.
        gone += unlocated
        if gone:
            directory.remove(gone)
        directory.upsert_columns(columns)
        self._xmax, self._xip = xmax, (*xip, own) if own is not None else xip
        self._dirty = frozenset(dirty)
        self.last_applied = len(changed)
        return True

    def _batch(self, rows: Sequence[Sequence[Any]]) -> tuple[dict[str, Sequence[Any]], list[int]]:
        """Rows in ROW_COLUMNS order to a batch, and the ids of the homes left out for
        want of a location (see _locate)."""
        if not rows:
            return {name: () for name in (*BATCH_FIELDS, CONTACT)}, []
        columns: dict[str, Any] = dict(zip(ROW_COLUMNS, zip(*rows, strict=True), strict=True))
        columns[CONTACT] = list(map(contact_text, *(columns.pop(name) for name in CONTACT_COLUMNS)))
        for field in TAG_FIELDS:
            columns[field] = self._tagsets(columns[field])
        return self._locate(columns)

    def _tagsets(self, texts: Sequence[str | list[str]]) -> list[frozenset[str]]:
        """Each home's tag set (JSON text, or a list where the database parsed it)."""
        try:
            # A national directory has a handful of distinct sets: parse each once,
            # then look them all up in C.
            hashed = cast(Sequence[str], texts)
            for text in set(hashed) - self._tags.keys():
                self._tagset(text)
        except TypeError:  # lists: not hashable
            return [self._tagset(text) for text in texts]
        return list(map(self._tags.__getitem__, hashed))

    def _tagset(self, text: str | list[str]) -> frozenset[str]:
        # A handful of distinct sets across a national directory: parse each once.
        key = text if isinstance(text, str) else json.dumps(sorted(text))
        found = self._tags.get(key)
        if found is None:
            values = json.loads(text) if isinstance(text, str) else text
            found = self._tags[key] = frozenset(values)
        return found

    @staticmethod
    def _rows_without_sql_epoch() -> list[tuple[Any, ...]]:
        from homes.models import Home

        computed = {
            "updated_us": ("availability_updated_at", epoch_us),
            "license_day": ("license_expires", epoch_day),
        }
        names = [computed[name][0] if name in computed else name for name in ROW_COLUMNS]
        convert = [computed[name][1] if name in computed else None for name in ROW_COLUMNS]
        return [
            tuple(
                value if to is None else to(value) for value, to in zip(row, convert, strict=True)
            )
            for row in Home.objects.filter(active=True).values_list(*names)
        ]


directory_cache = DirectoryCache()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic collector off while a full load makes a quarter of a million
    objects that all stay alive: each collection it would run meanwhile walks them and
    frees nothing (77 collections, 0.24 s of a 1.7 s load at 250,000 homes)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _libc() -> ctypes.CDLL:
    """The C library, for the allocator's own calls (glibc's; elsewhere OSError or
    AttributeError, which the callers leave as they are)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def _one_malloc_arena() -> None:
    """Every thread of this process allocates from the C allocator's one main arena.

    By default each thread that allocates gets an arena of its own: the load's reading
    threads (and the early load's) left the directory's columns and their freed pieces
    spread over several arenas, whose free pages malloc_trim could not all hand back.
    The gunicorn parent at a million homes then held 350 to 490 bytes a home from one
    start to the next; with one arena, about 350 every time. Set before any thread of
    the load starts (an arena, once made, stays); the workers inherit it, which costs
    them nothing the interpreter's lock does not already serialise."""
    try:
        _libc().mallopt(_M_ARENA_MAX, 1)
    except (OSError, AttributeError):  # not glibc: its own allocator, left as it is
        pass


# glibc's mallopt parameter for the most arenas (malloc.h).
_M_ARENA_MAX = -8


def _return_free_memory() -> None:
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to hand back this way
        pass


def _warm_zips_and_urls() -> None:
    from django.urls import get_resolver

    zip_centroid("66044")
    get_resolver().url_patterns  # noqa: B018 (imports the URL configuration)


# The full load a pre-forking server's parent started while Django set itself up
# (load_while_setting_up); warm_before_fork waits for it.
_early_load: threading.Thread | None = None


def load_while_setting_up() -> None:
    """Start the directory's full load in a thread, in a pre-forking server's parent
    before Django's setup (config/wsgi.py, when gunicorn.conf.py asks): the load's COPYs
    keep PostgreSQL busy while the parent imports the apps (a second or more), instead
    of after. The load needs no app, only the settings and a connection. Django warns
    of a query made before the apps are ready; not this one (the filter holds in this
    process only, which serves nothing until warm_before_fork has waited for it).
    PostgreSQL only: elsewhere the load reads through the models, which need the apps."""
    global _early_load
    if connection.vendor != "postgresql":
        return
    _one_malloc_arena()
    warnings.filterwarnings(
        "ignore",
        message="Accessing the database during app initialization",
        category=RuntimeWarning,
        module="django.db.backends.utils",
    )
    _early_load = threading.Thread(target=_load_early, name="directory-early-load")
    _early_load.start()


def _load_early() -> None:
    try:
        directory_cache.current()
    except Exception:  # warm_before_fork loads it again, and logs what fails then
        logger.warning("The early directory load failed; loading it again before the fork")
    finally:
        connection.close()  # this thread's: no socket is shared across the fork


def warm_before_fork() -> None:
    """Load the directory in a pre-forking server's parent (gunicorn's `when_ready`), so
    every worker shares its pages, and close the connection it used: a socket must not
    be shared across processes. A load started early (load_while_setting_up) is waited
    for, then brought up to date."""
    from django.db import connections

    # The ZIP data too, which every search and form reads, and the URL configuration
    # (every view imported), which Django otherwise reads at each worker's first request:
    # in a thread, while the directory load mostly waits for PostgreSQL (about half a
    # second less to the first search), and shared by the workers.
    _one_malloc_arena()
    zips = threading.Thread(target=_warm_zips_and_urls, name="warm-zips-urls")
    # The collector stays off until everything made here is frozen: switched on before,
    # its first pass would walk the whole directory for nothing.
    zips.start()
    if _early_load is not None:
        _early_load.join()  # its own pause of the collector ended with it
    with _collector_paused():
        try:
            directory = directory_cache.current()
            logger.info("Matching directory loaded: %d homes", len(directory))
        except Exception:  # a worker loads it at its first search instead: slower, not wrong
            logger.exception("Could not load the matching directory before forking")
        finally:
            connections.close_all()
            zips.join()  # no thread may be running when the server forks
        # Objects made so far are never freed; the collector need not walk them, which
        # would touch (and so copy) their pages in every worker.
        gc.freeze()
    # The load's pieces and temporaries are freed, but the C allocator keeps most of
    # their pages for reuse (about 170 MB at a million homes): handed back to the
    # system before the fork, the parent holds little more than the directory.
    _return_free_memory()
