from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from homes.models import AvailabilityChange, Home


def home_list(*, filters: dict[str, Any] | None = None) -> QuerySet[Home]:
    """The shared directory: every signed-in user may read it."""
    queryset = Home.objects.select_related("availability_updated_by")
    if filters:
        queryset = queryset.filter(**filters)
    return queryset


def home_get(*, home_id: int) -> Home | None:
    return home_list().filter(pk=home_id).first()


def home_availability_history(*, home_id: int) -> QuerySet[AvailabilityChange]:
    """A home's bed and staffing changes, newest first, with who made them."""
    return AvailabilityChange.objects.filter(home_id=home_id).select_related("by")


def homes_editable(*, user: Any) -> QuerySet[Home]:
    return Home.objects.editable_by(user).order_by("name", "id")


def homes_with_stale_availability(*, now=None) -> QuerySet[Home]:
    """Active homes whose bed count nobody has confirmed within the stale window."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.AVAILABILITY_STALE_HOURS)
    return Home.objects.filter(active=True).filter(
        Q(availability_updated_at__lt=cutoff) | Q(availability_updated_at__isnull=True)
    )
