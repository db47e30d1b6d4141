"""The searches a case worker runs, timed in one process, interleaved with the bench's
own path and the SQL floor so that a machine whose speed drifts falls on all alike.

- `survivor_api`: `GET /api/v1/survivors/{id}/matches/` with a token, through the whole
  stack (middleware, token auth, the child read and decrypted, the search recorded and
  audited, the trail sealed after the response as the request does);
- `page`: the child's search page, `GET /survivors/{id}/search/`, signed in with a
  session and a second factor (`page_render_ms`: the templates' share);
- `whatif_stack`: `POST /api/v1/match/` with a token through the whole stack;
- `bench_interleaved`: the bench's path (the what-if view called directly);
- `floor_interleaved`: bench/floor.py's prepared query;
- `feasible_numpy`: the engine's vectorised rules alone (the in-memory limit).
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def create_survivors(user, bodies: list[dict], count: int) -> list[int]:
    """`count` stored children from the bench's bodies, through the intake service."""
    from django.utils import timezone

    from survivors.services import survivor_create

    today = timezone.localdate()
    ids = []
    for number, body in enumerate(bodies[:count]):
        data = {key: value for key, value in body.items() if key != "age"}
        data["first_name"] = "Bench"
        data["last_name"] = f"Child {number}"
        data["date_of_birth"] = today.replace(year=today.year - body["age"]) - timedelta(days=40)
        ids.append(survivor_create(actor=user, data=data).pk)
    return ids


class _RenderClock:
    """Adds up the time spent in Django templates' render while installed: the outermost
    render only. A template rendered inside another's render (a tag or a filter calling
    `render_to_string`) is already inside the outer one's time; counting it again read
    the page's rendering high."""

    def __init__(self) -> None:
        from django.template.backends.django import Template

        self.template = Template
        self.original = Template.render
        self.seconds = 0.0
        self.depth = 0

    def __enter__(self) -> _RenderClock:
        clock = self
        original = self.original

        def render(template, context=None, request=None):
            if clock.depth:
                return original(template, context, request)
            clock.depth += 1
            started = time.perf_counter()
            try:
                return original(template, context, request)
            finally:
                clock.seconds += time.perf_counter() - started
                clock.depth -= 1

        self.template.render = render  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc) -> None:
        self.template.render = self.original  # type: ignore[method-assign]


def signed_in_clients(user, device, token_name: str):
    """(api, page): test clients of `user` as a case worker's are, one with a token for
    the API, one with a session signed in with her second factor for the pages."""
    from django.test import Client

    from accounts.tokens import token_issue

    key, _ = token_issue(user=user, name=token_name)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    page = Client()
    page.force_login(user)
    session = page.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return api, page


def time_real_paths(user, device, survivor_ids: list[int], bodies: list[dict], floor_conn, *,
                    rounds: int) -> dict:  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.test import APIRequestFactory, force_authenticate

    from bench import floor
    from engine.vector import rule_failures
    from matching.apis import what_if_match
    from matching.selectors import directory_cache, needs_from_fields

    api, page = signed_in_clients(user, device, "bench-paths")
    factory = APIRequestFactory()
    today = timezone.localdate()
    all_needs = [needs_from_fields(body, today=today) for body in bodies]
    cursor = floor_conn.cursor()
    cursor.execute("SET max_parallel_workers_per_gather = 0")

    times: dict[str, list[float]] = {
        name: []
        for name in (
            "survivor_api", "page", "whatif_stack", "bench_interleaved",
            "floor_interleaved", "feasible_numpy",
        )
    }  # fmt: skip
    queries: dict[str, int] = {}
    render: list[float] = []

    def timed(name: str, call, *args) -> Any:
        started = time.perf_counter()
        result = call(*args)
        times[name].append((time.perf_counter() - started) * 1000)
        return result

    def bench_path(body: dict) -> None:
        request = factory.post("/api/v1/match/", body, format="json")
        force_authenticate(request, user=user)
        what_if_match(request).render()

    def check(response, name: str) -> None:
        if response.status_code != 200:
            raise SystemExit(f"{name} answered {response.status_code}: {response.content[:300]!r}")

    # Warm every path once; count the queries of the two the issue names.
    survivor = survivor_ids[0]
    for name, path in (("survivor_api", f"/api/v1/survivors/{survivor}/matches/"),
                       ("page", f"/survivors/{survivor}/search/")):  # fmt: skip
        client = api if name == "survivor_api" else page
        check(client.get(path), name)
        with CaptureQueriesContext(connection) as captured:
            check(client.get(path), name)
        queries[name] = len(captured)
    check(api.post("/api/v1/match/", bodies[0], content_type="application/json"), "whatif")
    floor.floor_ids(cursor, all_needs[0])
    directory = directory_cache.current()

    for turn in range(rounds):
        survivor = survivor_ids[turn % len(survivor_ids)]
        number = turn % len(bodies)
        body, needs = bodies[number], all_needs[number]
        matches = f"/api/v1/survivors/{survivor}/matches/"
        search_page = f"/survivors/{survivor}/search/"
        check(timed("survivor_api", api.get, matches), "survivor_api")
        with _RenderClock() as clock:
            check(timed("page", page.get, search_page), "page")
        render.append(clock.seconds * 1000)
        whatif = timed("whatif_stack", api.post, "/api/v1/match/", body, "application/json")
        check(whatif, "whatif")
        timed("bench_interleaved", bench_path, body)
        timed("floor_interleaved", floor.floor_ids, cursor, needs)
        timed("feasible_numpy", lambda n: rule_failures(n, directory).feasible_rows(), needs)
    cursor.close()

    line: dict = {}
    for name, values in times.items():
        line[f"{name}_p50_ms"] = round(statistics.median(values), 2)
        if name in ("survivor_api", "page", "whatif_stack"):
            line[f"{name}_p95_ms"] = round(_percentile(values, 0.95), 2)
    line["survivor_api_queries"] = queries["survivor_api"]
    line["page_queries"] = queries["page"]
    line["page_render_ms"] = round(statistics.median(render), 2)
    bench = line["bench_interleaved_p50_ms"]
    whatif = line["whatif_stack_p50_ms"]
    line["survivor_api_to_whatif"] = round(line["survivor_api_p50_ms"] / whatif, 2)
    line["page_to_whatif"] = round(line["page_p50_ms"] / whatif, 2)
    line["survivor_api_to_bench"] = round(line["survivor_api_p50_ms"] / bench, 2)
    line["page_to_bench"] = round(line["page_p50_ms"] / bench, 2)
    line["whatif_to_floor"] = round(whatif / line["floor_interleaved_p50_ms"], 2)
    line["bench_to_floor_interleaved"] = round(bench / line["floor_interleaved_p50_ms"], 2)
    return line
