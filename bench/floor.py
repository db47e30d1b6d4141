"""The SQL floor: the cheapest PostgreSQL query we can write for the ids of the homes
feasible for a child, on a copy of homes_home (`bench_floor`) so the app's own table is
untouched. `make bench` times the app against it, interleaved, and `verify` checks it
returns exactly the engine's feasible set (every rule, the license included): a floor
that answers a different question is no floor.

What makes it cheap:

- **Stored generated columns** turn every rule into an integer comparison:
  `headroom` (staff on duty x residents per staff - residents now: the staffing rule is
  `headroom >= 1 + dependents`), `gender_mask` (a bit per gender served), the ranks of
  the substance-use, medical and mental-health levels, `dependents_cap` (0 when the home
  takes no parenting youth) and `license_day` (the last valid day as a day number; no
  license recorded is the largest day).
- **Two partial covering indexes** on `active AND available_beds > 0 AND headroom > 0`
  (a feasible home has a bed and room on its staffing for one more), INCLUDE-ing every
  column a WHERE reads, so the scans are index-only after VACUUM:
  `(state, accepts_out_of_state, intake_24_7)` for homes in given states and
  `(intake_24_7, state)` limited to `accepts_out_of_state` for homes elsewhere.
- **One prepared statement per shape** (a state ward or not x the number of exclusion
  zones), every level and flag a parameter (a rule the child cannot fail compares with
  the weakest value), answering one row: `array_agg(id)`.

The state-line rule is `state = ANY(custody ∪ ICPC) AND (state = custody OR
accepts_out_of_state)` for state wards, and two UNION ALL branches for the other
guardianships. An exclusion zone is a bounding box before the haversine, written
exactly as `engine.geo.great_circle_miles` so a home at the edge falls on the same side.
"""

from __future__ import annotations

import math
import statistics
import time
from datetime import date

TABLE = "bench_floor"
EPOCH = date(2000, 1, 1)
NEVER = 2_147_483_647  # license_day of a home with no license expiry recorded
INDEX_PREDICATE = "active AND available_beds > 0 AND headroom > 0"
EARTH_RADIUS_MILES = 3958.8  # engine.geo.EARTH_RADIUS_MILES (checked in build)


def _rank(column: str, levels: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN '{level}' THEN {rank}" for rank, level in enumerate(levels))
    return f"(CASE {column} {whens} ELSE -1 END)"


def _generated() -> dict[str, str]:
    from engine import ACUITY_LEVELS, GENDERS, MEDICAL_LEVELS, SUBSTANCE_LEVELS

    gender_bits = " | ".join(
        f"(CASE WHEN genders_served ? '{gender}' THEN {1 << bit} ELSE 0 END)"
        for bit, gender in enumerate(GENDERS)
    )
    return {
        "headroom": "staff_on_duty * residents_per_staff - (licensed_beds - available_beds)",
        "gender_mask": f"({gender_bits})",
        "substance_rank": _rank("substance_use_accepted", SUBSTANCE_LEVELS),
        "medical_rank": _rank("medical_level", MEDICAL_LEVELS),
        "acuity_rank": _rank("mental_health_max", ACUITY_LEVELS),
        "dependents_cap": "(CASE WHEN accepts_parenting THEN max_dependents ELSE 0 END)",
        "license_day": f"COALESCE(license_expires - DATE '{EPOCH.isoformat()}', {NEVER})",
    }


# Every column a WHERE below reads (plus the id it returns): index-only scans.
INCLUDED = [
    "id", "available_beds", "headroom", "min_age", "max_age", "gender_mask",
    "substance_rank", "detox_on_site", "dependents_cap", "medical_rank", "accepts_pregnant",
    "acuity_rank", "staff_secure", "accepts_state_wards", "accepts_parent_placements",
    "accepts_juvenile_justice", "license_day", "latitude", "longitude", "languages",
]  # fmt: skip


def build(conn) -> float:
    """(Re)create bench_floor from homes_home with its columns and indexes; seconds."""
    from engine import EARTH_RADIUS_MILES as ENGINE_RADIUS

    assert ENGINE_RADIUS == EARTH_RADIUS_MILES, "the engine's earth radius changed"
    started = time.perf_counter()
    include = ", ".join(INCLUDED)
    with conn.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM homes_home")
        cursor.execute(
            f"ALTER TABLE {TABLE} "
            + ", ".join(
                f"ADD COLUMN {name} integer GENERATED ALWAYS AS ({sql}) STORED"
                for name, sql in _generated().items()
            )
        )
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
    _prepared.clear()
    return time.perf_counter() - started


def index_size_mb(conn) -> float:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT sum(pg_relation_size(indexrelid)) FROM pg_index WHERE indrelid = %s::regclass",
            [TABLE],
        )
        return round(float(cursor.fetchone()[0] or 0) / 2**20, 1)


