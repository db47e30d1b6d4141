"""The home's profile as its admins keep it. The home admin's page with the bed and
staff taps gathers the home's referrals too, and a tap re-checks the waitlist: it
lives on the top floor (desk.homes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import request_ip
from core.errors import DomainError, NotFound
from core.templatetags.harbor import day
from core.types import AuthedHttpRequest
from engine import HOME_SPEC
from homes.forms import HomeProfileForm
from homes.models import Home
from homes.policy import LICENSED_FIELDS, home_editable_or_refuse, locked_fields
from homes.services import (
    home_confirm_profile,
    home_update,
)


def editable_home(request: AuthedHttpRequest, home_id: int, action: str) -> Home:
    """The home if this user may change it, else 404 (a refusal audited)."""
    try:
        return home_editable_or_refuse(
            user=request.user, home_id=home_id, action=action, ip=request_ip(request)
        )
    except NotFound:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def home_profile(request: AuthedHttpRequest, home_id: int) -> HttpResponse:
    """The home's profile as its admin keeps it; the license's facts read-only for them."""
    home = editable_home(request, home_id, "home.update")
    status = 200
    if request.method == "POST":
        form = HomeProfileForm(request.POST, instance=home, user=request.user)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields}
            try:
                # No beds or staff in this form (the taps change them), so nothing the
                # waitlist re-checks changes here: the homes service alone.
                home_update(actor=request.user, home_id=home.pk, data=data)
            except ValidationError as exc:
                for field, texts in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, texts)
            except DomainError as exc:
                form.add_error(None, exc.reason)
            else:
                messages.success(request, gettext("Saved the profile."))
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


_COUNTED_OR_LICENSED = {
    "state", "licensed_beds", "available_beds", "staff_on_duty", "residents_per_staff",
    "license_expires",
}  # fmt: skip
PROFILE_GROUPS = [
    (_("Contact for referrals"), ["intake_phone", "intake_email", "contact_name"]),
    (pgettext_lazy("a home for children", "Home"), ["name", "zip_code", "latitude", "longitude"]),
    (
        _("License"),
        [
            "home_type", "state", "licensed_beds", "residents_per_staff", "license_number",
            "license_expires", "active",
        ],
    ),
    (
        _("Who the home takes"),
        # Every field a rule reads but the location, the counts and the license.
        [
            name
            for name, field in HOME_SPEC.items()
            if field.rule and name not in _COUNTED_OR_LICENSED
        ],
    ),
    (_("Languages and services"), ["languages", "services"]),
    (_("Indian Child Welfare Act"), ["icwa_category", "approving_tribes"]),
]  # fmt: skip


def _groups(form: HomeProfileForm) -> list[tuple[object, list]]:
    """The form's fields in fieldsets; a field this user may not change is not in the form."""
    grouped = [
        (legend, [form[name] for name in names if name in form.fields])
        for legend, names in PROFILE_GROUPS
    ]
    placed = {name for _, names in PROFILE_GROUPS for name in names}
    rest = [form[name] for name in form.fields if name not in placed]
    if rest:
        grouped.append((_("More"), rest))
    return [(legend, fields) for legend, fields in grouped if fields]


def _shown(home: Home, name: str) -> str:
    value = getattr(home, name)
    if name == "license_expires":
        return day(value) if value else gettext("Not recorded")
    if name == "active":
        return gettext("Yes") if value else gettext("No (not offered to case workers)")
    display = getattr(home, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    return str(value) if value not in ("", None) else gettext("Not recorded")


@login_required
@require_POST
def home_profile_confirm(request: AuthedHttpRequest, home_id: int) -> HttpResponse:
    """'The whole profile is accurate': stamps the confirmation, changes nothing else."""
    home = editable_home(request, home_id, "home.profile_confirmed")
    home_confirm_profile(actor=request.user, home_id=home.pk)
    messages.success(request, gettext("Thanks: the whole profile is confirmed as accurate."))
    return redirect("home-profile", home_id=home.pk)
