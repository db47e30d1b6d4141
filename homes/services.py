from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from audit.services import audit_record, changes
from homes.models import AvailabilityChange, Home
from homes.selectors import homes_with_stale_availability

PROFILE_FIELDS = [
    f.name
    for f in Home._meta.get_fields()
    if getattr(f, "editable", False) and not f.auto_created and f.name not in {"id"}
]


def _snapshot(home: Home, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(home, name) for name in fields}


@transaction.atomic
def home_create(*, actor: Any, data: dict[str, Any]) -> Home:
    """Add a home to the directory; its availability counts as confirmed now."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    home = Home(**data)
    home.availability_updated_at = timezone.now()
    home.availability_updated_by = actor if getattr(actor, "is_authenticated", False) else None
    home.full_clean()
    home.save()
    audit_record(actor=actor, action="home.create", obj=home, after=_snapshot(home, PROFILE_FIELDS))
    return home


@transaction.atomic
def home_update(*, actor: Any, home_id: int, data: dict[str, Any]) -> Home:
    """Edit a home's profile. A change of beds or staff also lands in the availability history."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    home = Home.objects.select_for_update().get(pk=home_id)
    before = _snapshot(home, PROFILE_FIELDS)
    for name, value in data.items():
        setattr(home, name, value)
    home.full_clean()
    after = _snapshot(home, PROFILE_FIELDS)
    beds_or_staff = ("available_beds", "staff_on_duty")
    if any(before[k] != after[k] for k in beds_or_staff):
        _record_availability(home, before, actor, AvailabilityChange.Source.PROFILE)
    home.save()
    old, new = changes(before, after)
    if new:
        audit_record(actor=actor, action="home.update", obj=home, before=old, after=new)
    return home


def _record_availability(
    home: Home, before: dict[str, Any], actor: Any, source: str
) -> AvailabilityChange:
    home.availability_updated_at = timezone.now()
    home.availability_updated_by = actor if getattr(actor, "is_authenticated", False) else None
    return AvailabilityChange.objects.create(
        home=home,
        by=home.availability_updated_by,
        source=source,
        available_beds_before=before["available_beds"],
        available_beds_after=home.available_beds,
        staff_on_duty_before=before["staff_on_duty"],
        staff_on_duty_after=home.staff_on_duty,
    )


@transaction.atomic
def home_update_availability(
    *,
    actor: Any,
    home_id: int,
    available_beds: int | None = None,
    staff_on_duty: int | None = None,
) -> Home:
    """A home admin reports free beds and/or staff on duty; both optional, at least one.

    The row is locked so that a concurrent hold or update cannot interleave; the
    change, its history row and its audit entry commit together or not at all.
    """
    if available_beds is None and staff_on_duty is None:
        raise ValidationError({"available_beds": "Give available_beds, staff_on_duty, or both."})
    home = Home.objects.select_for_update().get(pk=home_id)
    before = {"available_beds": home.available_beds, "staff_on_duty": home.staff_on_duty}
    errors: dict[str, str] = {}
    if available_beds is not None:
        if available_beds < 0 or available_beds > home.licensed_beds:
            errors["available_beds"] = (
                f"Must be between 0 and the {home.licensed_beds} licensed beds."
            )
        home.available_beds = available_beds
    if staff_on_duty is not None:
        if staff_on_duty < 0:
            errors["staff_on_duty"] = "Cannot be negative."
        home.staff_on_duty = staff_on_duty
    if errors:
        raise ValidationError(errors)
    change = _record_availability(home, before, actor, AvailabilityChange.Source.HOME_ADMIN)
    home.save(
        update_fields=[
            "available_beds",
            "staff_on_duty",
            "availability_updated_at",
            "availability_updated_by",
            "modified_at",
        ]
    )
    audit_record(
        actor=actor,
        action="home.availability",
        obj=home,
        before=before,
        after={"available_beds": home.available_beds, "staff_on_duty": home.staff_on_duty},
    )
    transaction.on_commit(lambda: _after_availability_change(change.pk))
    return home


def _after_availability_change(change_id: int) -> None:
    """Hook for the waitlist re-check (the workflow issue); nothing to queue yet."""


@transaction.atomic
def home_admin_grant(*, actor: Any, user: Any, home: Home) -> None:
    """Let `user` keep `home`'s profile and beds current (a recorded permission change)."""
    if user.has_perm("homes.change_home", home):
        return
    assign_perm("homes.change_home", user, home)
    audit_record(
        actor=actor,
        action="permission.grant",
        obj=home,
        before={"home_admin": None},
        after={"home_admin": user.get_username()},
    )


@transaction.atomic
def home_admin_revoke(*, actor: Any, user: Any, home: Home) -> None:
    remove_perm("homes.change_home", user, home)
    audit_record(
        actor=actor,
        action="permission.revoke",
        obj=home,
        before={"home_admin": user.get_username()},
        after={"home_admin": None},
    )


def home_admins(home: Home) -> list[Any]:
    return list(
        get_users_with_perms(
            home, only_with_perms_in=["change_home"], with_superusers=False, with_group_users=False
        ).filter(is_active=True)
    )


def home_nudge_stale(*, now=None) -> int:
    """Email each stale home's admins, at most once per 24 h per home. Returns homes nudged.

    Safe to run twice: a home nudged within the last day is skipped.
    """
    now = now or timezone.now()
    nudged = 0
    due = homes_with_stale_availability(now=now).exclude(
        stale_nudged_at__gte=now - timedelta(hours=24)
    )
    for home_id in due.values_list("id", flat=True):
        with transaction.atomic():
            home = (
                Home.objects.select_for_update(skip_locked=True)
                .filter(pk=home_id)
                .exclude(stale_nudged_at__gte=now - timedelta(hours=24))
                .first()
            )
            if home is None:
                continue
            recipients = [u.email for u in home_admins(home) if u.email]
            if recipients:
                send_mail(
                    subject=f"Harbor: please confirm the beds at {home.name}",
                    message=(
                        f"The bed count of {home.name} has not been confirmed for over "
                        f"{settings.AVAILABILITY_STALE_HOURS} hours. Case workers see it "
                        "flagged as stale. Please update it or confirm it is still accurate."
                    ),
                    from_email=None,
                    recipient_list=recipients,
                )
            Home.objects.filter(pk=home.pk).update(stale_nudged_at=now)
            nudged += 1
    return nudged


@transaction.atomic
def home_confirm_availability(*, actor: Any, home_id: int) -> Home:
    """'Still accurate': the home admin confirms the bed count without changing it."""
    home = Home.objects.select_for_update().get(pk=home_id)
    before = {"available_beds": home.available_beds, "staff_on_duty": home.staff_on_duty}
    _record_availability(home, before, actor, AvailabilityChange.Source.CONFIRMED)
    home.save(update_fields=["availability_updated_at", "availability_updated_by", "modified_at"])
    audit_record(actor=actor, action="home.availability_confirmed", obj=home, after=before)
    return home
