"""The API's routes come first in config/urls.py, so an API request tries them before
every page's pattern: each route, page or API, still answers at its own path."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def _routes(patterns, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _sample_path(route: str) -> str | None:
    if route.startswith("^") or "(?" in route:  # the admin's regexes: not a plain route
        return None
    return "/" + re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: "x" if m.group(1) in ("str", "slug", "path") else "7", route
    )


def test_every_route_still_answers_at_its_own_path():
    resolver = get_resolver()
    routes = list(_routes(resolver.url_patterns))
    assert str(resolver.url_patterns[0].pattern) == "api/v1/"
    checked = {"api": 0, "page": 0}
    for route in routes:
        path = _sample_path(route)
        if path is None:
            continue
        match = resolver.resolve(path)
        assert match.route == route, (path, match.route)
        checked["api" if route.startswith("api/v1/") else "page"] += 1
    assert checked["api"] > 40 and checked["page"] > 40
