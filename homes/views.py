"""The home admin's pages: the bed and staff taps (the manage page lives in
placement.pages, which gathers the home's referrals too) and the home's profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import request_ip
from core.errors import DomainError, NotFound
from core.messages import form_error_messages
from engine.rules import plural
from homes.forms import AvailabilityForm, HomeProfileForm
from homes.models import Home
from homes.policy import LICENSED_FIELDS, home_editable_or_refuse, locked_fields
from homes.services import (
    home_confirm_availability,
    home_confirm_profile,
    home_update,
    home_update_availability,
)


def _editable_home(request: HttpRequest, home_id: int, action: str) -> Home:
    try:
        return home_editable_or_refuse(
            user=request.user, home_id=home_id, action=action, ip=request_ip(request)
        )
    except NotFound:
        raise Http404 from None


@login_required
@require_POST
def home_availability_update(request: HttpRequest, home_id: int) -> HttpResponse:
    """The home admin's taps: free beds and/or staff on duty, or "still accurate".

    The beds tapped, confirmed and shown are one number: the beds the home has empty,
    those held for accepted referrals included (homes.models.Home.physically_free_beds).
    """
    home = _editable_home(request, home_id, "home.availability")
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
            saved = plural(updated.physically_free_beds, "free bed")
            if updated.beds_held:
                saved += f" ({updated.beds_held} held for accepted referrals)"
            messages.success(request, f"Saved: {saved}, {updated.staff_on_duty} staff on duty.")
    except ValidationError as exc:
        form_error_messages(request, exc.message_dict)
    return redirect("home-manage", home_id=home.pk)


@login_required
@require_http_methods(["GET", "POST"])
def home_profile(request: HttpRequest, home_id: int) -> HttpResponse:
    """The home's profile as its admin keeps it; the license's facts read-only for them."""
    home = _editable_home(request, home_id, "home.update")
    status = 200
    if request.method == "POST":
        form = HomeProfileForm(request.POST, instance=home, user=request.user)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields}
            try:
                home_update(actor=request.user, home_id=home.pk, data=data)
            except ValidationError as exc:
                for field, texts in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, texts)
            except DomainError as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, "Saved the profile.")
                return redirect("home-profile", home_id=home.pk)
        status = 400
        home.refresh_from_db()  # the form validated a copy with the rejected values
    else:
        form = HomeProfileForm(instance=home, user=request.user)
    locked = locked_fields(request.user)
    return render(
        request,
        "homes/profile.html",
        {
            "home": home,
            "form": form,
            "groups": _groups(form),
            "licensed": [
                (HomeProfileForm.Meta.labels[name], _shown(home, name))
                for name in LICENSED_FIELDS
                if name in locked
            ],
            "today": timezone.localdate(),
        },
        status=status,
    )


PROFILE_GROUPS = [
    ("Contact for referrals", ["intake_phone", "contact_name"]),
    ("Home", ["name", "zip_code", "latitude", "longitude"]),
    (
        "License",
        [
            "home_type", "state", "licensed_beds", "residents_per_staff", "license_number",
            "license_expires", "active",
        ],
    ),
    (
        "Who the home takes",
        [
            "min_age", "max_age", "genders_served", "substance_use_accepted",
            "medical_level", "mental_health_max", "max_dependents", "detox_on_site",
            "accepts_parenting", "accepts_pregnant", "staff_secure", "accepts_out_of_state",
            "accepts_state_wards", "accepts_parent_placements", "intake_24_7",
        ],
    ),
    ("Languages and services", ["languages", "services"]),
]  # fmt: skip


def _groups(form: HomeProfileForm) -> list[tuple[str, list]]:
    """The form's fields in fieldsets; a field this user may not change is not in the form."""
    grouped = [
        (legend, [form[name] for name in names if name in form.fields])
        for legend, names in PROFILE_GROUPS
    ]
    placed = {name for _, names in PROFILE_GROUPS for name in names}
    rest = [form[name] for name in form.fields if name not in placed]
    if rest:
        grouped.append(("More", rest))
    return [(legend, fields) for legend, fields in grouped if fields]


def _shown(home: Home, name: str) -> str:
    value = getattr(home, name)
    if name == "license_expires":
        return value.strftime("%d %b %Y") if value else "Not recorded"
    if name == "active":
        return "Yes" if value else "No (not offered to case workers)"
    display = getattr(home, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    return str(value) if value not in ("", None) else "Not recorded"


@login_required
@require_POST
def home_profile_confirm(request: HttpRequest, home_id: int) -> HttpResponse:
    """'The whole profile is accurate': stamps the confirmation, changes nothing else."""
    home = _editable_home(request, home_id, "home.profile_confirmed")
    home_confirm_profile(actor=request.user, home_id=home.pk)
    messages.success(request, "Thanks: the whole profile is confirmed as accurate.")
    return redirect("home-profile", home_id=home.pk)
