"""Every write to a home: its profile, its beds and staff, the beds the workflow holds
and fills, its admins; each validated and audited. The periodic jobs are homes.jobs'."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from guardian.shortcuts import assign_perm, get_users_with_perms

from accounts.models import User
from accounts.services import user_create
from audit.services import audit_record, changes
from core.errors import Conflict, Forbidden
from core.types import Actor
from homes.models import AvailabilityChange, Home
from homes.policy import locked_fields, may_edit_home

PROFILE_FIELDS = [
    f.name
    for f in Home._meta.get_fields()
    if getattr(f, "editable", False) and not f.auto_created and f.name not in {"id"}
]


def _snapshot(home: Home, fields: list[str]) -> dict[str, Any]:
    """The fields' values as the audit trail stores them (JSON: dates as ISO text)."""
    return {name: _plain(getattr(home, name)) for name in fields}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def home_create(*, actor: Actor, data: dict[str, Any]) -> Home:
    """Add a home to the directory; its availability counts as confirmed now."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    home = Home(**data)
    home.availability_updated_at = timezone.now()
    home.availability_updated_by = actor if getattr(actor, "is_authenticated", False) else None
    home.full_clean()
    home.save()
    audit_record(actor=actor, action="home.create", obj=home, after=_snapshot(home, PROFILE_FIELDS))
    return home


@transaction.atomic
def home_update(*, actor: Actor, home_id: int, data: dict[str, Any]) -> Home:
    """Edit a home's profile. A change of beds or staff also lands in the availability history.

    A Harbor admin may change every field; a home's own admin all but what its license
    says and its beds and staff (homes.policy): such a field given with its current
    value passes (a PUT of the profile as read), a different value is refused by name.
    """
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})
    if actor is not None and not may_edit_home(actor, home_id):
        raise Forbidden(_("Only this home's administrators or a Harbor administrator may edit it."))
    home = Home.objects.select_for_update().get(pk=home_id)
    locked = locked_fields(actor)
    refused = {
        name: locked[name]
        for name, value in data.items()
        if name in locked and getattr(home, name) != value
    }
    if refused:
        raise ValidationError(refused)
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
    home: Home, before: dict[str, Any], actor: Actor, source: str
) -> AvailabilityChange:
    home.availability_updated_at = timezone.now()
    home.availability_updated_by = actor if getattr(actor, "is_authenticated", False) else None
    return AvailabilityChange.objects.create(
        home=home,
        by=home.availability_updated_by,
        source=source,
        available_beds_before=before["available_beds"],
        available_beds_after=home.available_beds,
        beds_held_before=home.beds_held,
        beds_held_after=home.beds_held,
        staff_on_duty_before=before["staff_on_duty"],
        staff_on_duty_after=home.staff_on_duty,
    )


@transaction.atomic
def home_update_availability(
    *,
    actor: Actor,
    home_id: int,
    available_beds: int | None = None,
    staff_on_duty: int | None = None,
) -> Home:
    """A home admin reports free beds and/or staff on duty; both optional, at least one.

    `available_beds` is what the home physically has free, held beds included (a
    child on the way has not arrived): the directory then shows that number minus
    the beds held, so a hold is never counted twice. It cannot be below the beds
    held nor above the licensed beds.

    The row is locked so that a concurrent hold or update cannot interleave; the
    change, its history row and its audit entry commit together or not at all.
    """
    if available_beds is None and staff_on_duty is None:
        raise ValidationError({"available_beds": _("Give available_beds, staff_on_duty, or both.")})
    home = Home.objects.select_for_update().get(pk=home_id)
    before = {"available_beds": home.available_beds, "staff_on_duty": home.staff_on_duty}
    errors: dict[str, str] = {}
    if available_beds is not None:
        if error := _free_beds_error(home, available_beds):
            errors["available_beds"] = error
        else:
            home.available_beds = available_beds - home.beds_held
    if staff_on_duty is not None:
        if staff_on_duty < 0:
            errors["staff_on_duty"] = _("Cannot be negative.")
        home.staff_on_duty = staff_on_duty
    if errors:
        raise ValidationError(errors)
    _record_availability(home, before, actor, AvailabilityChange.Source.HOME_ADMIN)
    home.save(
        update_fields=[
            "available_beds",
            "staff_on_duty",
            "availability_updated_at",
            "availability_updated_by",
            "modified_at",
        ]
    )
    after: dict[str, Any] = {
        "available_beds": home.available_beds,
        "staff_on_duty": home.staff_on_duty,
    }
    if home.beds_held:
        after["beds_held"] = home.beds_held
    audit_record(actor=actor, action="home.availability", obj=home, before=before, after=after)
    return home


def _free_beds_error(home: Home, available_beds: int) -> str:
    """Why a home admin's count of free beds (held ones included) cannot be right, or ""."""
    if available_beds < 0 or available_beds > home.licensed_beds:
        return _("Must be between 0 and the %(licensed)s licensed beds.") % {
            "licensed": home.licensed_beds
        }
    if available_beds < home.beds_held:
        return _(
            "%(held)s of this home's beds are held for accepted referrals (children on their "
            "way): report at least %(held)s free beds, counting the held ones."
        ) % {"held": home.beds_held}
    return ""


