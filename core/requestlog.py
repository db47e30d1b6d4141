"""Every request's id, duration and log line, and the JSON log format.

`X-Request-ID` is taken from the request when a proxy (or the client) sent a sensible
one, else made here; it is on every response, in every log line written while the
request is served, on the 500 page and in an API error, so a user's "reference" finds
the log lines. The request's log line names the route (the URL pattern, never the path,
whose query or ids could identify a child), the method, the status, the duration and the
user's id: no personal data.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from core.metrics import REQUEST_SECONDS

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_request_id: ContextVar[str | None] = ContextVar("harbor_request_id", default=None)
logger = logging.getLogger("harbor.request")


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_of(request: HttpRequest) -> str:
    sent = request.headers.get(HEADER, "")
    return sent if _VALID.match(sent) else uuid.uuid4().hex


class RequestLogMiddleware:
    """First in MIDDLEWARE, so its header and its timing cover every other one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        request.META["HARBOR_REQUEST_ID"] = request_id
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            elapsed = time.perf_counter() - started
            _request_id.reset(token)
        response[HEADER] = request_id
        route = _route(request)
        REQUEST_SECONDS.labels(
            route=route, method=request.method or "", status=f"{response.status_code // 100}xx"
        ).observe(elapsed)
        logger.info(
            "request",
            extra={
                "request_id": request_id,
                "route": route,
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
                "user_id": _user_id(request),
            },
        )
        return response


def _route(request: HttpRequest) -> str:
    if "HARBOR_ROUTE" in request.META:  # answered before URL resolution (desk.ops)
        return request.META["HARBOR_ROUTE"]
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + match.route if match.route is not None else match.view_name or "unnamed"


def _user_id(request: HttpRequest) -> int | None:
    # Only a user already read (by the session or a token): never a query for the log.
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or not isinstance(getattr(wrapped, "pk", None), int):
        return None
    return wrapped.pk


class RequestIdFilter(logging.Filter):
    """Puts the request's id on every record logged while it is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


# LogRecord's own attributes: everything else on a record came as `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's id and any
    `extra` fields, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None:
                data[key] = value
        if isinstance(data.get("request"), HttpRequest):
            # Django logs every 4xx and 5xx with the request as `extra`; its text is the
            # full path, query included (`?search=<a child's name>`). The route says
            # where, the request's id finds its own line.
            data["request"] = _route(data["request"])
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


def request_reference(request: HttpRequest) -> str:
    """The id a user quotes for this request (its X-Request-ID)."""
    return request.META.get("HARBOR_REQUEST_ID") or current_request_id() or ""
