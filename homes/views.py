from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from homes.models import Home
from homes.selectors import homes_editable
from homes.services import home_confirm_availability, home_update_availability
from matching.selectors import referral_list


def _editable_home_or_404(request: HttpRequest, home_id: int) -> Home:
    home = homes_editable(user=request.user).filter(pk=home_id).first()
    if home is None:
        raise Http404
    return home


@login_required
def home_manage(request: HttpRequest, home_id: int) -> HttpResponse:
    """The home admin's page: beds and staff in two taps, and the history."""
    home = _editable_home_or_404(request, home_id)
    # The home reports what it physically has free; beds held for children on their way
    # count as free there, so the taps start at the held number.
    physically_free = home.available_beds + home.beds_held
    bed_choices = range(home.beds_held, home.licensed_beds + 1)
    staff_choices = range(0, max(home.staff_on_duty, 6) + 1)
    now = timezone.now()
    updated = home.availability_updated_at
    stale = updated is None or now - updated > timedelta(hours=settings.AVAILABILITY_STALE_HOURS)
    return render(
        request,
        "homes/manage.html",
        {
            "home": home,
            "bed_choices": bed_choices,
            "physically_free": physically_free,
            "staff_choices": staff_choices,
            "history": home.availability_changes.select_related("by")[:20],
            "referrals": referral_list(user=request.user, filters={"home": home})[:20],
            "now": now,
            "stale": stale,
        },
    )


@login_required
@require_POST
def home_availability_update(request: HttpRequest, home_id: int) -> HttpResponse:
    home = _editable_home_or_404(request, home_id)
    try:
        if request.POST.get("confirm"):
            home_confirm_availability(actor=request.user, home_id=home.pk)
            messages.success(request, "Thanks: the bed count is confirmed as still accurate.")
        else:
            fields = {}
            for name in ("available_beds", "staff_on_duty"):
                value = request.POST.get(name, "").strip()
                if value:
                    if not value.isdigit():
                        raise ValidationError({name: "Give a whole number."})
                    fields[name] = int(value)
            updated = home_update_availability(actor=request.user, home_id=home.pk, **fields)
            saved = f"{updated.available_beds} beds free, {updated.staff_on_duty} staff on duty"
            messages.success(request, f"Saved: {saved}.")
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            messages.error(request, f"{field.replace('_', ' ').capitalize()}: {' '.join(errors)}")
    return redirect("home-manage", home_id=home.pk)