# --- Bed accounting for the placement workflow ---------------------------------------------
#
# `available_beds` is the net number of free beds everyone sees; `beds_held` the beds held
# for accepted referrals. A hold moves beds from free to held, its expiry or withdrawal
# back, a placement fills held beds (the child is in them), a discharge frees a bed.
# Each locks the home row, writes its history row and audit entry, and stamps modified_at
# for people (the matching directory learns of the write from the database's change log,
# whoever makes it). Callers lock the survivor and the referral first: the
# lock order survivor -> referral -> home holds everywhere, so holds cannot deadlock.
# A bed that comes free is the workflow's to follow up (its waitlist): the workflow's
# services call these and then re-check, as placement.services.homes does for a home's
# own report; this app tells nobody (it cannot import the workflow).


def _move_beds(
    *,
    actor: Actor | None,
    home: Home,
    source: str,
    available_beds: int,
    beds_held: int,
    note: dict[str, Any],
) -> AvailabilityChange:
    before = {"available_beds": home.available_beds, "beds_held": home.beds_held}
    home.available_beds = available_beds
    home.beds_held = beds_held
    home.save(update_fields=["available_beds", "beds_held", "modified_at"])
    change = AvailabilityChange.objects.create(
        home=home,
        by=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        available_beds_before=before["available_beds"],
        available_beds_after=home.available_beds,
        beds_held_before=before["beds_held"],
        beds_held_after=home.beds_held,
        staff_on_duty_before=home.staff_on_duty,
        staff_on_duty_after=home.staff_on_duty,
    )
    audit_record(
        actor=actor,
        action=f"home.beds.{source}",
        obj=home,
        before=before,
        after={"available_beds": home.available_beds, "beds_held": home.beds_held, **note},
    )
    return change


@transaction.atomic
def _beds(count: int) -> str:
    return ngettext("%(count)d bed", "%(count)d beds", count) % {"count": count}


def home_hold_beds(*, actor: Actor | None, home_id: int, beds: int, note: dict[str, Any]) -> Home:
    """Hold `beds` free beds for an accepted referral, or refuse with Conflict (409).

    The check and the move happen under the home's row lock, so however many
    acceptances race, the home never holds more beds than it has free.
    """
    home = Home.objects.select_for_update().get(pk=home_id)
    if not home.active:
        raise Conflict(
            _("%(home)s is not taking children (inactive).") % {"home": home.name},
            code="home_inactive",
        )
    if home.available_beds < beds:
        raise Conflict(
            _(
                "%(home)s has %(free)s free; this child needs %(needed)s. Another referral may "
                "have taken the last one."
            )
            % {"home": home.name, "free": _beds(home.available_beds), "needed": _beds(beds)},
            code="no_bed_left",
        )
    _move_beds(
        actor=actor,
        home=home,
        source=AvailabilityChange.Source.HOLD,
        available_beds=home.available_beds - beds,
        beds_held=home.beds_held + beds,
        note=note,
    )
    return home


@transaction.atomic
def home_release_beds(
    *, actor: Actor | None, home_id: int, beds: int, note: dict[str, Any]
) -> Home:
    """A hold expired or was withdrawn: its beds are free again."""
    home = Home.objects.select_for_update().get(pk=home_id)
    released = min(beds, home.beds_held)
    _move_beds(
        actor=actor,
        home=home,
        source=AvailabilityChange.Source.HOLD_RELEASED,
        available_beds=home.available_beds + released,
        beds_held=home.beds_held - released,
        note=note,
    )
    return home


