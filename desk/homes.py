"""The home admin's page: beds and staff in two taps, the history, the home's
referrals. It gathers the home (homes) with its referrals (the workflow), and a tap
goes through the workflow's `home_availability_report`, which re-checks the waitlist
at the home after the commit, so the page lives on the top floor. The home's profile
is the homes app's own page (homes.views)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from core.messages import form_error_messages
from core.types import AuthedHttpRequest
from homes.forms import AvailabilityForm
from homes.models import Home
from homes.policy import availability_author
from homes.selectors import home_staff_choices, homes_editable
from homes.services import home_confirm_availability
from homes.views import editable_home
from placement.selectors import crisis_first, referral_list
from placement.services.homes import home_availability_report


def is_stale(home: Home, now: datetime) -> bool:
    """Whether the home's bed count is older than AVAILABILITY_STALE_HOURS (or never given)."""
    updated = home.availability_updated_at
    return updated is None or now - updated > timedelta(hours=settings.AVAILABILITY_STALE_HOURS)


@login_required
def home_manage(request: AuthedHttpRequest, home_id: int) -> HttpResponse:
    """The home admin's page: beds and staff in two taps, the history, its referrals."""
    home = homes_editable(user=request.user).filter(pk=home_id).first()
    if home is None:
        raise Http404
    now = timezone.now()
    return render(
        request,
        "desk/home_manage.html",
        {
            "home": home,
            # One bed number on the page: what the home physically has free, beds held
            # for children on their way included, so the taps start at the held number.
            "bed_choices": range(home.beds_held, home.licensed_beds + 1),
            # Taps up to the staff a full home needs, and a number field for more.
            "staff_choices": home_staff_choices(home),
            # Each change's author as this reader may know it (homes.policy).
            "history": [
                (change, availability_author(request.user, change))
                for change in home.availability_changes.select_related("by__agency")[:20]
            ],
            # Crisis first, then the newest.
            "referrals": crisis_first(
                referral_list(user=request.user, filters={"home": home}), "-created_at"
            )[:20],
            "now": now,
            "stale": is_stale(home, now),
        },
    )


def _beds(n: int) -> str:
    return ngettext("%(beds)s free bed", "%(beds)s free beds", n) % {"beds": n}


@login_required
@require_POST
def home_availability_update(request: AuthedHttpRequest, home_id: int) -> HttpResponse:
    """The home admin's taps: free beds and/or staff on duty, or "still accurate".

    The beds tapped, confirmed and shown are one number: the beds the home has empty,
    those held for accepted referrals included (homes.models.Home.physically_free_beds).
    """
    home = editable_home(request, home_id, "home.availability")
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form.errors)
        return redirect("home-manage", home_id=home.pk)
    data = form.cleaned_data
    try:
        if data["confirm"]:
            home_confirm_availability(actor=request.user, home_id=home.pk)
            messages.success(
                request, gettext("Thanks: the bed count is confirmed as still accurate.")
            )
        else:
            updated = home_availability_report(
                actor=request.user,
                home_id=home.pk,
                available_beds=data["available_beds"],
                staff_on_duty=data["staff_on_duty"],
            )
            saved = _beds(updated.physically_free_beds)
            if updated.beds_held:
                saved += " " + gettext("(%(held)s held for accepted referrals)") % {
                    "held": updated.beds_held
                }
            messages.success(
                request,
                gettext("Saved: %(beds)s, %(staff)s staff on duty.")
                % {"beds": saved, "staff": updated.staff_on_duty},
            )
    except ValidationError as exc:
        form_error_messages(request, exc.message_dict)
    return redirect("home-manage", home_id=home.pk)