# The rules every branch applies, each a comparison with one parameter ($n filled in).
_COMMON = (
    "available_beds >= {} AND headroom >= {} AND min_age <= {} AND max_age >= {}"
    " AND gender_mask & {} <> 0 AND substance_rank >= {} AND (detox_on_site OR NOT {})"
    " AND dependents_cap >= {} AND medical_rank >= {} AND (accepts_pregnant OR NOT {})"
    " AND acuity_rank >= {} AND (staff_secure OR NOT {})"
    " AND (intake_24_7 OR NOT {}) AND (accepts_juvenile_justice OR NOT {})"
    " AND license_day >= {} AND id <> ALL({}::int[])"
    " AND (NOT {} OR languages ? {})"
)
_COMMON_PARAMS = 18
_ZONE = (
    "NOT (latitude BETWEEN {} AND {} AND longitude BETWEEN {} AND {} AND"
    " {} * asin(least(1.0::float8, sqrt("
    "sin(({} - radians(latitude)) / 2) * sin(({} - radians(latitude)) / 2)"
    " + cos(radians(latitude)) * {}"
    " * sin(radians({} - longitude) / 2) * sin(radians({} - longitude) / 2)"
    "))) <= {})"
)
_ZONE_PARAMS = 11
_prepared: set[tuple[bool, int]] = set()


def _statement(ward: bool, zones: int) -> str:
    """The prepared statement's SQL for a shape: $1.. for the common rules, then the
    zones', then custody's state (and a ward's ICPC states)."""
    numbers = iter(range(1, 1000))

    def fill(template: str, count: int) -> str:
        return template.format(*(f"${next(numbers)}" for _ in range(count)))

    where = [fill(_COMMON, _COMMON_PARAMS)]
    where += [fill(_ZONE, _ZONE_PARAMS) for _ in range(zones)]
    where.append("accepts_state_wards" if ward else "accepts_parent_placements")
    rest = " AND ".join(where)
    head = f"SELECT id FROM {TABLE} WHERE {INDEX_PREDICATE}"
    custody = f"${next(numbers)}::text"
    if ward:
        states = f"${next(numbers)}::text[]"
        body = f"{head} AND state = ANY({states}) AND (state = {custody} OR accepts_out_of_state)"
        body += f" AND {rest}"
    else:
        body = (
            f"{head} AND state = {custody} AND {rest} UNION ALL "
            f"{head} AND accepts_out_of_state AND state <> {custody} AND {rest}"
        )
    return f"SELECT array_agg(id) FROM ({body}) AS feasible"