@transaction.atomic
def home_fill_held_beds(*, actor: Actor, home_id: int, beds: int, note: dict[str, Any]) -> Home:
    """The child arrived: the held beds are occupied. The net free count does not change."""
    home = Home.objects.select_for_update().get(pk=home_id)
    _move_beds(
        actor=actor,
        home=home,
        source=AvailabilityChange.Source.PLACEMENT,
        available_beds=home.available_beds,
        beds_held=home.beds_held - min(beds, home.beds_held),
        note=note,
    )
    return home


@transaction.atomic
def home_free_beds(*, actor: Actor, home_id: int, beds: int, note: dict[str, Any]) -> Home:
    """A discharge: the child's beds are free again.

    If the home already reported them free (its own count is what it reports),
    only what fits under the licensed beds is added: a discharge never fails for
    the bookkeeping, and the home never shows more beds than it is licensed for.
    """
    home = Home.objects.select_for_update().get(pk=home_id)
    room = home.licensed_beds - home.beds_held - home.available_beds
    _move_beds(
        actor=actor,
        home=home,
        source=AvailabilityChange.Source.DISCHARGE,
        available_beds=home.available_beds + max(0, min(beds, room)),
        beds_held=home.beds_held,
        note=note,
    )
    return home


@transaction.atomic
def home_admin_grant(*, actor: Actor | None, user: User, home: Home) -> None:
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


def home_admins(home: Home) -> list[User]:
    # Without attach_perms, a QuerySet of users; guardian annotates `Any | list[str]`.
    return list(
        get_users_with_perms(  # type: ignore[union-attr]
            home, only_with_perms_in=["change_home"], with_superusers=False, with_group_users=False
        ).filter(is_active=True)
    )


@transaction.atomic
def home_confirm_availability(*, actor: Actor, home_id: int) -> Home:
    """'Still accurate': the home admin confirms the bed count without changing it."""
    home = Home.objects.select_for_update().get(pk=home_id)
    before = {"available_beds": home.available_beds, "staff_on_duty": home.staff_on_duty}
    _record_availability(home, before, actor, AvailabilityChange.Source.CONFIRMED)
    home.save(update_fields=["availability_updated_at", "availability_updated_by", "modified_at"])
    audit_record(actor=actor, action="home.availability_confirmed", obj=home, after=before)
    return home


@transaction.atomic
def home_confirm_profile(*, actor: Actor, home_id: int) -> Home:
    """'The whole profile is accurate': stamps `profile_confirmed_at` without changing it.

    A profile nobody confirmed for PROFILE_CONFIRMATION_DAYS is flagged to its admins
    and in the API (`profile_confirmation_due`).
    """
    if actor is not None and not may_edit_home(actor, home_id):
        raise Forbidden(
            _("Only this home's administrators or a Harbor administrator may confirm it.")
        )
    home = Home.objects.select_for_update().get(pk=home_id)
    before = {"profile_confirmed_at": _plain(home.profile_confirmed_at)}
    home.profile_confirmed_at = timezone.now()
    home.save(update_fields=["profile_confirmed_at", "modified_at"])
    audit_record(
        actor=actor,
        action="home.profile_confirmed",
        obj=home,
        before=before,
        after={"profile_confirmed_at": _plain(home.profile_confirmed_at)},
    )
    return home


@transaction.atomic
def user_create_with_homes(*, actor: Actor | None, home_ids: list[int], **fields: Any) -> Any:
    """Create a user (accounts.services.user_create) who administers these homes.

    The homes are checked first, so a wrong id creates nobody.
    """
    homes: list[Home] = []
    for home_id in home_ids:
        home = Home.objects.filter(pk=home_id).first()
        if home is None:
            raise ValidationError({"home": _("There is no home with id %(id)s.") % {"id": home_id}})
        homes.append(home)
    if homes and fields.get("role") != "home_admin":
        raise ValidationError({"home": _("Only a home_admin administers homes.")})
    user = user_create(actor=actor, **fields)
    for home in homes:
        home_admin_grant(actor=actor, user=user, home=home)
    return user
