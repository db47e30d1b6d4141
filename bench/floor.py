"""The indexed SQL floor: the cheapest PostgreSQL query for the ids of the feasible
homes, on a copy of homes_home (`bench_floor`) so the app's own table is untouched.

Two partial covering indexes on `active AND available_beds > 0` (every feasible home
has a free bed), both INCLUDE-ing every column the WHERE reads, so the scans are
index-only after VACUUM:

- `(state, accepts_out_of_state, intake_24_7)`: homes in given states;
- `(intake_24_7, state)` limited to `accepts_out_of_state`: homes elsewhere that
  take out-of-state placements.

The state-line rule is `state = ANY(custody ∪ ICPC) AND (state = custody OR
accepts_out_of_state)` for state wards, and two UNION ALL branches for the other
guardianships (`state = custody`; `state <> custody AND accepts_out_of_state`).
Level rules the child cannot fail are dropped; an exclusion zone is a bounding box
before the haversine (written exactly as `engine.geo.great_circle_miles`
so a home at the edge falls on the same side as in the engine).

`verify` checks the floor's id set against the engine's feasible set: a floor that
answers a different question is no floor.
"""

from __future__ import annotations

import json
import math
import statistics
import time

TABLE = "bench_floor"
INDEX_PREDICATE = "active AND available_beds > 0"
# Every column any WHERE below reads (plus the id it returns): index-only scans.
INCLUDED = [
    "id", "available_beds", "licensed_beds", "staff_on_duty", "residents_per_staff",
    "min_age", "max_age", "genders_served", "substance_use_accepted", "detox_on_site",
    "accepts_parenting", "max_dependents", "medical_level", "accepts_pregnant",
    "mental_health_max", "staff_secure", "accepts_state_wards", "accepts_parent_placements",
    "latitude", "longitude",
]  # fmt: skip
EARTH_RADIUS_MILES = 3958.8  # engine.geo.EARTH_RADIUS_MILES (checked in build)


def build(conn) -> float:
    """(Re)create bench_floor from homes_home with the two indexes; seconds taken."""
    from engine import EARTH_RADIUS_MILES as ENGINE_RADIUS

    assert ENGINE_RADIUS == EARTH_RADIUS_MILES, "the engine's earth radius changed"
    started = time.perf_counter()
    include = ", ".join(INCLUDED)
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM homes_home")
        cursor.execute(
            f"CREATE INDEX {TABLE}_in_state ON {TABLE} "
            f"(state, accepts_out_of_state, intake_24_7) INCLUDE ({include}) "
            f"WHERE {INDEX_PREDICATE}"
        )
        cursor.execute(
            f"CREATE INDEX {TABLE}_out_of_state ON {TABLE} (intake_24_7, state) "
            f"INCLUDE ({include}) WHERE {INDEX_PREDICATE} AND accepts_out_of_state"
        )
        cursor.execute(f"VACUUM ANALYZE {TABLE}")
        # The bench gives every home its own coordinates; the SQL has no ZIP centroids.
        cursor.execute(
            f"SELECT count(*) FROM {TABLE} WHERE {INDEX_PREDICATE} "
            "AND (latitude IS NULL OR longitude IS NULL)"
        )
        unlocated = cursor.fetchone()[0]
    if unlocated:
        raise SystemExit(f"floor: {unlocated} active homes without coordinates")
    return time.perf_counter() - started


def _at_least(levels: tuple[str, ...], level: str) -> list[str]:
    return list(levels[levels.index(level) :])


def _zone(zone) -> tuple[str, list]:
    """Feasible when outside the zone: outside a bounding box that holds the whole
    circle, or farther than the radius by the engine's own haversine."""
    lat0, lon0, radius = zone.latitude, zone.longitude, zone.radius_miles
    phi0 = math.radians(lat0)
    inside = (
        "%s * asin(least(1.0::float8, sqrt("
        "sin((%s - radians(latitude)) / 2) * sin((%s - radians(latitude)) / 2)"
        " + cos(radians(latitude)) * %s"
        " * sin(radians(%s - longitude) / 2) * sin(radians(%s - longitude) / 2)"
        "))) <= %s"
    )
    params: list = [2 * EARTH_RADIUS_MILES, phi0, phi0, math.cos(phi0), lon0, lon0, radius]
    box: list[str] = []
    box_params: list = []
    delta = radius / EARTH_RADIUS_MILES  # angular radius
    if delta < math.pi / 2:
        # Generous margins: the box only has to contain the circle.
        dlat = math.degrees(delta) * (1 + 1e-9) + 1e-9
        box.append("latitude BETWEEN %s AND %s")
        box_params += [lat0 - dlat, lat0 + dlat]
        stretch = math.sin(delta) / math.cos(phi0) if abs(lat0) < 90 else 2.0
        if abs(lat0) + dlat < 90 and stretch < 1:
            dlon = math.degrees(math.asin(stretch)) * (1 + 1e-9) + 1e-9
            if -180 < lon0 - dlon and lon0 + dlon < 180:
                box.append("longitude BETWEEN %s AND %s")
                box_params += [lon0 - dlon, lon0 + dlon]
    return "NOT (" + " AND ".join([*box, inside]) + ")", box_params + params


