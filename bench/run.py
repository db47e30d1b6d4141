"""`make bench`: the what-if search at national scale, on PostgreSQL.

Loads 1,000 → 250,000 realistic homes into a scratch database (`harbor_bench`, or
BENCH_DATABASE_URL; dropped and re-created each run), then for each size prints one
JSON line with:

- in-process, single client, through the real view (validation, directory sync,
  engine, JSON rendering) over a few hundred random survivors: `p50_ms`, `p95_ms`;
  the full excluded list (`excluded_p50_ms`/`excluded_p95_ms`) and the excluded-list
  page `?include_excluded=1&excluded_limit=200` (`excluded_page_p95_ms`, with
  `excluded_page_items_max`, the longest list it returned);
- the indexed SQL floor (bench/floor.py): the cheapest PostgreSQL query for the
  feasible ids, on a copy of homes_home with two partial covering indexes, checked
  to return exactly the engine's feasible set (every survivor at the smallest size,
  `--verify` of them at the others; a difference stops the bench):
  `floor_p50_ms`, `floor_p95_ms`, `ratio_to_floor_p50`, `floor_index_only_share`;
- the real app under gunicorn (bench/server.py; `--workers`, default 2), unless
  `--no-server`: `cold_start_ms` (spawn to the first 200 of a search),
  `workers_ready_ms` (every worker done preloading), `worker_private_mb` /
  `worker_pss_mb` (max over workers after the first searches),
  `worker_private_after_excluded_mb` (after excluded-list pages over HTTP),
  `worker_private_after_load_mb`, `parent_private_mb` / `parent_bytes_per_home` (the
  master's resident memory as it forked, shared pages included: see bench/server.py),
  `parent_peak_rss_mb`, and for concurrency 1/4/16 over `--duration` s,
  `search_rps_cN` (POST /api/v1/match/, random bodies) and `trivial_rps_cN`
  (GET /api/v1/notifications/unread-count/, the cheapest authenticated endpoint),
  with p50/p95 latencies; the two take turns, and at 16 clients each runs five
  times (the median run reported, `*_rps_c16_runs` all five).

`--reuse-homes` keeps the homes between runs, and between trees sharing a PostgreSQL
(generating 1,000,000 takes about 17 minutes here): per size, a template database
`<scratch>_tpl_<size>` (bench/data.py) holds the migrated schema and that size's homes
exactly as a run without the flag draws them (same seed, drawn after the same bodies:
a template made with another `--survivors` is refused). Each size's scratch database
is then a file copy of its template (`CREATE DATABASE ... TEMPLATE`), migrated to this
tree's schema, and the run goes on as without the flag (user, token, stored children,
floor, measurements); a size without a template is generated on the largest smaller
one (or on nothing) and saved as one. Each size is measured on a fresh copy, so no
rows a smaller size's measurements wrote are there. The homes are as old as their
template (a template older than a day is made anew); the line says
`homes_from_template`, `homes_template`, `homes_generated_at`, `homes_generated` (drawn
in this run), `template_clone_s`, and `homes_template_matches_generator` (this tree
draws the template's first 200 homes alike); `load_s` is null for copied homes.

The machine has 2 cores shared by the client, gunicorn and PostgreSQL: the server
numbers are what those cores give all three together, and the client is lean
(precomputed bodies, http.client, threads); `*_client_cpu_pct_c16` shows its share.

    make bench                              # all sizes
    make bench BENCH_ARGS="--sizes 1000 10000 --survivors 100"
    make bench BENCH_ARGS="--sizes 100000 --no-server"
    make bench BENCH_ARGS="--sizes 250000 1000000 --reuse-homes"
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import secrets
import signal
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Import bench modules as `bench.x`, never as top-level names that could shadow others.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/harbor_bench")
os.environ["DATABASE_URL"] = BENCH_DB
# Production-like settings: DEBUG would record every query and slow the numbers.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The in-process paths (bench/paths.py) go through Django's test client: its host name,
# plain HTTP, and static files without the collected manifest.
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")

from bench import data, floor, paths, server  # noqa: E402

USERNAME = "bench"
# A template's homes are as old as the template: past a day, homes fresh when drawn
# (updated up to two days before) start to cross the engine's 72 hours, so it is made anew.
TEMPLATE_MAX_AGE_S = 86400
# The server's fields, null with --no-server.
SERVER_FIELDS = [
    "cold_start_ms",
    "worker_private_mb",
    "worker_pss_mb",
    "worker_private_after_excluded_mb",
    "search_rps_c16",
    "survivor_api_rps_c16",
    "trivial_rps_c16",
    "parent_private_mb",
    "parent_bytes_per_home",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_in_process(homes: int, bodies: list[dict], excluded_bodies: list[dict]) -> dict:
    """Single client, through the real view."""
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.models import User
    from matching.apis import what_if_match
    from matching.selectors import directory_cache

    user = User.objects.get(username=USERNAME)
    factory = APIRequestFactory()

    def search(body: dict, query: str = "") -> tuple[float, object]:
        request = factory.post(f"/api/v1/match/{query}", body, format="json")
        force_authenticate(request, user=user)
        started = time.perf_counter()
        response = what_if_match(request)
        response.render()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed, response

    directory_cache.reset()
    started = time.perf_counter()
    directory_cache.current()
    cold_load_ms = (time.perf_counter() - started) * 1000
    search(bodies[0])  # warm caches (ZIP table, code paths)

    default = [search(body)[0] for body in bodies]
    excluded = [search(body, "?include_excluded=1")[0] for body in excluded_bodies]
    page, page_items = [], 0
    for body in excluded_bodies:
        elapsed, response = search(body, "?include_excluded=1&excluded_limit=200")
        page.append(elapsed)
        page_items = max(page_items, len(response.data["excluded"]))

    return {
        "homes": homes,
        "searches": len(bodies),
        "p50_ms": round(statistics.median(default), 2),
        "p95_ms": round(percentile(default, 0.95), 2),
        "excluded_searches": len(excluded_bodies),
        "excluded_p50_ms": round(statistics.median(excluded), 1),
        "excluded_p95_ms": round(percentile(excluded, 0.95), 1),
        "excluded_page_p50_ms": round(statistics.median(page), 1),
        "excluded_page_p95_ms": round(percentile(page, 0.95), 1),
        "excluded_page_items_max": page_items,
        "cold_load_ms": round(cold_load_ms),
    }


def get_token(password: str, device) -> str:
    """Sign in over HTTP once, against a one-worker server on the still empty directory
    (the token outlives the server; it also proves the server starts at all)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    with server.Gunicorn(ROOT, BENCH_DB, 1) as running:
        return server.fetch_token(running, USERNAME, password, otp=f"{totp.token():06d}")


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the `with`: gunicorn is stopped


