"""What every workflow service shares: the lock order, who hears about a case, and how
a survivor's status settles after something ended.

Locks are taken in one order everywhere: the survivor, then the referral (or the
recommendation or placement), then the home. Every transition of one child is
serialized on the survivor row; bed counts on the home row, last, so two
transactions never wait on each other in opposite orders.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from accounts.models import Role, User
from core.errors import NotFound
from placement.models import Placement, Recommendation, Referral, WaitlistEntry
from survivors.models import Status, Survivor
from survivors.services import survivor_set_status


def when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def survivor_id_of(model: type[models.Model], pk: int | None) -> int:
    survivor_id = (
        model.objects.filter(pk=pk).values_list("survivor_id", flat=True).first()
        if pk is not None
        else None
    )
    if survivor_id is None:
        raise NotFound()
    return survivor_id


def lock_survivor(survivor_id: int) -> Survivor:
    return Survivor.objects.select_for_update().get(pk=survivor_id)


def lock_visible_survivor(actor: Any, survivor_id: int | None) -> Survivor:
    """The survivor row, locked, if the actor may see it; NotFound otherwise."""
    if (
        survivor_id is None
        or not Survivor.objects.visible_to(actor).filter(pk=survivor_id).exists()
    ):
        raise NotFound()
    return lock_survivor(survivor_id)


def lock_visible(actor: Any, model: type[models.Model], pk: int | None) -> tuple[Survivor, Any]:
    """Lock the survivor, then the record (a referral or a placement); NotFound unless
    the actor may see the record."""
    survivor = lock_survivor(survivor_id_of(model, pk))
    if not model.objects.visible_to(actor).filter(pk=pk).exists():
        raise NotFound()
    return survivor, model.objects.select_for_update().get(pk=pk)


def case_workers(survivor: Survivor, *also: Any) -> list[Any]:
    """Who hears about a case: its assigned case workers, and whoever acted on it."""
    people = {user.pk: user for user in survivor.assigned_workers.filter(is_active=True)}
    for user in also:
        if user is not None and getattr(user, "is_authenticated", False):
            people.setdefault(user.pk, user)
    return list(people.values())


def supervisors(survivor: Survivor) -> list[Any]:
    return list(
        User.objects.filter(role=Role.SUPERVISOR, agency_id=survivor.agency_id, is_active=True)
    )


def team_members(team_id: int) -> list[Any]:
    return list(User.objects.filter(role=Role.MDT_MEMBER, team_id=team_id, is_active=True))


def settle_status(actor: Any, survivor: Survivor, *, note: str, ip: str | None) -> None:
    """After something ended (a rejection, decline, expiry, withdrawal), the survivor's
    status says what is still going on: placed, referred, pending review, else searching."""
    if Placement.objects.filter(survivor=survivor, ended_at__isnull=True).exists():
        status = Status.PLACED
    elif Referral.objects.filter(survivor=survivor, status__in=Referral.ACTIVE).exists():
        status = Status.REFERRED
    elif Recommendation.objects.filter(
        survivor=survivor, status=Recommendation.Status.PENDING_REVIEW
    ).exists():
        status = Status.PENDING_REVIEW
    else:
        status = Status.SEARCHING
    survivor_set_status(actor=actor, survivor=survivor, status=status, note=note, ip=ip)


def end_waitlist(survivor: Survivor, *, now: datetime.datetime) -> None:
    WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).update(ended_at=now)


def child_summary(survivor: Survivor) -> str:
    """A de-identified line for a home: age, gender, dependents, urgency."""
    age = survivor.age_on(timezone.localdate())
    parts = [f"a {age}-year-old ({survivor.get_gender_display().lower()})"]
    if survivor.dependents:
        parts.append(f"with {plural(survivor.dependents, 'dependent')}")
    if survivor.urgency == "crisis":
        parts.append("in crisis")
    return " ".join(parts)
