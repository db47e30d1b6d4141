"""Where the milliseconds of a child's search go: `GET /api/v1/survivors/{id}/matches/`
with a token and the search page `GET /survivors/{id}/search/` signed in, each broken
into its parts (issue 30: middleware, sign-in, URL and DRF dispatch, reading the child,
keep-apart, directory sync, engine, contacts, search record and audit, response, JSON,
template render), over `--requests` requests of each, in one process.

    .venv/bin/python bench/spans.py                          # 250,000 homes
    .venv/bin/python bench/spans.py --homes 1000 --requests 30

The scratch database (BENCH_DATABASE_URL) is made as `bench/run.py --reuse-homes` makes
it: a copy of the size's template (drawn and saved first when there is none), the bench
user with a token and a session with its second factor, 40 stored children; the
requests go through Django's test client, as bench/paths.py's do.

Each part is one or more functions, timed on their code objects alone through
sys.monitoring (PEP 669): wherever a function is called from it is counted, and no
other code is slowed. A part's time is its own (`self`): the time of the parts it calls
is theirs, so the parts add up to the request; what the spans leave out is
`(outside every span)` (the test client building the request and reading the answer).
SQL run through Django's cursors is set apart (`sql`, `queries` beside the part that
ran it); SQL sent on a raw psycopg connection stays in its part's Python time. A
function that is gone or renamed is listed as not found, its time in its caller's.

The timers cost time too (PY_START and PY_RETURN events of these functions only, a
Python callback each): the same requests with the timers off, interleaved in blocks of
ten, give `plain p50`, beside `timed p50`. The medians of the parts do not add up to
the median request; their means add up to the mean (`mean` column).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import random
import statistics
import sys
import threading
import time
import types
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402  (sets the environment as `make bench` runs)

SQL = "sql"
OUTSIDE = "(outside every span)"
# (part, functions as module:qualname), in the order a request meets them. Middleware
# classes are added from settings.MIDDLEWARE, one part each.
PARTS: list[tuple[str, list[str]]] = [
    ("Django handler", [
        "django.core.handlers.base:BaseHandler.get_response",
        "django.core.handlers.base:BaseHandler._get_response",
        "django.core.handlers.exception:convert_exception_to_response.<locals>.inner",
        "django.utils.deprecation:MiddlewareMixin.__call__",
    ]),
    ("URL resolve", ["django.core.handlers.base:BaseHandler.resolve_request"]),
    ("session load", [
        "django.contrib.sessions.backends.db:SessionStore.load",
        "accounts.sessions:SessionStore.load",
        "django.contrib.sessions.backends.base:SessionBase._get_session",
    ]),
    ("session save", ["django.contrib.sessions.backends.db:SessionStore.save"]),
    ("user from session", ["django.contrib.auth:get_user"]),
    ("DRF dispatch", [
        "rest_framework.views:APIView.dispatch",
        "rest_framework.views:APIView.initialize_request",
        "rest_framework.views:APIView.initial",
        "rest_framework.views:APIView.finalize_response",
        "rest_framework.views:APIView.perform_content_negotiation",
        "rest_framework.views:APIView.check_permissions",
        "rest_framework.views:APIView.check_throttles",
        "rest_framework.request:Request._authenticate",
    ]),
    ("token auth", [
        "accounts.authentication:HarborTokenAuthentication.authenticate",
        "accounts.tokens:token_find",
    ]),
    ("query parameters", ["rest_framework.serializers:BaseSerializer.is_valid"]),
    ("page view", [
        "desk.cases:survivor_search",
        "desk.cases:_survivor_search_page",
        "matching.forms:SurvivorSearchForm.__init__",
        "matching.forms:SurvivorSearchForm.apply",
    ]),
    ("API view", ["placement.match_apis:survivor_matches"]),
    ("reading the child", [
        "survivors.policy:survivor_or_refuse",
        "survivors.selectors:survivor_get",
        "desk.cases:_visible_survivor",
    ]),
    ("decrypting the child", [
        "core.fields:decrypt",
        "core.fields:EncryptedTextField.from_db_value",
        "core.fields:EncryptedCharField.from_db_value",
        "core.fields:EncryptedDateField.from_db_value",
        "core.fields:EncryptedJSONField.from_db_value",
    ]),
    ("the child's needs", [
        "placement.selectors:case_needs",
        "matching.selectors:needs_of_survivor",
        "matching.selectors:survivor_matching_fields",
        "matching.selectors:needs_from_fields",
    ]),
    ("keep-apart", ["placement.selectors:keep_apart_homes"]),
    ("search (lock, options)", [
        "matching.apis:search_of_query",
        "matching.selectors:search_homes",
        "matching.selectors:match_needs",
        "matching.directory:DirectoryCache.search",
    ]),
    ("directory sync", [
        "matching.directory:DirectoryCache._synced",
        "matching.directory:DirectoryCache._apply_changes",
        "matching.directory:DirectoryCache._snapshot",
    ]),
    ("engine: rules (numpy)", ["engine.vector:rule_failures"]),
    ("engine: scoring", ["engine.scoring:score_rows", "engine.scoring:score_home"]),
    ("engine: the rest", ["engine.assign:match"]),
    ("contacts", [
        "matching.directory:DirectoryCache.contacts",
        "matching.selectors:home_contacts",
    ]),
    ("tonight plan", ["matching.selectors:tonight_plan"]),
    ("search record + audit", [
        "matching.services:search_record",
        "matching.services:needs_snapshot",
    ]),
    ("response build", ["matching.serializers:match_response"]),
    ("JSON", ["matching.apis:SearchJSONRenderer.render"]),
    ("template render", [
        "django.template.backends.django:Template.render",
        "django.template.backends.jinja2:Template.render",
        "django.shortcuts:render",
    ]),
    ("reverse()", ["django.urls.base:reverse"]),
    ("ORM: compiling SQL", ["django.db.models.sql.compiler:SQLCompiler.as_sql"]),
    ("ORM: building objects", ["django.db.models.base:Model.from_db"]),
    (SQL, [
        "django.db.backends.utils:CursorWrapper._execute",
        "django.db.backends.utils:CursorWrapper._executemany",
    ]),
]  # fmt: skip


def _functions() -> dict[tuple[str, str], list[types.FunctionType]]:
    index: dict[tuple[str, str], list[types.FunctionType]] = defaultdict(list)
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            index[(obj.__module__, obj.__qualname__)].append(obj)
    return index


def resolve(parts: list[tuple[str, list[str]]]) -> tuple[dict[types.CodeType, str], list[str]]:
    """{code object: part} of every function named, and the names not found."""
    for _, names in parts:
        for name in names:
            try:
                importlib.import_module(name.split(":")[0])
            except ImportError:
                pass
    index = _functions()
    codes: dict[types.CodeType, str] = {}
    missing = []
    for part, names in parts:
        for name in names:
            module, qualname = name.split(":")
            found = {f.__code__ for f in index.get((module, qualname), [])}
            if not found and ".<locals>." in qualname:  # a closure (maybe renamed by wraps)
                outer = qualname.split(".<locals>.")[0]
                found = {
                    const
                    for f in index.get((module, outer), [])
                    for const in f.__code__.co_consts
                    if isinstance(const, types.CodeType) and const.co_qualname == qualname
                }
            if not found:
                missing.append(name)
            for code in found:
                codes.setdefault(code, part)
    return codes, missing


def middleware_parts() -> list[tuple[str, list[str]]]:
    from django.conf import settings
    from django.utils.module_loading import import_string

    parts = []
    for path in settings.MIDDLEWARE:
        cls = import_string(path)
        names = []
        for klass in cls.__mro__:
            if klass.__module__.startswith("django.utils.deprecation") or klass is object:
                break
            for attr in ("__call__", "process_request", "process_view", "process_response"):
                if isinstance(klass.__dict__.get(attr), types.FunctionType):
                    names.append(f"{klass.__module__}:{klass.__qualname__}.{attr}")
        parts.append((f"middleware: {cls.__name__}", names))
    return parts


class Spans:
    """Per request: each part's own time, and the SQL its functions sent, in ms."""

    TOOL = 4  # a free sys.monitoring tool id (0-5; 0, 1, 2 and 5 are named)

    def __init__(self, codes: dict[types.CodeType, str]) -> None:
        self.codes = codes
        self.sql = {code for code, part in codes.items() if part == SQL}
        self.main = threading.get_ident()
        self.stack: list[list] = []
        self.own: dict[str, float] = defaultdict(float)
        self.sql_ms: dict[str, float] = defaultdict(float)
        self.queries: dict[str, int] = defaultdict(int)
        monitoring = sys.monitoring
        events = monitoring.events
        monitoring.use_tool_id(self.TOOL, "bench.spans")
        monitoring.register_callback(self.TOOL, events.PY_START, self._start)
        monitoring.register_callback(self.TOOL, events.PY_RETURN, self._finish)

    def on(self) -> None:
        events = sys.monitoring.events
        for code in self.codes:
            sys.monitoring.set_local_events(self.TOOL, code, events.PY_START | events.PY_RETURN)

    def off(self) -> None:
        for code in self.codes:
            sys.monitoring.set_local_events(self.TOOL, code, 0)

    def reset(self) -> None:
        self.stack.clear()
        self.own.clear()
        self.sql_ms.clear()
        self.queries.clear()

    def _start(self, code, offset) -> None:
        if threading.get_ident() == self.main:
            self.stack.append([code, time.perf_counter(), 0.0])

    def _finish(self, code, offset, value) -> None:
        if threading.get_ident() != self.main:
            return
        now = time.perf_counter()
        if not any(entry[0] is code for entry in self.stack):
            return  # started before the timers were on
        # Down to this call: past any call an exception ended (PY_UNWIND is not watched,
        # being a global event that slowed every exception; such a call's time runs on
        # to its caller's return).
        while self.stack:
            done, started, inner = self.stack.pop()
            elapsed = (now - started) * 1000
            parent = self.codes[self.stack[-1][0]] if self.stack else OUTSIDE
            if self.stack:
                self.stack[-1][2] += elapsed
            if done in self.sql:
                self.sql_ms[parent] += elapsed
                self.queries[parent] += 1
            else:
                self.own[self.codes[done]] += elapsed - inner
            if done is code:
                return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=250_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests of each path")
    parser.add_argument("--survivors", type=int, default=300, help="as bench/run.py's")
    parser.add_argument("--stored-survivors", type=int, default=40)
    parser.add_argument("--json", action="store_true", help="also one JSON line at the end")
    args = parser.parse_args()
    args.no_server = True

    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    rng = random.Random(250_000)
    bodies = [run.data.random_body(rng) for _ in range(args.survivors)]
    homes = run.homes_from_templates(
        args.homes, args.survivors, rng, rng.getstate(), timezone.now()
    )
    user, device, _, survivor_ids, floor_conn = run.set_up(args, bodies)
    floor_conn.close()
    api, page = run.paths.signed_in_clients(user, device, "bench-spans")

    def get(client: Client, path: str) -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")

    paths = {
        "survivor_api": (api, "/api/v1/survivors/{}/matches/"),
        "page": (page, "/survivors/{}/search/"),
    }
    for turn in range(10):  # warm: the directory loaded, code paths and caches
        for client, path in paths.values():
            get(client, path.format(survivor_ids[turn % len(survivor_ids)]))

    codes, missing = resolve(middleware_parts() + PARTS)
    spans = Spans(codes)
    wall: dict[str, dict[str, list[float]]] = {name: {"timed": [], "plain": []} for name in paths}
    per_request: dict[str, list[dict]] = {name: [] for name in paths}
    for block in range(2 * -(-args.requests // 10)):
        timed = block % 2 == 1
        if timed:
            spans.on()
        for turn in range(10):
            survivor = survivor_ids[(block * 10 + turn) % len(survivor_ids)]
            for name, (client, path) in paths.items():
                spans.reset()
                started = time.perf_counter()
                get(client, path.format(survivor))
                elapsed = (time.perf_counter() - started) * 1000
                wall[name]["timed" if timed else "plain"].append(elapsed)
                if timed:
                    own = dict(spans.own)
                    own[OUTSIDE] = (
                        own.get(OUTSIDE, 0.0)
                        + elapsed
                        - (sum(spans.own.values()) + sum(spans.sql_ms.values()))
                    )
                    per_request[name].append(
                        {"own": own, "sql": dict(spans.sql_ms), "queries": dict(spans.queries)}
                    )
        if timed:
            spans.off()

    order = [part for part, _ in middleware_parts() + PARTS if part != SQL] + [OUTSIDE]
    line: dict = {"homes": args.homes, "requests": args.requests, **homes}
    print(f"{args.homes} homes, {args.requests} requests of each path, ms per request")
    if missing:
        print("not found (their time is their caller's):", ", ".join(missing))
    for name, requests in per_request.items():
        plain, timed_wall = wall[name]["plain"], wall[name]["timed"]
        print(
            f"\n{name}: plain p50 {statistics.median(plain):.2f}, timed p50 "
            f"{statistics.median(timed_wall):.2f}, timed mean {statistics.fmean(timed_wall):.2f}"
        )
        print(f"  {'part':<44} {'p50':>7} {'mean':>7} {'sql p50':>8} {'queries':>8}")
        parts = {}
        for part in order:
            own = [r["own"].get(part, 0.0) for r in requests]
            sql = [r["sql"].get(part, 0.0) for r in requests]
            queries = [r["queries"].get(part, 0) for r in requests]
            if not any(own) and not any(sql):
                continue
            parts[part] = {
                "p50": round(statistics.median(own), 3),
                "mean": round(statistics.fmean(own), 3),
                "sql_p50": round(statistics.median(sql), 3),
                "sql_mean": round(statistics.fmean(sql), 3),
                "queries": round(statistics.fmean(queries), 1),
            }
            p = parts[part]
            print(
                f"  {part:<44} {p['p50']:7.3f} {p['mean']:7.3f} {p['sql_p50']:8.3f} "
                f"{p['queries']:8.1f}"
            )
        total = sum(p["mean"] + p["sql_mean"] for p in parts.values())
        print(f"  {'sum of means (Python + SQL)':<44} {'':>7} {total:7.2f}")
        line[name] = {
            "plain_p50_ms": round(statistics.median(plain), 2),
            "timed_p50_ms": round(statistics.median(timed_wall), 2),
            "parts": parts,
        }
    if args.json:
        print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
