from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role, User
from audit.selectors import audit_entries_for_survivor
from audit.services import audit_record, request_ip
from core.errors import Conflict
from core.types import AuthedHttpRequest
from survivors import policy
from survivors.forms import CaseSearchForm, HandOffForm, IntakeForm
from survivors.models import Survivor
from survivors.selectors import survivor_find, survivor_get
from survivors.services import (
    survivor_assign,
    survivor_create,
    survivor_record_reads,
    survivor_search_record,
)

FOUND_MAX = 50  # cases a search lists on the dashboard
# A new intake starts as a crisis, in English.
INTAKE_INITIAL = {"urgency": "crisis", "primary_language": "en"}


def intake_page(
    request: HttpRequest, *, form: IntakeForm, survivor: Survivor | None = None
) -> HttpResponse:
    """The intake form, blank (a new child) or filled (the edit page: `survivor`); a
    posted form shown again is one that was not saved (400)."""
    return render(
        request,
        "survivors/intake.html",
        {"form": form, "survivor": survivor},
        status=400 if form.is_bound else 200,
    )


def intake_create(
    request: AuthedHttpRequest, *, create: Callable[..., Survivor] = survivor_create
) -> HttpResponse:
    """A case worker records a recovered child: identity (encrypted) and needs. The page
    is the workflow's (desk): `create` is its `case_create`, which opens the legal duties
    the intake calls for."""
    if not policy.may_record_intake(request.user):
        policy.survivor_record_denied(
            actor=request.user, survivor_id=None, action="survivor.create", ip=request_ip(request)
        )
        raise PermissionDenied(_("Only a case worker records an intake."))
    if request.method != "POST":
        return intake_page(request, form=IntakeForm(initial=INTAKE_INITIAL))
    form = IntakeForm(request.POST)
    if form.is_valid():
        try:
            survivor = create(actor=request.user, data=form.record_data(), ip=request_ip(request))
        except ValidationError as exc:
            # The model's own checks (across fields, uniqueness in the agency).
            form.add_refusal(exc)
        else:
            messages.success(
                request, _("Intake saved as case %(case)s.") % {"case": survivor.case_number}
            )
            return redirect("survivor-page", survivor_id=survivor.pk)
    return intake_page(request, form=form)


def case_search(request: AuthedHttpRequest) -> tuple[CaseSearchForm, list[Survivor] | None, int]:
    """The dashboard's "find a case" (POST): the form, the cases found (None when nothing
    was asked) and how many there are. A search is audited with its number of results
    (never the words), and each case listed, with its name, as a read.

    By POST, so that a child's name typed here is never part of a URL: not in an access
    log, a proxy's log, the browser's history or the next page's Referer. A `?search=` in
    a URL is ignored."""
    asked = request.method == "POST" and ("search" in request.POST or "status" in request.POST)
    form = CaseSearchForm(request.POST if asked else None)
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


def agency_case_workers(survivor: Survivor) -> list[tuple[str, str]]:
    """(username, "Full Name (username)") for each active case worker of the agency."""
    return [
        (user.username, f"{user.get_full_name()} ({user.username})".strip())
        for user in User.objects.filter(
            role=Role.CASE_WORKER, agency_id=survivor.agency_id, is_active=True
        ).order_by("last_name", "first_name", "username")
    ]


@login_required
@require_http_methods(["GET", "POST"])
def survivor_assign_page(request: AuthedHttpRequest, survivor_id: int) -> HttpResponse:
    """A supervisor of the agency hands the case to another case worker, with a note
    (`survivor_assign`, as `POST survivors/{id}/assign/`). 404 for a case the user may not
    see; 403 for one they see but may not reassign."""
    ip = request_ip(request)
    survivor = survivor_get(user=request.user, survivor_id=survivor_id)
    if survivor is None:
        policy.survivor_record_denied(
            actor=request.user, survivor_id=survivor_id, action="survivor.assign", ip=ip
        )
        raise Http404
    if not policy.may_reassign(request.user, survivor):
        policy.survivor_record_denied(
            actor=request.user, survivor_id=survivor_id, action="survivor.assign", ip=ip
        )
        raise PermissionDenied(_("Only a supervisor of the child's agency reassigns the case."))
    workers = agency_case_workers(survivor)
    status = 200
    if request.method == "POST":
        form = HandOffForm(request.POST, workers=workers)
        status = 400
        if form.is_valid():
            try:
                hand_off = survivor_assign(
                    actor=request.user,
                    survivor_id=survivor.pk,
                    case_worker=form.cleaned_data["case_worker"],
                    note=form.cleaned_data["note"],
                    ip=ip,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except Conflict as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(
                    request,
                    _("Case %(case)s is now %(worker)s's.")
                    % {"case": survivor.case_number, "worker": hand_off.to_worker.username},
                )
                return redirect("survivor-page", survivor_id=survivor.pk)
    else:
        form = HandOffForm(workers=workers)
    return render(
        request,
        "survivors/assign.html",
        {
            "survivor": survivor,
            "form": form,
            "current": list(survivor.assigned_workers.values_list("username", flat=True)),
        },
        status=status,
    )
