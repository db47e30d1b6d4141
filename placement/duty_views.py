"""The duties' and missing episodes' forms on a child's page: the same services as the
API's `duties/{id}/complete/`, `placements/{id}/missing/` and `.../returned/`, through the
same door (placement.views.submit)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.types import AuthedHttpRequest
from placement.forms import DutyCompleteForm, MissingForm, ReturnedForm
from placement.models import Duty, Placement
from placement.services.duties import duty_complete, missing_return, missing_start
from placement.views import submit


def _back_to_case(model: type[Duty] | type[Placement], pk: int) -> HttpResponse:
    survivor_id = model.objects.filter(pk=pk).values_list("survivor_id", flat=True).first()
    if survivor_id is None:
        return redirect("dashboard")
    return redirect("survivor-page", survivor_id=survivor_id)


@login_required
@require_POST
def duty_done(request: AuthedHttpRequest, duty_id: int) -> HttpResponse:
    submit(
        request,
        DutyCompleteForm,
        duty_complete,
        model=Duty,
        object_id=duty_id,
        action="duty.complete",
        success=_("Recorded as done."),
        duty_id=duty_id,
    )
    return _back_to_case(Duty, duty_id)


@login_required
@require_POST
def missing(request: AuthedHttpRequest, placement_id: int) -> HttpResponse:
    submit(
        request,
        MissingForm,
        missing_start,
        model=Placement,
        object_id=placement_id,
        action="missing.start",
        success=_("Reported missing: the reports to law enforcement and NCMEC are due."),
        placement_id=placement_id,
    )
    return _back_to_case(Placement, placement_id)


@login_required
@require_POST
def returned(request: AuthedHttpRequest, placement_id: int) -> HttpResponse:
    submit(
        request,
        ReturnedForm,
        missing_return,
        model=Placement,
        object_id=placement_id,
        action="missing.return",
        success=_("Her return is recorded: screen her for trafficking."),
        placement_id=placement_id,
    )
    return _back_to_case(Placement, placement_id)
