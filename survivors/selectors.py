from __future__ import annotations

from typing import Any

from django.db.models import Count

from survivors.models import Status, Survivor


def survivor_list(*, user: Any, filters: dict[str, Any] | None = None):
    """The survivors `user` may see, newest first, with what list pages show."""
    queryset = (
        Survivor.objects.visible_to(user)
        .select_related("agency", "team")
        .prefetch_related("assigned_workers")
    )
    if filters:
        queryset = queryset.filter(**filters)
    return queryset


def survivor_status_counts(*, user: Any) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in workflow order, for a dashboard."""
    counts = dict(
        Survivor.objects.visible_to(user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [(value, label, counts.get(value, 0)) for value, label in Status.choices]


def survivor_get(*, user: Any, survivor_id: int | None) -> Survivor | None:
    """One survivor if `user` may see it; None whether it is hidden or does not exist."""
    if survivor_id is None:
        return None
    return survivor_list(user=user).filter(pk=survivor_id).first()
