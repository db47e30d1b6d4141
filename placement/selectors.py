"""The workflow's reads. Every one that a user asks for starts from the model's
`visible_to(user)` queryset (placement.models): a forgotten check is an empty list,
not a leak. The jobs' reads (what is due) are not per user."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet

from placement.models import Placement, Recommendation, Referral, WaitlistEntry


def recommendation_list(*, user: Any, survivor_id: int) -> QuerySet[Recommendation]:
    """A survivor's recommendations, newest first, with their reviews."""
    return (
        Recommendation.objects.visible_to(user)
        .filter(survivor_id=survivor_id)
        .select_related("home", "proposed_by", "crisis_override_by")
        .prefetch_related("reviews__reviewer")
    )


def recommendation_get(*, user: Any, recommendation_id: int | None) -> Recommendation | None:
    if recommendation_id is None:
        return None
    return (
        Recommendation.objects.visible_to(user)
        .select_related("home", "proposed_by", "crisis_override_by")
        .prefetch_related("reviews__reviewer")
        .filter(pk=recommendation_id)
        .first()
    )


def referral_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Referral]:
    """The referrals a user may see, newest first, with what their representation shows."""
    queryset = Referral.objects.visible_to(user).select_related(
        "home", "survivor", "referred_by", "placement"
    )
    if filters:
        queryset = queryset.filter(**filters)
    return queryset


def referral_get(*, user: Any, referral_id: int | None) -> Referral | None:
    if referral_id is None:
        return None
    return referral_list(user=user).filter(pk=referral_id).first()


def placement_get(*, user: Any, placement_id: int | None) -> Placement | None:
    if placement_id is None:
        return None
    return (
        Placement.objects.visible_to(user)
        .select_related("home", "referral", "placed_by", "discharged_by")
        .filter(pk=placement_id)
        .first()
    )


def holds_to_expire(*, now: datetime.datetime) -> list[int]:
    """Accepted referrals whose hold has run out, oldest first."""
    return list(
        Referral.objects.filter(status=Referral.Status.ACCEPTED, hold_expires_at__lte=now)
        .order_by("hold_expires_at", "id")
        .values_list("id", flat=True)
    )


def holds_expiring_soon(*, now: datetime.datetime, within: datetime.timedelta) -> list[int]:
    """Accepted referrals whose hold runs out within `within`, not yet warned about."""
    return list(
        Referral.objects.filter(
            status=Referral.Status.ACCEPTED,
            hold_expires_at__gt=now,
            hold_expires_at__lte=now + within,
            expiry_warned_at__isnull=True,
        )
        .order_by("hold_expires_at", "id")
        .values_list("id", flat=True)
    )


def referrals_unanswered(
    *, now: datetime.datetime, older_than: datetime.timedelta, not_yet: str
) -> list[int]:
    """Pending referrals sent more than `older_than` ago whose `not_yet` stamp is empty."""
    return list(
        Referral.objects.filter(
            status=Referral.Status.PENDING,
            created_at__lte=now - older_than,
            **{f"{not_yet}__isnull": True},
        )
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )


def waitlist_open_entries() -> QuerySet[WaitlistEntry]:
    """Survivors waiting for a bed, longest first."""
    return (
        WaitlistEntry.objects.filter(ended_at__isnull=True)
        .select_related("survivor")
        .order_by("added_at", "id")
    )