def set_up(args, bodies: list[dict]):
    """On the scratch database as it stands (homes or none): the schema brought up to
    this tree's, a case worker of an agency as a real one is made (her children stored),
    her token, her stored children, and the floor's connection."""
    import psycopg2
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from accounts.models import Authenticator, User

    call_command("migrate", verbosity=0)
    loader = MigrationLoader(connection)
    unknown = set(loader.applied_migrations) - set(loader.disk_migrations)
    if unknown:  # a template migrated by a newer tree: its schema is not this tree's
        raise SystemExit(f"the scratch database has migrations this tree lacks: {sorted(unknown)}")
    # Never a leading "-": add_user's argument parser would read it as an option (a run
    # failed so, "--password: expected one argument", about one start in 64).
    password = "p" + secrets.token_urlsafe(24)
    call_command(
        "add_user", USERNAME, password=password, role="case_worker", agency="BENCH",
        stdout=io.StringIO(),
    )  # fmt: skip
    user = User.objects.get(username=USERNAME)
    # The server runs as production does, multi-factor sign-in on: the bench user signs in
    # with a code from an enrolled authenticator, as an API client would.
    device = Authenticator.objects.create(user=user, name="bench", confirmed=True)
    token = None if args.no_server else get_token(password, device)
    survivor_ids = paths.create_survivors(user, bodies, args.stored_survivors)
    floor_conn = psycopg2.connect(BENCH_DB)
    floor_conn.autocommit = True
    return user, device, token, survivor_ids, floor_conn


