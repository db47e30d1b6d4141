from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from homes.selectors import homes_editable
from survivors.selectors import survivor_list, survivor_status_counts


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What needs the signed-in user now, by role."""
    user = request.user
    context: dict[str, object] = {"now": timezone.now()}
    if user.role in (Role.CASE_WORKER, Role.SUPERVISOR, Role.MDT_MEMBER, Role.ADMIN):
        context["status_counts"] = survivor_status_counts(user=user)
        context["survivors"] = survivor_list(user=user)[:25]
    if user.role in (Role.HOME_ADMIN, Role.ADMIN):
        context["homes"] = homes_editable(user=user)[:50]
    return render(request, "dashboard.html", context)
