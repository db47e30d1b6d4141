"""The query expressions the reports share, written once for PostgreSQL and SQLite.

A report counts on either database by the same query: `make demo` runs on SQLite, a
deployment on PostgreSQL, and the tests run the reports on both. Where the two spell a
function differently, the expression carries both spellings (`as_postgresql`,
`as_sqlite`). SQLite has neither percentile_cont nor bit_or: each new SQLite connection
is given both (`add_sqlite_functions`, connected in reports.apps), computing what
PostgreSQL's compute. Where a report groups a grouped subquery, which the ORM cannot
say, the ORM writes the inner query and the report a short outer SELECT in SQL both
databases run, with `percentile_sql` for the one function they spell differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import NotSupportedError, connection
from django.db.models import Aggregate, F, FloatField, Func, IntegerField, Model, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractMonth, ExtractYear
from django.db.models.sql import Query

HOUR = 3600
DAY = 86400


class Elapsed(Func):
    """The time from `start` to `end` (two datetime fields) in units of `per` seconds:
    `Elapsed("answered_at", "created_at", per=HOUR)` is the hours a referral waited."""

    output_field = FloatField()

    def __init__(self, end: str, start: str, *, per: int, **extra: Any) -> None:
        self.per = int(per)
        super().__init__(F(end) - F(start), **extra)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        raise NotSupportedError(f"Elapsed has no SQL for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        # EXTRACT gives numeric seconds: exact, as percentile_cont then rounds them once.
        template = f"(EXTRACT(EPOCH FROM %(expressions)s) / {self.per}.0)"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django's SQLite subtraction of two datetimes gives whole microseconds.
        template = f"(%(expressions)s / {self.per * 1_000_000}.0)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(fraction): the value `fraction` of the way through the
    ordered values, interpolated between the nearest two; NULL over no rows."""

    function = "percentile_cont"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        raise NotSupportedError(f"Percentile has no SQL for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        template = (
            f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
        )
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = f"%(function)s(%(expressions)s, {self.fraction!r})%(filter)s"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def percentile_sql(column: str, fraction: float, *, model: type[Model]) -> str:
    """Percentile over `column` of a query written by hand, as this database spells it:
    for the outer query around the ORM's, where the ORM cannot group a grouped subquery."""
    query = Query(model)
    expression = Percentile(RawSQL(column, (), output_field=FloatField()), fraction)
    sql, params = query.get_compiler(connection=connection).compile(
        expression.resolve_expression(query)
    )
    assert not params
    return sql


def id_list_sql(column: str, *, model: type[Model]) -> str:
    """The ids in `column` of a group, comma separated (NULLs left out; NULL when none), as
    this database spells it: what reports.cellkey needs of each piece. For an outer query
    written by hand around the ORM's."""
    query = Query(model)
    expression = IdList(RawSQL(column, (), output_field=IntegerField()))
    sql, params = query.get_compiler(connection=connection).compile(
        expression.resolve_expression(query)
    )
    assert not params
    return sql


class IdList(Aggregate):
    """The group's ids, comma separated: PostgreSQL's string_agg, SQLite's group_concat."""

    function = "STRING_AGG"
    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        raise NotSupportedError(f"IdList has no SQL for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "STRING_AGG(CAST(%(expressions)s AS TEXT), ',')%(filter)s"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "GROUP_CONCAT(%(expressions)s, ',')%(filter)s"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def month_number(field: str) -> Any:
    """The calendar month of a datetime field in the server's time zone, as one whole
    number (year * 12 + month - 1): the month a piece of a report belongs to."""
    return ExtractYear(field) * 12 + ExtractMonth(field) - 1


class BitOr(Aggregate):
    """The bitwise OR of the values: PostgreSQL's bit_or, and SQLite's from
    `add_sqlite_functions`."""

    function = "BIT_OR"
    output_field = IntegerField()


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """As PostgreSQL's percentile_cont: linear interpolation between the nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _PercentileCont:
    """percentile_cont(value, fraction) as an SQLite aggregate."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile(self.values, self.fraction)


class _BitOr:
    """bit_or(value) as an SQLite aggregate."""

    def __init__(self) -> None:
        self.bits: int | None = None

    def step(self, value: int | None) -> None:
        if value is not None:
            self.bits = (self.bits or 0) | value

    def finalize(self) -> int | None:
        return self.bits


def add_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On each new SQLite connection (`connection_created`), the aggregates Percentile
    and BitOr compile to there."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("percentile_cont", 2, _PercentileCont)
        connection.connection.create_aggregate("bit_or", 1, _BitOr)
