from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.messages import form_error_messages
from homes.forms import AvailabilityForm
from homes.selectors import homes_editable
from homes.services import home_confirm_availability, home_update_availability


@login_required
@require_POST
def home_availability_update(request: HttpRequest, home_id: int) -> HttpResponse:
    """The home admin's taps: free beds and/or staff on duty, or "still accurate"."""
    home = homes_editable(user=request.user).filter(pk=home_id).first()
    if home is None:
        raise Http404
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form.errors)
        return redirect("home-manage", home_id=home.pk)
    data = form.cleaned_data
    try:
        if data["confirm"]:
            home_confirm_availability(actor=request.user, home_id=home.pk)
            messages.success(request, "Thanks: the bed count is confirmed as still accurate.")
        else:
            updated = home_update_availability(
                actor=request.user,
                home_id=home.pk,
                available_beds=data["available_beds"],
                staff_on_duty=data["staff_on_duty"],
            )
            saved = f"{updated.available_beds} beds free, {updated.staff_on_duty} staff on duty"
            messages.success(request, f"Saved: {saved}.")
    except ValidationError as exc:
        form_error_messages(request, exc.message_dict)
    return redirect("home-manage", home_id=home.pk)
