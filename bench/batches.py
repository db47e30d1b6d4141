"""`make bench`: mass recovery, the exact plan against placing children one by one.

For each size (children x homes) prints one JSON line: `optimal_seconds` (plan_solve,
model building included, to a proven optimum), `optimal`, `gap`, `placed`,
`total_score`, and beside them the greedy baseline's `greedy_placed` and
`greedy_total_score` (one child at a time in intake order, each taking the best home
still free: what a case worker searching child after child gets). `setup_seconds` is
the engine's time to find each child's feasible homes and scores.

The instances are built as the app builds them, without a database: homes from the
demo/bench generator (`homes.demo.demo_home`, as `bench/data.py` loads them) turned
into the engine's `Directory`; children from `bench/data.py`'s `random_body` as one
operation recovers them (most in the operation's state and city, a few brought from
elsewhere; siblings share a home address and custody); each child's feasible homes
and scores from the engine's vector path (`failure_masks`, `score_rows`), exactly what
a per-survivor search ranks. A home's beds are its free beds and its staff room its
staffing headroom, as the batch glue sets them.

    make bench                                    # also runs this
    .venv/bin/python bench/batches.py --sizes 300x10000 40x250000 --time-limit 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

# Django only to build the generator's unsaved Home rows; no database is touched.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import numpy as np  # noqa: E402

django.setup()

from bench.data import random_body  # noqa: E402
from core.vocab import US_STATES  # noqa: E402
from engine import Directory, failure_masks, score_rows, survivor_distances  # noqa: E402
from engine.plan import (  # noqa: E402
    PlanChild,
    PlanHome,
    PlanOption,
    PlanProblem,
    plan_greedy,
    plan_solve,
)
from homes.demo import demo_home, located_zips  # noqa: E402
from matching.selectors import offer_of_home  # noqa: E402

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
# Where the operation happens: most children are recovered here.
OPERATION_STATE = "TX"
FROM_ELSEWHERE = 0.25
SIBLING_SHARE = 0.15  # children in a sibling group (of 2 or 3)
APART_PAIRS_PER_100 = 6  # co-victims and recruiters to keep apart


def build_directory(count: int, rng: random.Random) -> Directory:
    """`count` generated homes (the inactive ones dropped, as the directory does)."""
    from engine import zip_centroid

    states = sorted(US_STATES)
    offers = []
    for index in range(count):
        home = demo_home(index, rng=rng, now=NOW, states=states, prefix="Bench ")
        lat, lon = zip_centroid(home.zip_code)
        home.latitude = lat + rng.uniform(-0.05, 0.05)
        home.longitude = lon + rng.uniform(-0.05, 0.05)
        home.id = index + 1
        if not home.active:
            continue
        offer = offer_of_home(home)
        if offer is not None:
            offers.append(offer)
    return Directory.from_offers(offers)


def operation_bodies(count: int, rng: random.Random) -> tuple[list[dict], list[tuple[int, ...]]]:
    """The children of one operation, in intake order, and their sibling groups."""
    city_zips = located_zips(OPERATION_STATE)[:40]
    bodies: list[dict] = []
    groups: list[tuple[int, ...]] = []
    while len(bodies) < count:
        body = random_body(rng)
        if rng.random() >= FROM_ELSEWHERE:
            body["custody_state"] = OPERATION_STATE
            body["residence_zip"] = rng.choice(city_zips)
            body["exclusion_zones"] = [
                {"zip_code": zone["zip_code"], "radius_miles": zone["radius_miles"]}
                for zone in body.get("exclusion_zones", [])
                if zone["zip_code"] in city_zips
            ]
        size = rng.choice([2, 2, 3]) if rng.random() < SIBLING_SHARE / 2.3 else 1
        size = min(size, count - len(bodies))
        first = len(bodies)
        for k in range(size):
            sibling = dict(body)
            if k:
                sibling["age"] = max(11, min(17, body["age"] + rng.choice([-2, -1, 1, 2])))
                sibling["gender"] = rng.choice(["female", "female", "male"])
                sibling["dependents"] = 0
                sibling["pregnant"] = False
            bodies.append(sibling)
        if size > 1:
            groups.append(tuple(range(first + 1, first + size + 1)))
    return bodies, groups


def build_problem(children: int, homes: int, seed: int) -> tuple[PlanProblem, dict]:
    from matching.selectors import needs_from_fields

    rng = random.Random(seed)
    started = time.perf_counter()
    directory = build_directory(homes, rng)
    directory_seconds = time.perf_counter() - started
    bodies, groups = operation_bodies(children, rng)
    started = time.perf_counter()
    plan_children = []
    used_rows: set[int] = set()
    ids = directory.ids
    for number, body in enumerate(bodies, start=1):
        needs = needs_from_fields(body, today=NOW.date())
        masks = failure_masks(needs, directory)
        feasible = np.flatnonzero(masks == 0)
        distances = survivor_distances(needs, directory, feasible)
        scores = score_rows(needs, directory, distances, NOW, rows=feasible).score
        used_rows.update(feasible.tolist())
        options = tuple(
            PlanOption(int(home), float(score))
            for home, score in zip(ids[feasible].tolist(), scores.tolist(), strict=True)
        )
        plan_children.append(PlanChild(number, 1 + needs.dependents, options))
    rows = np.fromiter(sorted(used_rows), np.intp, len(used_rows))
    beds = directory.column("available_beds")[rows].tolist()
    room = directory.column("staff_headroom")[rows].tolist()
    plan_homes = tuple(
        PlanHome(int(home), int(b), int(r))
        for home, b, r in zip(ids[rows].tolist(), beds, room, strict=True)
    )
    grouped = {m for group in groups for m in group}
    loners = [n for n in range(1, children + 1) if n not in grouped]
    pairs = set()
    wanted = min(len(loners) // 2, APART_PAIRS_PER_100 * children // 100)
    while len(pairs) < wanted:
        a, b = rng.sample(loners, 2)
        pairs.add((min(a, b), max(a, b)))
    problem = PlanProblem(
        children=tuple(plan_children),
        homes=plan_homes,
        keep_together=tuple(groups),
        keep_apart=tuple(sorted(pairs)),
        pins={},
    )
    facts = {
        "directory_seconds": round(directory_seconds, 2),
        "setup_seconds": round(time.perf_counter() - started, 2),
        "homes_in_directory": len(directory),
        "homes_feasible_for_any": len(plan_homes),
        "options_mean": round(sum(len(c.options) for c in plan_children) / children, 1),
        "children_without_home": sum(not c.options for c in plan_children),
        "sibling_groups": len(groups),
        "keep_apart_pairs": len(pairs),
    }
    return problem, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["300x10000", "40x250000"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    for size in args.sizes:
        children, homes = (int(part) for part in size.lower().split("x"))
        problem, facts = build_problem(children, homes, args.seed)
        greedy = plan_greedy(problem)
        best = plan_solve(problem, time_limit_s=args.time_limit)
        print(
            json.dumps(
                {
                    "children": children,
                    "homes": homes,
                    "optimal_seconds": round(best.seconds, 3),
                    "optimal": best.optimal,
                    "gap": best.gap,
                    "placed": best.placed,
                    "total_score": round(best.total_score, 1),
                    "greedy_placed": greedy.placed,
                    "greedy_total_score": round(greedy.total_score, 1),
                    "greedy_seconds": round(greedy.seconds, 3),
                    **facts,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