def floor_sql(needs) -> tuple[str, list]:
    """SQL (and its parameters) returning the ids of the homes feasible for `needs`."""
    from engine import ACUITY_LEVELS, MEDICAL_LEVELS, SUBSTANCE_LEVELS

    d = needs.dependents
    where: list[str] = []
    params: list = []

    def add(sql: str, *values) -> None:
        where.append(sql)
        params.extend(values)

    # beds: available_beds >= 1 is the index predicate.
    if d:
        add("available_beds >= %s", 1 + d)
    add("licensed_beds - available_beds + %s <= staff_on_duty * residents_per_staff", 1 + d)
    add("min_age <= %s AND max_age >= %s", needs.age, needs.age)
    add("genders_served @> %s::jsonb", json.dumps([needs.gender]))
    if needs.substance_use != SUBSTANCE_LEVELS[0]:
        add("substance_use_accepted = ANY(%s)", _at_least(SUBSTANCE_LEVELS, needs.substance_use))
    if needs.needs_detox:
        add("detox_on_site")
    if d:
        add("accepts_parenting AND max_dependents >= %s", d)
    if needs.medical_level != MEDICAL_LEVELS[0]:
        add("medical_level = ANY(%s)", _at_least(MEDICAL_LEVELS, needs.medical_level))
    if needs.pregnant:
        add("accepts_pregnant")
    if needs.mental_health_acuity != ACUITY_LEVELS[0]:
        add("mental_health_max = ANY(%s)", _at_least(ACUITY_LEVELS, needs.mental_health_acuity))
    if needs.runaway_risk == "high":
        add("staff_secure")
    add("accepts_state_wards" if needs.guardianship == "state" else "accepts_parent_placements")
    for zone in needs.exclusion_zones:
        sql, values = _zone(zone)
        add(sql, *values)
    if needs.urgency == "crisis":
        add("intake_24_7")
    if needs.juvenile_justice_involved:
        add("accepts_juvenile_justice")

    rest = " AND ".join(where)
    head = f"SELECT id FROM {TABLE} WHERE {INDEX_PREDICATE}"
    custody = needs.custody_state
    if needs.guardianship == "state":
        states = sorted({custody, *needs.icpc_approved_states})
        sql = f"{head} AND state = ANY(%s) AND (state = %s OR accepts_out_of_state) AND {rest}"
        return sql, [states, custody, *params]
    sql = (
        f"{head} AND state = %s AND {rest} UNION ALL "
        f"{head} AND accepts_out_of_state AND state <> %s AND {rest}"
    )
    return sql, [custody, *params, custody, *params]


def _scans(plan: dict) -> list[str]:
    found = [plan["Node Type"]] if "Scan" in plan["Node Type"] else []
    for child in plan.get("Plans", ()):
        found += _scans(child)
    return found


def measure(conn, all_needs: list) -> dict:
    """Time the floor for every survivor; the share of plans that are index-only."""
    timings = []
    index_only = 0
    with conn.cursor() as cursor:
        # No parallel workers: on 2 cores shared with the app their launch costs more
        # than they save (p95 ~2.5x worse at 100k homes under load), and the engine is
        # single-threaded too.
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        for needs in all_needs:
            sql, params = floor_sql(needs)
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            scans = _scans(cursor.fetchone()[0][0]["Plan"])
            index_only += bool(scans) and all(scan == "Index Only Scan" for scan in scans)
        cursor.execute(*floor_sql(all_needs[0]))  # warm the plan cache and buffers
        cursor.fetchall()
        for needs in all_needs:
            sql, params = floor_sql(needs)
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "timings": timings,
        "p50": statistics.median(timings),
        "index_only_share": round(index_only / len(all_needs), 3),
    }


def verify(conn, all_needs: list, homes: int) -> int:
    """Fail loudly unless the floor returns exactly the engine's feasible ids."""
    from matching.selectors import home_failures, match_needs

    with conn.cursor() as cursor:
        for number, needs in enumerate(all_needs):
            result = match_needs(needs, limit=max(100_000, homes))
            engine = {ranked.home.id for ranked in result.results}
            if len(engine) != result.feasible_count:
                raise SystemExit(
                    f"floor check: engine ranked {len(engine)} of "
                    f"{result.feasible_count} feasible homes"
                )
            cursor.execute(*floor_sql(needs))
            ids = [row[0] for row in cursor.fetchall()]
            floor = set(ids)
            if len(ids) != len(floor):
                raise SystemExit(f"floor check: survivor #{number}: duplicate ids from the floor")
            if floor != engine:
                lines = [
                    f"floor check FAILED for survivor #{number}: floor {len(floor)} ids, "
                    f"engine {len(engine)}",
                    f"needs: {needs}",
                ]
                for home_id in sorted(floor - engine)[:5]:
                    lines.append(
                        f"  only in floor: {home_id}; engine says it fails "
                        f"{home_failures(needs, home_id=home_id)}"
                    )
                for home_id in sorted(engine - floor)[:5]:
                    lines.append(f"  only in engine: {home_id}")
                raise SystemExit("\n".join(lines))
    return len(all_needs)