def _zone_params(zone) -> list:
    """Feasible when outside the zone: outside a bounding box that holds the whole
    circle, or farther than the radius by the engine's own haversine."""
    lat0, lon0, radius = zone.latitude, zone.longitude, zone.radius_miles
    phi0 = math.radians(lat0)
    box = [-1e9, 1e9, -1e9, 1e9]
    delta = radius / EARTH_RADIUS_MILES  # angular radius
    if delta < math.pi / 2:
        # Generous margins: the box only has to contain the circle.
        dlat = math.degrees(delta) * (1 + 1e-9) + 1e-9
        box[0:2] = [lat0 - dlat, lat0 + dlat]
        stretch = math.sin(delta) / math.cos(phi0) if abs(lat0) < 90 else 2.0
        if abs(lat0) + dlat < 90 and stretch < 1:
            dlon = math.degrees(math.asin(stretch)) * (1 + 1e-9) + 1e-9
            if -180 < lon0 - dlon and lon0 + dlon < 180:
                box[2:4] = [lon0 - dlon, lon0 + dlon]
    return [*box, 2 * EARTH_RADIUS_MILES, phi0, phi0, math.cos(phi0), lon0, lon0, radius]


def floor_params(needs) -> tuple[str, list]:
    """The prepared statement's name for `needs` and its parameters."""
    from engine import ACUITY_LEVELS, GENDERS, MEDICAL_LEVELS, SUBSTANCE_LEVELS

    ward = needs.guardianship == "state"
    zones = len(needs.exclusion_zones)
    d = needs.dependents
    params: list = [
        1 + d,
        1 + d,
        needs.age,
        needs.age,
        1 << GENDERS.index(needs.gender),
        SUBSTANCE_LEVELS.index(needs.substance_use),
        bool(needs.needs_detox),
        d,
        MEDICAL_LEVELS.index(needs.medical_level),
        bool(needs.pregnant),
        ACUITY_LEVELS.index(needs.mental_health_acuity),
        needs.runaway_risk == "high",
        needs.urgency == "crisis",
        bool(needs.juvenile_justice_involved),
        (needs.search_date - EPOCH).days,
        sorted(needs.keep_apart_homes),  # keep_apart: none of the homes where they are
        # language: with an interpreter needed, a home that lists the child's language.
        bool(needs.interpreter_needed and needs.primary_language),
        needs.primary_language or "",
    ]
    for zone in needs.exclusion_zones:
        params += _zone_params(zone)
    custody = needs.custody_state
    params.append(custody)
    if ward:
        params.append(sorted({custody, *needs.icpc_approved_states}))
    return f"floor_{'ward' if ward else 'other'}_{zones}", params


def floor_ids(cursor, needs) -> list[int]:
    """The feasible ids for `needs`, by the prepared statement of its shape."""
    name, params = floor_params(needs)
    shape = (needs.guardianship == "state", len(needs.exclusion_zones))
    if shape not in _prepared:
        cursor.execute(f"PREPARE {name} AS {_statement(*shape)}")
        _prepared.add(shape)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
    return cursor.fetchone()[0] or []


def _scans(plan: dict) -> list[str]:
    found = [plan["Node Type"]] if "Scan" in plan["Node Type"] else []
    for child in plan.get("Plans", ()):
        found += _scans(child)
    return found


def index_only_share(conn, all_needs: list) -> float:
    index_only = 0
    with conn.cursor() as cursor:
        for needs in all_needs:
            name, params = floor_params(needs)
            floor_ids(cursor, needs)  # prepares the shape
            cursor.execute(
                f"EXPLAIN (FORMAT JSON) EXECUTE {name} ({', '.join(['%s'] * len(params))})",
                params,
            )
            scans = _scans(cursor.fetchone()[0][0]["Plan"])
            index_only += bool(scans) and all(scan == "Index Only Scan" for scan in scans)
    return round(index_only / len(all_needs), 3)


def measure(conn, all_needs: list) -> dict:
    """Time the floor alone for every survivor."""
    timings = []
    with conn.cursor() as cursor:
        # No parallel workers: on 2 cores shared with the app their launch costs more
        # than they save, and the engine is single-threaded too.
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        floor_ids(cursor, all_needs[0])  # warm the plan cache and buffers
        for needs in all_needs:
            started = time.perf_counter()
            floor_ids(cursor, needs)
            timings.append((time.perf_counter() - started) * 1000)
    return {"timings": timings, "p50": statistics.median(timings)}


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
            ids = floor_ids(cursor, needs)
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
