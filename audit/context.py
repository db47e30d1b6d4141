"""The request being served, for audit receivers that Django's signals give no request.

A change to who may do what (a role, a group, an object permission) reaches the trail
through model signals, which know nothing of the request behind it. `AuditMiddleware`
keeps the request here while it is served, so those receivers can name the acting user
and their address; outside a request (a shell, a command, a task) there is none, and
the entry says where the change came from instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest

from audit.services import request_ip

_request: ContextVar[HttpRequest | None] = ContextVar("harbor_audit_request", default=None)


def current_request() -> HttpRequest | None:
    return _request.get()


@contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    """While a request is served (the middleware), receivers see it."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def current_actor() -> tuple[Any | None, str | None]:
    """The signed-in user behind the change being made, and their address; (None, None)
    outside a request or for an anonymous one."""
    request = current_request()
    if request is None:
        return None, None
    user = getattr(request, "user", None)
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    return actor, request_ip(request)


def change_source() -> str:
    """Where a change came from: `admin`, `api` or `web` in a request; else the
    management command's name (never its arguments: they may carry a password),
    `task` in a Celery worker, or `system`."""
    request = current_request()
    if request is not None:
        match = getattr(request, "resolver_match", None)
        if match is not None and "admin" in match.namespaces:
            return "admin"
        return "api" if getattr(request, "path", "").startswith("/api/") else "web"
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if program in ("manage.py", "django-admin") and len(sys.argv) > 1:
        return f"command {sys.argv[1]}"[:60]
    if program.startswith("celery"):
        return "task"
    return "system"
