from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.models import Count, Field, QuerySet

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
        if connection.vendor == "postgresql":
            return _survivor_read(user, survivor_id, tuple(fields))
        return Survivor.objects.visible_to(user).filter(pk=survivor_id).only(*fields).first()
    return survivor_list(user=user, archived=True).filter(pk=survivor_id).first()


def _survivor_read(user: RequestUser, survivor_id: int, fields: tuple[str, ...]) -> Survivor | None:
    """`Survivor.objects.visible_to(user).filter(pk=survivor_id).only(*fields).first()`,
    the same SQL written once per set of fields instead of compiled by the ORM on every
    request (a child's search reads her this way on every call: 5.0 ms of CPU against
    0.4 at the bench, issue 30). The same instance: deferred fields, values through each
    field's own converter (the encrypted ones decrypt there)."""
    visible = Survivor.objects.visible_sql(user)
    if visible is None:
        return None
    condition, params = visible
    sql, names, converters = _read_shape(fields)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} AND {condition}", [survivor_id, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, convert) in zip(row, converters, strict=True):
        for converter in convert:
            value = converter(value, column, connection)
        values.append(value)
    return Survivor.from_db(connection.alias, names, values)


@cache
def _read_shape(fields: tuple[str, ...]) -> tuple[str, list[str], list[tuple[Any, list[Callable]]]]:
    """The SELECT of these fields (and the id) by id, their attribute names in the
    model's order (as Model.from_db takes a deferred row) and each column's converters."""
    meta = Survivor._meta
    wanted = {cast(Field, meta.get_field(name)).attname for name in fields} | {meta.pk.attname}
    chosen = [field for field in meta.concrete_fields if field.attname in wanted]
    columns = ", ".join(f's."{field.column}"' for field in chosen)
    converters = []
    for field in chosen:
        column = field.get_col(meta.db_table)
        converters.append((column, column.get_db_converters(connection)))
    sql = f'SELECT {columns} FROM "{meta.db_table}" s WHERE s."id" = %s'
    return sql, [field.attname for field in chosen], converters
