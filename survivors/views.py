from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from audit.selectors import audit_entries_for_survivor
from audit.services import audit_record, request_ip
from core.types import AuthedHttpRequest
from core.vocab import FIELD_LABELS
from survivors import policy
from survivors.forms import CHOICES, CaseSearchForm, IntakeForm, initial_values
from survivors.models import Survivor
from survivors.selectors import survivor_find, survivor_get
from survivors.services import (
    survivor_create,
    survivor_record_reads,
    survivor_search_record,
)

FOUND_MAX = 50  # cases a search lists on the dashboard


def intake_page(
    request: HttpRequest,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    survivor: Survivor | None = None,
) -> HttpResponse:
    """The intake form, blank (a new child) or filled (the edit page: `survivor`)."""
    return render(
        request,
        "survivors/intake.html",
        {
            "values": values,
            "errors": errors,
            "choices": CHOICES,
            "labels": FIELD_LABELS,
            "survivor": survivor,
        },
        status=400 if errors else 200,
    )


def refused_fields(exc: ValidationError) -> dict[str, str]:
    """The service's (the model's) refusal, one message per field."""
    if hasattr(exc, "error_dict"):
        return {field: " ".join(texts) for field, texts in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}


@login_required
def intake_create(request: AuthedHttpRequest) -> HttpResponse:
    """A case worker records a recovered child: identity (encrypted) and needs."""
    if not policy.may_record_intake(request.user):
        policy.survivor_record_denied(
            actor=request.user, survivor_id=None, action="survivor.create", ip=request_ip(request)
        )
        raise PermissionDenied("Only a case worker records an intake.")
    values = initial_values({"urgency": "crisis", "primary_language": "en"})
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = IntakeForm(request.POST)
        refused: dict[str, str] = {}
        if form.is_valid():
            try:
                survivor = survivor_create(
                    actor=request.user, data=form.record_data(), ip=request_ip(request)
                )
            except ValidationError as exc:
                # The model's own checks (across fields, uniqueness in the agency).
                refused = refused_fields(exc)
            else:
                messages.success(request, f"Intake saved as case {survivor.case_number}.")
                return redirect("survivor-page", survivor_id=survivor.pk)
        errors = {**form.errors_by_field(), **refused}
        values = form.display_values()
    return intake_page(request, values=values, errors=errors)


def case_search(request: AuthedHttpRequest) -> tuple[CaseSearchForm, list[Survivor] | None, int]:
    """The dashboard's "find a case" (GET): the form, the cases found (None when nothing
    was asked) and how many there are. A search is audited with its number of results
    (never the words), and each case listed, with its name, as a read."""
    asked = "search" in request.GET or "status" in request.GET
    form = CaseSearchForm(request.GET if asked else None)
    if not form.is_bound or not form.is_valid():
        return form, None, 0
    search, status = form.cleaned_data["search"], form.cleaned_data["status"]
    if not search and not status:
        return form, None, 0
    found = survivor_find(user=request.user, search=search, status=status)
    count = found.count()
    shown = list(found[:FOUND_MAX])
    ip = request_ip(request)
    survivor_search_record(
        actor=request.user, results=count, status=status, by_text=bool(search), ip=ip
    )
    survivor_record_reads(actor=request.user, survivors=shown, ip=ip)
    return form, shown, count


@login_required
def survivor_audit(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    """The survivor's audit trail, for the agency's supervisors and admins."""
    survivor = survivor_get(user=request.user, survivor_id=survivor_id)
    if survivor is None or not policy.may_read_audit(request.user):
        policy.survivor_record_denied(
            actor=request.user, survivor_id=survivor_id, action="audit.read", ip=request_ip(request)
        )
        raise Http404
    entries = list(audit_entries_for_survivor(survivor_id=survivor.pk)[:200])
    # Reading the trail is on the trail, after the page was taken (as on the API).
    audit_record(
        actor=request.user,
        action="audit.read",
        obj=survivor,
        survivor_id=survivor.pk,
        ip=request_ip(request),
    )
    return render(request, "survivors/audit.html", {"survivor": survivor, "entries": entries})
