"""The audit trail's part of every request.

- While the view runs, the request is known to the audit receivers (`audit.context`),
  so a role or permission changed in the Django admin names the admin who changed it.
- Every Django admin change page shown (`admin:<app>_<model>_change`, GET, 200) is an
  `admin.read` entry on the object, on a child's trail when the object carries one.

The request never seals the hash chain: the beat's `seal_audit_trail` does, every minute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from audit import context
from audit.services import audit_record, request_ip

SURVIVOR = "survivors.survivor"


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with context.serving(request):
            response = self.get_response(request)
            shown = _admin_change_page_object(request, response)
            if shown is not None:
                audit_record(
                    actor=request.user,
                    action="admin.read",
                    obj=shown,
                    survivor_id=_survivor_of(shown),
                    ip=request_ip(request),
                )
        return response


def _admin_change_page_object(request: HttpRequest, response: HttpResponse) -> Any | None:
    """The record an admin change (or view-only) page showed, or None."""
    if request.method != "GET" or response.status_code != 200:
        return None
    match = getattr(request, "resolver_match", None)
    if match is None or "admin" not in match.namespaces:
        return None
    if not (match.url_name or "").endswith("_change"):
        return None
    shown = (getattr(response, "context_data", None) or {}).get("original")
    return shown if isinstance(shown, models.Model) and shown.pk is not None else None


def _survivor_of(obj: models.Model) -> int | None:
    """The child whose trail a read of `obj` belongs on: the survivor itself, or the
    survivor a record points at (a referral, a placement, a match search)."""
    concrete = obj._meta.concrete_model or type(obj)  # None only on an abstract model
    if concrete._meta.label_lower == SURVIVOR:
        return obj.pk
    survivor_id = getattr(obj, "survivor_id", None)
    return survivor_id if isinstance(survivor_id, int) else None
