from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, QuerySet

from core.types import RequestUser
from survivors.models import Status, Survivor, need_to_know


def survivor_list(
    *, user: RequestUser, filters: dict[str, Any] | None = None, archived: bool = False
):
    """The survivors `user` may see, newest first, with what list pages show: open cases
    only unless `archived` (one record asked for by id is found either way)."""
    visible = Survivor.objects.visible_to(user)
    queryset = (
        (visible if archived else visible.live())
        .select_related("agency", "team")
        .prefetch_related("assigned_workers")
    )
    if filters:
        queryset = queryset.filter(**filters)
    return queryset


def survivor_find(*, user: RequestUser, search: str = "", status: str = "") -> QuerySet[Survivor]:
    """The survivors `user` may see whose case number, alias or name contains `search`
    (any case), in `status` if given; newest first.

    Names and aliases are encrypted at rest, so SQL cannot search them: they are
    compared here, in Python, over the user's visible records only. MDT members never
    see names, so they find cases by case number alone.
    """
    filters: dict[str, Any] = {"status": status} if status else {}
    needle = " ".join(search.split()).casefold()
    if not needle:
        return survivor_list(user=user, filters=filters)
    if need_to_know(user):
        return survivor_list(user=user, filters={**filters, "case_number__icontains": needle})
    rows = (
        Survivor.objects.visible_to(user)
        .live()
        .filter(**filters)
        .values_list("pk", "case_number", "first_name", "last_name", "alias")
    )
    found = [
        pk
        for pk, case_number, first, last, alias in rows
        if any(
            needle in " ".join(text.split()).casefold()
            for text in (case_number, f"{first} {last}", f"{last} {first}", alias)
        )
    ]
    return survivor_list(user=user, filters={"pk__in": found})


def survivor_status_counts(*, user: RequestUser) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in workflow order, for a dashboard."""
    counts = dict(
        Survivor.objects.visible_to(user)
        .live()
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [(value, str(label), counts.get(value, 0)) for value, label in Status.choices]


def survivor_get(
    *, user: RequestUser, survivor_id: int | None, fields: Sequence[str] | None = None
) -> Survivor | None:
    """One survivor if `user` may see it; None whether it is hidden or does not exist.

    With `fields`, only those columns are read (and decrypted) and nothing related is
    fetched: a search reads the matching fields, not the child's names and notes."""
    if survivor_id is None:
        return None
    if fields is not None:
        return Survivor.objects.visible_to(user).filter(pk=survivor_id).only(*fields).first()
    return survivor_list(user=user, archived=True).filter(pk=survivor_id).first()
