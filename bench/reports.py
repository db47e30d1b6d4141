"""`make bench`: the reports over a million searches and a hundred thousand placements.

Creates its own scratch database (BENCH_REPORTS_DATABASE_URL, default harbor_bench_reports;
dropped and re-created each run), migrates it, fills it with SQL (generate_series: no
Python row loop) with a realistic skew (a few states hold most children; beds, age and
the state line block most searches; a quarter of searches find no home), then times each
report five times: the selector with its protection and tables, as a Harbor administrator
(every agency) and as the busiest agency's supervisor, and the API call through Django's
test client (JSON, the default last 12 months). One JSON line per report:

    {"report": ..., "selector_admin_p50_ms": ..., "selector_admin_max_ms": ...,
     "selector_supervisor_p50_ms": ..., "api_p50_ms": ..., "api_max_ms": ..., "sizes": {...}}

The target (issue 14) is 2 s per report.

    make bench                                     # also runs this
    .venv/bin/python bench/reports.py --searches 1000000 --placements 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

BENCH_DB = os.environ.get(
    "BENCH_REPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/harbor_bench_reports"
)
os.environ["DATABASE_URL"] = BENCH_DB
# Production-like: DEBUG would record every query.
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MFA_REQUIRED", "false")
os.environ.setdefault("ALLOWED_HOSTS", "localhost")

from bench import data  # noqa: E402

RUNS = 5
AGENCIES = 20
HOMES = 2000
TARGET_MS = 2000
# How often each rule excluded at least one home in a search with no feasible home.
RULE_ODDS = {
    "beds": 0.85, "staffing": 0.4, "age": 0.7, "gender": 0.5, "substance_use": 0.2,
    "detox": 0.05, "dependents": 0.1, "medical": 0.15, "pregnancy": 0.08,
    "mental_health": 0.25, "runaway_risk": 0.3, "guardianship": 0.1, "state_line": 0.6,
    "exclusion_zone": 0.05, "crisis_intake": 0.2, "license": 0.03,
}  # fmt: skip
NEED_ODDS = [0.3, 0.1, 0.06, 0.12, 0.25, 0.3]  # matching.models.NEEDS order


def weighted(values: list[str], weights: list[float], size: int = 400) -> str:
    """A SQL array where each value appears in proportion to its weight; index it with
    a random position to draw from the distribution."""
    total = sum(weights)
    items: list[str] = []
    for value, weight in zip(values, weights, strict=True):
        items += [value] * max(1, round(size * weight / total))
    return "ARRAY[" + ",".join(f"'{v}'" for v in items) + "]"


def pick(array_sql: str) -> str:
    return f"({array_sql})[1 + floor(random() * cardinality({array_sql}))::int]"


def columns(cursor, table: str) -> list[tuple[str, str, bool, bool]]:
    cursor.execute(
        "SELECT column_name, data_type, is_nullable = 'YES', column_default IS NOT NULL "
        "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return cursor.fetchall()


FILLER = {
    "text": "''", "character varying": "''", "integer": "0", "smallint": "0", "bigint": "0",
    "boolean": "false", "jsonb": "'[]'::jsonb", "double precision": "0",
    "timestamp with time zone": "now()", "date": "current_date",
}  # fmt: skip


def insert(cursor, table: str, source: str, values: dict[str, str]) -> int:
    """INSERT INTO table SELECT ... FROM source: the given expressions, and a neutral value
    for every other NOT NULL column (so a new column does not break the bench)."""
    names, exprs = [], []
    for name, kind, nullable, has_default in columns(cursor, table):
        if name == "id":
            continue
        if name in values:
            names.append(name)
            exprs.append(values[name])
        elif not nullable and not has_default:
            names.append(name)
            exprs.append(FILLER[kind])
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM {source}"
    )
    return cursor.rowcount


def fill(n_searches: int, n_placements: int) -> dict[str, int]:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Agency, Team, User
    from core.vocab import US_STATES

    rng = random.Random(14)
    states = sorted(US_STATES)
    # A few states hold most children (Zipf-like), as recovery operations cluster.
    state_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(states))]
    rng.shuffle(state_weights)
    agencies = [
        Agency.objects.create(code=f"bench-{i}", name=f"Bench agency {i}", state=states[i])
        for i in range(AGENCIES)
    ]
    teams = [Team.objects.create(agency=a, name=f"Team {a.code}", quorum=1) for a in agencies]
    worker = User.objects.create_user(
        "bench-worker", role="case_worker", agency=agencies[0], team=teams[0]
    )
    data.load_homes(HOMES, 0, rng, timezone.now())
    n_survivors = max(n_searches // 3, n_placements * 2)
    state_array = weighted(states, state_weights)
    agency_ids = [a.pk for a in agencies]
    sizes: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.14)")
        cursor.execute("SELECT min(id), max(id) FROM homes_home")
        home_min, home_max = cursor.fetchone()
        # The busiest agencies first: agency i gets weight 1 / (i + 1).
        agency_pick = pick(
            "ARRAY["
            + ",".join(
                ",".join([str(a)] * max(1, round(60 / (i + 1)))) for i, a in enumerate(agency_ids)
            )
            + "]"
        )
        sizes["survivors"] = insert(
            cursor,
            "survivors_survivor",
            f"generate_series(1, {n_survivors}) g",
            {
                "case_number": "'B-' || g",
                "first_name": "''", "last_name": "''", "alias": "''", "notes": "''",
                "residence_zip": "''", "exclusion_zones": "''",
                "gender": pick("ARRAY['female','female','female','male','male','nonbinary']"),
                "guardianship": "'state'",
                "custody_state": pick(state_array),
                "icpc_approved_states": "'[]'::jsonb", "services_needed": "'[]'::jsonb",
                "urgency": pick("ARRAY['crisis','planned','planned']"),
                "substance_use": "'none'", "medical_level": "'none'",
                "mental_health_acuity": "'low'", "runaway_risk": "'low'",
                "primary_language": "'en'", "status": "'intake'",
                "agency_id": agency_pick,
                "created_at": "now() - random() * interval '760 days'",
                "updated_at": "now()",
                "estimated_age": "12 + floor(random() * 6)::int",
            },
        )  # fmt: skip
        cursor.execute("SELECT min(id) FROM survivors_survivor")
        first_survivor = cursor.fetchone()[0]
        bits = " + ".join(
            f"(CASE WHEN random() < {odds} THEN {1 << i} ELSE 0 END)"
            for i, odds in enumerate(RULE_ODDS.values())
        )
        needs = " + ".join(
            f"(CASE WHEN random() < {odds} THEN {1 << i} ELSE 0 END)"
            for i, odds in enumerate(NEED_ODDS)
        )
        bands = pick(weighted(["under_10", "10_12", "13_15", "16_17", "18_plus"], [1, 4, 10, 8, 2]))
        # Searches, most children searched a few times; the facts as search_record writes them.
        sizes["searches"] = insert(
            cursor,
            "matching_matchsearch",
            f"""(SELECT g, s.id AS survivor_id, s.agency_id, s.custody_state, s.gender,
                        s.urgency, ({bits}) AS blocked
                 FROM generate_series(1, {n_searches}) g
                 JOIN survivors_survivor s
                   ON s.id = {first_survivor} + (g::bigint * 7919) % {n_survivors}) q""",
            {
                "survivor_id": "q.survivor_id",
                "searched_by_id": str(worker.pk),
                "at": "now() - random() * interval '730 days'",
                "needs": "'{}'::jsonb",
                "homes_considered": str(HOMES),
                "feasible_count": (
                    "CASE WHEN random() < 0.28 THEN 0 ELSE 1 + floor(random() * 40)::int END"
                ),
                "near_miss_count": "floor(random() * 5)::int",
                "failures_by_rule": "'{}'::jsonb",
                "top_home_ids": "'[]'::jsonb",
                "agency_id": "q.agency_id",
                "state": "q.custody_state",
                "age_band": bands,
                "gender": "q.gender",
                "urgency": "q.urgency",
                "need_flags": f"({needs})",
                "blocked_rules": "q.blocked",
                "sole_rules": "q.blocked & (" + " + ".join(
                    f"(CASE WHEN random() < 0.25 THEN {1 << i} ELSE 0 END)"
                    for i in range(len(RULE_ODDS))
                ) + ")",
            },
        )  # fmt: skip
        # One recommendation and referral per answered referral; placements for the first
        # n_placements children; declines, expiries and pending for others.
        n_referrals = int(n_placements * 1.7)
        home_expr = f"{home_min} + floor(power(random(), 2) * ({home_max} - {home_min} + 1))::int"
        sizes["recommendations"] = insert(
            cursor,
            "matching_recommendation",
            f"generate_series(1, {n_referrals}) g",
            {
                "survivor_id": f"{first_survivor} + (g - 1) % {n_survivors}",
                "home_id": home_expr,
                "team_id": str(teams[0].pk),
                "quorum": "1",
                "proposed_by_id": str(worker.pk),
                "rationale": "'Bench.'",
                "status": "'approved'",
                "created_at": "now() - random() * interval '730 days'",
                "searched_at": "now()",
                "needs": "'{}'::jsonb", "home_profile": "'{}'::jsonb", "breakdown": "'{}'::jsonb",
                "rank": "1", "score": "0.5", "feasible_count": "3",
            },
        )  # fmt: skip
        reasons = (
            "ARRAY['no_bed','no_bed','no_bed','staffing','clinical_fit','safety',"
            "'eligibility','other']"
        )
        sizes["referrals"] = insert(
            cursor,
            "matching_referral",
            """(SELECT r.*, row_number() OVER (ORDER BY r.id) AS n
                 FROM matching_recommendation r) r""",
            {
                "recommendation_id": "r.id",
                "survivor_id": "r.survivor_id",
                "home_id": "r.home_id",
                "referred_by_id": str(worker.pk),
                "status": f"""CASE WHEN r.n <= {n_placements} THEN 'placed'
                    WHEN r.n <= {n_placements} * 1.5 THEN 'declined'
                    WHEN r.n <= {n_placements} * 1.6 THEN 'expired' ELSE 'withdrawn' END""",
                "beds": "1",
                "created_at": "r.created_at",
                "answered_at": f"""CASE WHEN r.n <= {n_placements} * 1.6
                    THEN r.created_at + random() * interval '48 hours' END""",
                "reason_code": f"""CASE WHEN r.n > {n_placements} AND r.n <= {n_placements} * 1.5
                    THEN {pick(reasons)} ELSE '' END""",
                "hold_expires_at": "r.created_at + interval '2 days'",
            },
        )  # fmt: skip
        sizes["placements"] = insert(
            cursor,
            "matching_placement",
            "(SELECT r.*, random() AS u FROM matching_referral r WHERE r.status = 'placed') r",
            {
                "referral_id": "r.id",
                "survivor_id": "r.survivor_id",
                "home_id": "r.home_id",
                "beds": "1",
                "started_at": "r.answered_at + random() * interval '24 hours'",
                "placed_by_id": str(worker.pk),
                "ended_at": "CASE WHEN r.u < 0.3 THEN r.answered_at + interval '40 days' END",
                "end_reason": "CASE WHEN r.u < 0.3 THEN "
                + pick("ARRAY['planned','runaway','disruption','reunified']")
                + " ELSE '' END",
            },
        )  # fmt: skip
        # Make intake precede the first placement.
        cursor.execute(
            "UPDATE survivors_survivor s "
            "SET created_at = p.started_at - random() * interval '60 days' "
            "FROM matching_placement p WHERE p.survivor_id = s.id"
        )
        outcomes = pick(
            "ARRAY['stable','stable','stable','stable','runaway','disrupted','moved_planned','other']"
        )
        sizes["follow_ups"] = insert(
            cursor,
            "placement_followup",
            "matching_placement p CROSS JOIN (VALUES (30), (90)) d(day)",
            {
                "placement_id": "p.id",
                "day": "d.day",
                "due_at": "p.started_at + d.day * interval '1 day'",
                "created_at": "p.started_at + d.day * interval '1 day'",
                "outcome": outcomes,
                "recorded_at": "p.started_at + d.day * interval '1 day'",
                "from_discharge": "p.ended_at IS NOT NULL",
            },
        )  # fmt: skip
        cursor.execute("ANALYZE")
    return sizes


def timed(call) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), round(max(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--placements", type=int, default=100_000)
    args = parser.parse_args()

    data.recreate_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import Agency, User
    from reports.filters import report_filters
    from reports.selectors import REPORTS, report_get

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    sizes = fill(args.searches, args.placements)
    fill_s = round(time.perf_counter() - started, 1)
    admin = User.objects.create_user("bench-admin", role="admin", is_staff=True, is_superuser=True)
    busiest = Agency.objects.get(code="bench-0")
    supervisor = User.objects.create_user("bench-supervisor", role="supervisor", agency=busiest)
    client = Client()
    client.force_login(admin)
    filters = report_filters(date_from=None, date_to=None, state=None)
    failed = []
    for name in REPORTS:
        admin_p50, admin_max = timed(lambda n=name: report_get(user=admin, name=n, filters=filters))
        sup_p50, sup_max = timed(
            lambda n=name: report_get(user=supervisor, name=n, filters=filters)
        )

        def api(n: str = name) -> None:
            response = client.get(f"/api/v1/reports/{n}/", secure=True, HTTP_HOST="localhost")
            assert response.status_code == 200, response.status_code

        api_p50, api_max = timed(api)
        line = {
            "report": name,
            "selector_admin_p50_ms": admin_p50,
            "selector_admin_max_ms": admin_max,
            "selector_supervisor_p50_ms": sup_p50,
            "selector_supervisor_max_ms": sup_max,
            "api_p50_ms": api_p50,
            "api_max_ms": api_max,
            "target_ms": TARGET_MS,
            "sizes": sizes,
            "fill_seconds": fill_s,
        }
        print(json.dumps(line), flush=True)
        if max(admin_max, sup_max, api_max) > TARGET_MS:
            failed.append(name)
    if failed:
        print(f"reports over {TARGET_MS} ms: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
