"""The follow-up form on a child's page: the same service as the API's
`placements/{id}/outcomes/`, through the same door (placement.views.submit)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.types import AuthedHttpRequest
from placement.forms import FollowUpForm
from placement.models import Placement
from placement.services.outcomes import follow_up_record
from placement.views import submit


@login_required
@require_POST
def follow_up(request: AuthedHttpRequest, placement_id: int) -> HttpResponse:
    done = submit(
        request,
        FollowUpForm,
        follow_up_record,
        model=Placement,
        object_id=placement_id,
        action="follow_up.record",
        success=None,
        placement_id=placement_id,
    )
    if done is not None:
        follow_up, first = done
        done_word = "recorded" if first else "corrected"
        messages.success(
            request,
            f"{follow_up.day}-day follow-up {done_word}: "
            f"{follow_up.get_outcome_display().lower()}.",
        )
    survivor_id = Placement.objects.filter(pk=placement_id).values_list("survivor_id", flat=True)
    return redirect("survivor-page", survivor_id=survivor_id.get())
