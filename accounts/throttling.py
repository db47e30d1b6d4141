"""Per-address limits on sign-in attempts, for the API's token endpoint and the web pages.

Both count in one place: the `anon` rate (`SIGN_IN_RATE`, default 30 a minute) per
client address (`REMOTE_ADDR`, which `core.client_address` set from the trusted
proxies), so an address spraying passwords over many accounts is slowed whichever door
it uses; django-axes separately locks one account after 5 failures (accounts.lockout
makes that count exact under concurrency).

Each attempt is one atomic increment (Redis INCR; never a read then a write, which let
37 of 15 concurrent clients' attempts through a limit of 30): an attempt is allowed
when the attempts counted in this minute, plus the previous minute's weighted by how
much of it still lies within the last 60 seconds, are within the rate (a sliding
window, so a burst astride two minutes is not let through twice).

The counters live in the shared cache (Redis in production), so every web process
counts the same attempts. When it does not answer, signing in must still work: the
counters fall back to a small SQLite file on this host that every process on it
shares (so the limit still holds per host, not per process), with a warning in the
log, and the shared cache is tried again after `RETRY_SECONDS`.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as default_cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.middleware import MFA_VERIFY_PATH

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is installed wherever REDIS_URL can be set
    RedisError = OSError  # type: ignore[misc,assignment]

# What a cache that does not answer raises (Django's Redis backend lets redis-py's
# errors through; a socket may fail below it).
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


def host_counter_path() -> Path:
    """The host's fallback counters: SIGN_IN_FALLBACK_PATH, or a file in the temp dir."""
    configured = getattr(settings, "SIGN_IN_FALLBACK_PATH", "")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"harbor-sign-in-{os.getuid()}.sqlite3"


class HostCounters:
    """Atomic counters in a SQLite file every process on this host opens: an UPSERT
    under SQLite's write lock, so two processes never read the same count."""

    def incr(self, key: str, *, expires_at: float) -> int:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            (count,) = db.execute(
                "INSERT INTO counter (key, n, expires_at) VALUES (?, 1, ?) "
                "ON CONFLICT (key) DO UPDATE SET n = n + 1 RETURNING n",
                (key, expires_at),
            ).fetchone()
            # Old windows go as new ones come: the table holds two per address at most.
            db.execute("DELETE FROM counter WHERE expires_at < ?", (time.time(),))
            db.execute("COMMIT")
        return int(count)

    def get(self, key: str) -> int:
        with self._connect() as db:
            row = db.execute(
                "SELECT n FROM counter WHERE key = ? AND expires_at >= ?", (key, time.time())
            ).fetchone()
        return int(row[0]) if row else 0

    def clear(self) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM counter")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(host_counter_path(), timeout=5, isolation_level=None)
        db.execute(
            "CREATE TABLE IF NOT EXISTS counter "
            "(key TEXT PRIMARY KEY, n INTEGER NOT NULL, expires_at REAL NOT NULL)"
        )
        return db


class SignInCounters:
    """Atomic per-key counters in the shared cache, or in this host's file while the
    shared cache is down.

    After a failure the shared cache is left alone for `retry_seconds`, so a dead Redis
    costs one failed connection per process per interval, not one per sign-in.
    """

    def __init__(self, retry_seconds: float = 30.0) -> None:
        self.retry_seconds = retry_seconds
        self.host = HostCounters()
        self.down_until = 0.0

    def incr(self, key: str, *, timeout: int) -> int:
        """The key's count after adding one; the key lives `timeout` seconds."""
        if self._shared_up():
            try:
                for _ in range(3):
                    # SET NX then INCR, both atomic in Redis: a key that expires between
                    # the two makes INCR fail (ValueError), and the pair is tried again.
                    default_cache.add(key, 0, timeout)
                    try:
                        return int(default_cache.incr(key))
                    except ValueError:
                        continue
            except CACHE_ERRORS as exc:
                self._went_down(exc)
        return self.host.incr(key, expires_at=time.time() + timeout)

    def get(self, key: str) -> int:
        if self._shared_up():
            try:
                return int(default_cache.get(key) or 0)
            except CACHE_ERRORS as exc:
                self._went_down(exc)
        return self.host.get(key)

    def reset(self) -> None:
        """Forget the host's counters and try the shared cache again (tests)."""
        self.host.clear()
        self.down_until = 0.0

    def _shared_up(self) -> bool:
        return time.monotonic() >= self.down_until

    def _went_down(self, exc: BaseException) -> None:
        self.down_until = time.monotonic() + self.retry_seconds
        # The error's class only: its text may carry the cache's URL and password.
        logger.warning(
            "Sign-in throttle: the shared cache does not answer (%s); counting "
            "attempts in this host's file for the next %d s.",
            type(exc).__name__,
            self.retry_seconds,
        )


sign_in_cache = SignInCounters()


class SignInRateThrottle(SimpleRateThrottle):
    """DRF throttle for the token endpoint: the `anon` rate per client address.

    Unlike DRF's AnonRateThrottle it counts every attempt, signed in or not (a session
    halfway through its second factor signs in too), counts by atomic increments (a
    sliding window over two fixed ones), and survives a cache outage.
    """

    scope = "anon"
    cache_format = "throttle_%(scope)s_%(ident)s"
    counters = sign_in_cache

    def get_ident(self, request: Request) -> str:
        return request.META.get("REMOTE_ADDR") or "unknown"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        limit, duration = self.parse_rate(self.rate)
        if limit is None or duration is None:
            return True
        key = self.get_cache_key(request, view)
        now = time.time()
        window = int(now // duration)
        elapsed = (now - window * duration) / duration
        count = self.counters.incr(f"{key}:{window}", timeout=2 * duration + 1)
        previous = self.counters.get(f"{key}:{window - 1}")
        # Rounded up: the estimate errs towards refusing, never towards one attempt more.
        weighted = math.ceil(previous * (1 - elapsed))
        allowed = count + weighted <= limit
        if not allowed:
            # When enough of the previous minute has slid out of the window (or, with
            # this minute full, when the next one starts) an attempt is let through.
            window_end = (window + 1) * duration
            if count >= limit or previous == 0:
                self._wait = max(1.0, window_end - now)
            else:
                # previous * (1 - t) + count < limit, for t the fraction of this window gone.
                fraction = 1 - (limit - count) / previous
                self._wait = max(1.0, window * duration + fraction * duration - now)
        return allowed

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


# The web sign-in's steps that check a secret: the password, then the one-time or
# recovery code. (Enrolment checks a code of a device the user is adding themselves.)
SIGN_IN_PATHS = frozenset({"/login/", MFA_VERIFY_PATH})


class SignInThrottleMiddleware:
    """Limits POSTs to the web sign-in pages per client address, with the API's counters.

    Answers 429 with the error page, before the sign-in form (and django-axes) sees
    the attempt. After ClientAddressMiddleware, which sets the address it counts by.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path in SIGN_IN_PATHS:
            throttle = SignInRateThrottle()
            # A page's request, without a view: the throttle reads only its META.
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                wait = throttle.wait()
                response = render(
                    request,
                    "429.html",
                    {"throttled": True, "retry_after_seconds": math.ceil(wait or 60)},
                    status=429,
                )
                response["Retry-After"] = str(math.ceil(wait or 60))
                return response
        return self.get_response(request)
