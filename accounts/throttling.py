"""Per-address limits on sign-in attempts, for the API's token endpoint and the web pages.

Both count in one place: the `anon` rate (`SIGN_IN_RATE`, default 30 a minute) per
client address (`REMOTE_ADDR`, which `core.client_address` set from the trusted
proxies), so an address spraying passwords over many accounts is slowed whichever door
it uses; django-axes separately locks one account after 5 failures.

The counters live in the shared cache (Redis in production), so every web process
counts the same attempts. When it does not answer, signing in must still work: the
counters fall back to this process's memory for a while, with a warning in the log,
and the shared cache is tried again after `RETRY_SECONDS`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
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


class SignInCache:
    """The shared cache, or this process's own memory while the shared one is down.

    Only `get` and `set` are needed (they are all DRF's rate throttle uses). After a
    failure the shared cache is left alone for `retry_seconds`, so a dead Redis costs
    one failed connection per process per interval, not one per sign-in.
    """

    def __init__(self, retry_seconds: float = 30.0) -> None:
        self.retry_seconds = retry_seconds
        self.local = LocMemCache("harbor-sign-in-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})
        self.down_until = 0.0

    def get(self, key: str, default: Any = None) -> Any:
        return self._call("get", key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._call("set", key, value, timeout)

    def reset(self) -> None:
        """Forget the fallback's counters and try the shared cache again (tests)."""
        self.local.clear()
        self.down_until = 0.0

    def _call(self, name: str, *args: Any) -> Any:
        if time.monotonic() >= self.down_until:
            try:
                return getattr(default_cache, name)(*args)
            except CACHE_ERRORS as exc:
                self.down_until = time.monotonic() + self.retry_seconds
                # The error's class only: its text may carry the cache's URL and password.
                logger.warning(
                    "Sign-in throttle: the shared cache does not answer (%s); counting "
                    "attempts in this process's memory for the next %d s.",
                    type(exc).__name__,
                    self.retry_seconds,
                )
        return getattr(self.local, name)(*args)


sign_in_cache = SignInCache()


class SignInRateThrottle(SimpleRateThrottle):
    """DRF throttle for the token endpoint: the `anon` rate per client address.

    Unlike DRF's AnonRateThrottle it counts every attempt, signed in or not (a session
    halfway through its second factor signs in too), and it survives a cache outage.
    """

    scope = "anon"
    # Duck-typed: the rate throttle calls only `get` and `set`, which SignInCache has.
    cache = sign_in_cache  # type: ignore[assignment]
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_ident(self, request: Request) -> str:
        return request.META.get("REMOTE_ADDR") or "unknown"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


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