def homes_from_templates(size: int, bodies: int, rng: random.Random, start: tuple, now) -> dict:
    """--reuse-homes: the scratch database made anew holding `size` homes, copied from
    their template, else generated on the largest smaller template (or on nothing) and
    saved as one. `start` is the rng's state as the homes begin (after the bodies), `now`
    this run's clock. Returns the JSON line's fields saying where the homes came from."""
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()  # nothing of ours may hold the scratch database
    found = data.templates(BENCH_DB)
    if size in found and found[size]["bodies"] != bodies:
        raise SystemExit(
            f"{data.template_name(BENCH_DB, size)}'s homes were drawn after "
            f"{found[size]['bodies']} bodies, this run's after {bodies}: they would differ "
            f"(run with --survivors {found[size]['bodies']})"
        )
    made = {
        have: info
        for have, info in found.items()
        if have <= size
        and info["bodies"] == bodies
        and time.time() - info["made_at"] < TEMPLATE_MAX_AGE_S
    }
    base = max(made, default=0)
    started = time.perf_counter()
    if base:
        data.recreate_database(BENCH_DB, data.template_name(BENCH_DB, base))
        homes_now = datetime.fromisoformat(made[base]["homes_now"])
        data.rng_restore(rng, made[base]["rng"])
    else:
        data.recreate_database(BENCH_DB)
        homes_now = now
        rng.setstate(start)
    clone_s = time.perf_counter() - started
    digest = data.rows_digest(start, homes_now)
    fields = {
        "homes_from_template": base == size,
        "homes_template": data.template_name(BENCH_DB, base) if base else None,
        "homes_generated_at": homes_now.isoformat(),
        "homes_generated": size - base,
        "homes_template_matches_generator": made[base]["digest"] == digest if base else None,
        "template_clone_s": round(clone_s, 1) if base else None,
        "load_s": None,
    }
    if base == size:
        return fields
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data.load_homes(size - base, base, rng, homes_now)
    fields["load_s"] = round(time.perf_counter() - started, 1)
    connections.close_all()
    saved = {
        "bodies": bodies,
        "homes_now": homes_now.isoformat(),
        "rng": data.rng_saved(rng),
        "digest": made[base]["digest"] if base else digest,
        "made_at": time.time(),
    }
    fields["homes_template_saved"] = data.save_template(BENCH_DB, size, saved)
    return fields


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 250000])
    parser.add_argument("--survivors", type=int, default=300)
    parser.add_argument("--excluded-survivors", type=int, default=30)
    parser.add_argument(
        "--verify",
        type=int,
        default=20,
        help="survivors checked against the floor above the smallest size (all at the smallest)",
    )
    parser.add_argument(
        "--rounds", type=int, default=60, help="interleaved rounds of the real paths"
    )
    parser.add_argument("--stored-survivors", type=int, default=40)
    parser.add_argument("--no-server", action="store_true", help="skip the gunicorn part")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run")
    parser.add_argument(
        "--reuse-homes",
        action="store_true",
        help="copy each size's homes from its template database, made when missing",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)

    import django

    django.setup()
    from django.utils import timezone

    from matching.selectors import needs_from_fields

    sizes = sorted(args.sizes)
    rng = random.Random(250_000)
    bodies = [data.random_body(rng) for _ in range(args.survivors)]
    homes_start = rng.getstate()  # the homes are drawn from here on
    now = timezone.now()
    today = timezone.localdate()
    all_needs = [needs_from_fields(body, today=today) for body in bodies]
    floor_conn = None
    if not args.reuse_homes:
        data.recreate_database(BENCH_DB)
        user, device, token, survivor_ids, floor_conn = set_up(args, bodies)
    loaded = 0
    try:
        for size in sizes:
            if args.reuse_homes:
                if floor_conn is not None:
                    floor_conn.close()
                homes = homes_from_templates(size, args.survivors, rng, homes_start, now)
                user, device, token, survivor_ids, floor_conn = set_up(args, bodies)
            else:
                started = time.perf_counter()
                data.load_homes(size - loaded, loaded, rng, now)
                load_s = round(time.perf_counter() - started, 1)
                homes = {"homes_from_template": False, "load_s": load_s}
                loaded = size
            floor_build_s = floor.build(floor_conn)

            line = time_in_process(size, bodies, bodies[: args.excluded_survivors])
            measured = floor.measure(floor_conn, all_needs)
            checked = all_needs if size == sizes[0] else all_needs[: args.verify]
            line["floor_verified"] = floor.verify(floor_conn, checked, size)
            floor_p50 = measured["p50"]
            line["floor_p50_ms"] = round(floor_p50, 2)
            line["floor_p95_ms"] = round(percentile(measured["timings"], 0.95), 2)
            line["ratio_to_floor_p50"] = round(line["p50_ms"] / floor_p50, 2)
            line["floor_index_only_share"] = floor.index_only_share(floor_conn, all_needs[:50])
            line["floor_index_mb"] = floor.index_size_mb(floor_conn)
            line.update(
                paths.time_real_paths(
                    user, device, survivor_ids, bodies, floor_conn, rounds=args.rounds
                )
            )

            if args.no_server:
                line.update(dict.fromkeys(SERVER_FIELDS))
            else:
                line.update(
                    server.run(
                        ROOT,
                        BENCH_DB,
                        homes=size,
                        token=token,
                        bodies=bodies,
                        survivor_ids=survivor_ids,
                        workers=args.workers,
                        duration=args.duration,
                    )
                )
            line.update(homes)
            line["floor_build_s"] = round(floor_build_s, 1)
            print(json.dumps(line), flush=True)
    finally:
        if floor_conn is not None:
            floor_conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
