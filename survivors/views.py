from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.models import Role
from audit.selectors import audit_entries_for_survivor
from audit.services import request_ip
from matching.forms import CHOICES, FIELD_LABELS, flat_errors, form_values, needs_data_from_post
from matching.models import Placement
from survivors.models import Survivor
from survivors.selectors import survivor_get
from survivors.services import survivor_create, survivor_record_denied, survivor_record_reads

IDENTITY_FIELDS = ("case_number", "first_name", "last_name", "notes")


def visible_survivor_or_404(request: HttpRequest, survivor_id: int, action: str) -> Survivor:
    """The survivor if this user may see it, with the read audited; else 404, audited too."""
    survivor = survivor_get(user=request.user, survivor_id=survivor_id)
    if survivor is None:
        survivor_record_denied(
            actor=request.user, survivor_id=survivor_id, action=action, ip=request_ip(request)
        )
        raise Http404
    survivor_record_reads(
        actor=request.user, survivors=[survivor], ip=request_ip(request), action=action
    )
    return survivor


@login_required
def intake_create(request: HttpRequest) -> HttpResponse:
    """A case worker records a recovered child: identity (encrypted) and needs."""
    if request.user.role not in (Role.CASE_WORKER, Role.SUPERVISOR) or not request.user.agency_id:
        raise PermissionDenied("Only case workers and supervisors of an agency record intakes.")
    values: dict[str, object] = form_values({"urgency": "crisis", "primary_language": "en"})
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = needs_data_from_post(request.POST)
        data.pop("age", None)
        for name in IDENTITY_FIELDS:
            data[name] = request.POST.get(name, "").strip()
        data.setdefault("dependents", 0)
        data.setdefault("primary_language", "")
        try:
            survivor = survivor_create(actor=request.user, data=data, ip=request_ip(request))
        except ValidationError as exc:
            errors = flat_errors(exc.message_dict)
            values = form_values(data)
        else:
            return redirect("survivor-page", survivor_id=survivor.pk)
    return render(
        request,
        "survivors/intake.html",
        {"values": values, "errors": errors, "choices": CHOICES, "labels": FIELD_LABELS},
        status=400 if errors else 200,
    )


@login_required
def survivor_detail(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor = visible_survivor_or_404(request, survivor_id, "survivor.read")
    need_to_know = request.user.role == Role.MDT_MEMBER
    return render(
        request,
        "survivors/detail.html",
        {
            "survivor": survivor,
            "age": survivor.age_on(timezone.localdate()),
            "need_to_know": need_to_know,
            "status_changes": survivor.status_changes.select_related("by"),
            "searches": survivor.searches.select_related("searched_by")[:5],
            "recommendations": survivor.recommendations.select_related("home"),
            "referrals": survivor.referrals.select_related("home"),
            "placement": survivor.placements.filter(ended_at__isnull=True)
            .select_related("home")
            .first(),
            "end_reasons": Placement.EndReason.choices,
            "now": timezone.now(),
            "can_audit": request.user.is_harbor_admin or request.user.role == Role.SUPERVISOR,
            "can_search": request.user.role in (Role.CASE_WORKER, Role.SUPERVISOR, Role.ADMIN),
        },
    )


@login_required
def survivor_audit(request: HttpRequest, survivor_id: int) -> HttpResponse:
    """The survivor's audit trail, for the agency's supervisors and admins."""
    survivor = survivor_get(user=request.user, survivor_id=survivor_id)
    allowed = survivor is not None and (
        request.user.is_harbor_admin or request.user.role == Role.SUPERVISOR
    )
    if not allowed:
        survivor_record_denied(
            actor=request.user, survivor_id=survivor_id, action="audit.read", ip=request_ip(request)
        )
        raise Http404
    entries = audit_entries_for_survivor(survivor_id=survivor.pk)[:200]
    return render(request, "survivors/audit.html", {"survivor": survivor, "entries": entries})
