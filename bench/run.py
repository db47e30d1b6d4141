"""`make bench`: the what-if search at national scale, on PostgreSQL.

Loads 1,000 → 250,000 realistic homes into a scratch database (`harbor_bench`,
dropped and re-created each run), then for each size times POST /api/v1/match/
through the real view (validation, directory sync, engine, JSON rendering) over
a few hundred random survivors, with and without `include_excluded`, and the
floor: the cheapest PostgreSQL query returning the ids of the feasible homes for
the same survivors. Prints one JSON line per size.

    make bench                              # all sizes
    make bench BENCH_ARGS="--sizes 1000 10000 --survivors 100"
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/harbor_bench")
os.environ["DATABASE_URL"] = BENCH_DB
# Production-like settings: DEBUG would record every query and slow the numbers.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def recreate_database() -> None:
    import psycopg2

    admin_url = BENCH_DB.rsplit("/", 1)[0] + "/postgres"
    name = BENCH_DB.rsplit("/", 1)[1]
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


COPY_COLUMNS = [
    "name", "home_type", "state", "zip_code", "latitude", "longitude", "licensed_beds",
    "available_beds", "beds_held", "staff_on_duty", "residents_per_staff", "min_age", "max_age",
    "genders_served", "substance_use_accepted", "detox_on_site", "accepts_parenting",
    "max_dependents", "medical_level", "accepts_pregnant", "mental_health_max", "staff_secure",
    "accepts_out_of_state", "accepts_state_wards", "accepts_parent_placements", "intake_24_7",
    "languages", "services", "active", "availability_updated_at", "created_at", "modified_at",
]  # fmt: skip


def load_homes(count: int, start: int, rng: random.Random, now) -> None:
    """COPY `count` more realistic homes (all 50 states + DC) into homes_home."""
    from django.db import connection

    from core.vocab import US_STATES
    from homes.demo import demo_home
    from matching.engine import zip_centroid

    states = sorted(US_STATES)
    buffer = io.StringIO()
    for index in range(start, start + count):
        home = demo_home(index, rng=rng, now=now, states=states, prefix="Bench ")
        # Own coordinates (the ZIP centroid, jittered a little) so the SQL floor can
        # compute distances too; the engine prefers them over the centroid as well.
        lat, lon = zip_centroid(home.zip_code)
        home.latitude = lat + rng.uniform(-0.05, 0.05)
        home.longitude = lon + rng.uniform(-0.05, 0.05)
        # Steady state: rows were written over the past day, not all in the last seconds
        # (rows within the resync window of the newest write are re-read by every search).
        home.created_at = home.modified_at = now - timedelta(seconds=rng.uniform(60, 86400))
        row = []
        for column in COPY_COLUMNS:
            value = getattr(home, column)
            if isinstance(value, list):
                value = json.dumps(value)
            elif isinstance(value, bool):
                value = "t" if value else "f"
            elif value is None:
                value = "\\N"
            row.append(str(value).replace("\t", " "))
        buffer.write("\t".join(row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY homes_home ({', '.join(COPY_COLUMNS)}) FROM STDIN", buffer)
        cursor.execute("ANALYZE homes_home")


def random_body(rng: random.Random) -> dict:
    from core.vocab import US_STATES
    from homes.demo import located_zips

    states = sorted(US_STATES)
    custody = rng.choice(states)
    substance = rng.choices(["none", "in_recovery", "active"], [6, 3, 1])[0]
    body = {
        "age": rng.randint(11, 17),
        "gender": rng.choices(["female", "male", "nonbinary"], [7, 2, 1])[0],
        "guardianship": rng.choices(["state", "parent", "legal_guardian"], [6, 3, 1])[0],
        "custody_state": custody,
        "icpc_approved_states": rng.sample(states, k=rng.randint(0, 4)),
        "residence_zip": rng.choice(located_zips(custody)),
        "urgency": rng.choice(["crisis", "planned"]),
        "substance_use": substance,
        "needs_detox": substance == "active" and rng.random() < 0.3,
        "dependents": 1 if rng.random() < 0.1 else 0,
        "medical_level": rng.choices(["none", "routine", "complex"], [5, 4, 1])[0],
        "pregnant": rng.random() < 0.05,
        "mental_health_acuity": rng.choices(["low", "moderate", "high"], [4, 4, 2])[0],
        "runaway_risk": rng.choices(["low", "moderate", "high"], [4, 4, 2])[0],
        "primary_language": rng.choice(["en", "en", "en", "es"]),
        "services_needed": rng.sample(["trauma_therapy", "education", "mental_health"], k=2),
        "max_distance_miles": rng.choice([None, 150, 400]),
    }
    if rng.random() < 0.3:
        body["exclusion_zones"] = [
            {"zip_code": rng.choice(located_zips(custody)), "radius_miles": rng.choice([5, 15, 30])}
        ]
    return body


def floor_sql(needs) -> tuple[str, list]:
    """The cheapest SQL for the ids of the feasible homes: every rule, no ranking."""
    from matching.engine import ACUITY_LEVELS, MEDICAL_LEVELS, SUBSTANCE_LEVELS

    def at_least(levels, level):
        return list(levels[levels.index(level) :])

    d = needs.dependents
    where = [
        "active",
        "available_beds >= %s",
        "(licensed_beds - available_beds) + %s <= staff_on_duty * residents_per_staff",
        "min_age <= %s AND max_age >= %s",
        "genders_served @> %s::jsonb",
        "substance_use_accepted = ANY(%s)",
        "medical_level = ANY(%s)",
        "mental_health_max = ANY(%s)",
    ]
    params: list = [
        1 + d,
        1 + d,
        needs.age,
        needs.age,
        json.dumps([needs.gender]),
        at_least(SUBSTANCE_LEVELS, needs.substance_use),
        at_least(MEDICAL_LEVELS, needs.medical_level),
        at_least(ACUITY_LEVELS, needs.mental_health_acuity),
    ]
    if needs.needs_detox:
        where.append("detox_on_site")
    if d:
        where.append("accepts_parenting AND max_dependents >= %s")
        params.append(d)
    if needs.pregnant:
        where.append("accepts_pregnant")
    if needs.runaway_risk == "high":
        where.append("staff_secure")
    where.append(
        "accepts_state_wards" if needs.guardianship == "state" else "accepts_parent_placements"
    )
    if needs.guardianship == "state":
        where.append("(state = %s OR (accepts_out_of_state AND state = ANY(%s)))")
        params += [needs.custody_state, sorted(needs.icpc_approved_states)]
    else:
        where.append("(state = %s OR accepts_out_of_state)")
        params.append(needs.custody_state)
    for zone in needs.exclusion_zones:
        where.append(
            "2 * 3958.8 * asin(sqrt(power(sin(radians(latitude - %s) / 2), 2) + "
            "cos(radians(%s)) * cos(radians(latitude)) * "
            "power(sin(radians(longitude - %s) / 2), 2))) > %s"
        )
        params += [zone.latitude, zone.latitude, zone.longitude, zone.radius_miles]
    if needs.urgency == "crisis":
        where.append("intake_24_7")
    return "SELECT id FROM homes_home WHERE " + " AND ".join(where), params


def time_size(homes: int, bodies: list[dict], excluded_bodies: list[dict]) -> dict:
    from django.db import connection
    from django.utils import timezone
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.models import User
    from matching.apis import what_if_match
    from matching.selectors import directory_cache, needs_from_fields

    user = User.objects.get(username="bench")
    factory = APIRequestFactory()

    def search(body: dict, query: str = "") -> float:
        request = factory.post(f"/api/v1/match/{query}", body, format="json")
        force_authenticate(request, user=user)
        started = time.perf_counter()
        response = what_if_match(request)
        response.render()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        return elapsed

    directory_cache.reset()
    started = time.perf_counter()
    directory_cache.current()
    cold_load_ms = (time.perf_counter() - started) * 1000
    search(bodies[0])  # warm caches (ZIP table, code paths)

    default = [search(body) for body in bodies]
    excluded = [search(body, "?include_excluded=1") for body in excluded_bodies]

    floor = []
    today = timezone.localdate()
    with connection.cursor() as cursor:
        for body in bodies:
            sql, params = floor_sql(needs_from_fields(body, today=today))
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            floor.append((time.perf_counter() - started) * 1000)

    p50, floor_p50 = statistics.median(default), statistics.median(floor)
    return {
        "homes": homes,
        "searches": len(bodies),
        "p50_ms": round(p50, 2),
        "p95_ms": round(percentile(default, 0.95), 2),
        "floor_p50_ms": round(floor_p50, 2),
        "floor_p95_ms": round(percentile(floor, 0.95), 2),
        "ratio_to_floor_p50": round(p50 / floor_p50, 2),
        "excluded_searches": len(excluded_bodies),
        "excluded_p50_ms": round(statistics.median(excluded), 1),
        "excluded_p95_ms": round(percentile(excluded, 0.95), 1),
        "cold_load_ms": round(cold_load_ms),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 250000])
    parser.add_argument("--survivors", type=int, default=300)
    parser.add_argument("--excluded-survivors", type=int, default=30)
    args = parser.parse_args()

    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User

    call_command("migrate", verbosity=0)
    User.objects.create_user("bench", password=None, role="case_worker")
    rng = random.Random(250_000)
    bodies = [random_body(rng) for _ in range(args.survivors)]
    now = timezone.now()
    loaded = 0
    for size in sorted(args.sizes):
        started = time.perf_counter()
        load_homes(size - loaded, loaded, rng, now)
        load_s = time.perf_counter() - started
        loaded = size
        line = time_size(size, bodies, bodies[: args.excluded_survivors])
        line["load_s"] = round(load_s, 1)
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
