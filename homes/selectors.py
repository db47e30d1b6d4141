from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.types import RequestUser
from homes.models import AvailabilityChange, Home

# Beyond this many taps the page offers a number field instead (a phone shows ~6 a row).
STAFF_TAPS_MAX = 24


def home_list(*, user: RequestUser | None, filters: dict[str, Any] | None = None) -> QuerySet[Home]:
    """The directory as `user` may read it: all of it, or a home admin's own homes."""
    queryset = Home.objects.visible_to(user).select_related("availability_updated_by")
    if filters:
        queryset = queryset.filter(**filters)
    return queryset


def home_get(*, user: RequestUser, home_id: int) -> Home | None:
    return home_list(user=user).filter(pk=home_id).first()


def home_availability_history(*, home_id: int) -> QuerySet[AvailabilityChange]:
    """A home's bed and staffing changes, newest first, with who made them. For a home
    the caller has found visible (homes.policy.home_visible_or_refuse)."""
    return AvailabilityChange.objects.filter(home_id=home_id).select_related("by__agency")


def homes_editable(*, user: RequestUser) -> QuerySet[Home]:
    return Home.objects.editable_by(user).order_by("name", "id")


def homes_with_stale_availability(*, now=None) -> QuerySet[Home]:
    """Active homes whose bed count nobody has confirmed within the stale window."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.AVAILABILITY_STALE_HOURS)
    return Home.objects.filter(active=True).filter(
        Q(availability_updated_at__lt=cutoff) | Q(availability_updated_at__isnull=True)
    )


def homes_with_license_expiring(*, today: date, within_days: int) -> QuerySet[Home]:
    """Active homes whose license expires between today and `within_days` from now."""
    return Home.objects.filter(
        active=True,
        license_expires__gte=today,
        license_expires__lte=today + timedelta(days=within_days),
    ).order_by("license_expires", "id")


def home_staff_choices(home: Home) -> range:
    """The staff counts the manage page offers as taps: up to the staff a full home needs
    at its ratio (a 16-bed centre at 1:1 needs 16), at least 0-8, and past today's count."""
    full_house = -(-home.licensed_beds // max(home.residents_per_staff, 1))
    top = max(8, full_house + 2, home.staff_on_duty + 2)
    return range(0, min(top, STAFF_TAPS_MAX) + 1)
