from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from audit.selectors import audit_entries_for_survivor
from audit.services import request_ip
from core.vocab import FIELD_LABELS
from survivors import policy
from survivors.forms import CHOICES, IntakeForm, initial_values
from survivors.selectors import survivor_get
from survivors.services import survivor_create, survivor_record_denied


@login_required
def intake_create(request: HttpRequest) -> HttpResponse:
    """A case worker records a recovered child: identity (encrypted) and needs."""
    if not policy.may_record_intake(request.user):
        survivor_record_denied(
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
                    actor=request.user, data=form.intake_data(), ip=request_ip(request)
                )
            except ValidationError as exc:
                # The model's own checks (across fields, uniqueness in the agency).
                refused = {field: " ".join(texts) for field, texts in exc.message_dict.items()}
            else:
                return redirect("survivor-page", survivor_id=survivor.pk)
        errors = {**form.errors_by_field(), **refused}
        values = form.display_values()
    return render(
        request,
        "survivors/intake.html",
        {"values": values, "errors": errors, "choices": CHOICES, "labels": FIELD_LABELS},
        status=400 if errors else 200,
    )


@login_required
def survivor_audit(request: HttpRequest, survivor_id: int) -> HttpResponse:
    """The survivor's audit trail, for the agency's supervisors and admins."""
    survivor = survivor_get(user=request.user, survivor_id=survivor_id)
    if survivor is None or not policy.may_read_audit(request.user):
        survivor_record_denied(
            actor=request.user, survivor_id=survivor_id, action="audit.read", ip=request_ip(request)
        )
        raise Http404
    entries = audit_entries_for_survivor(survivor_id=survivor.pk)[:200]
    return render(request, "survivors/audit.html", {"survivor": survivor, "entries": entries})
