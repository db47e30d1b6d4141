"""A startup check (`manage.py check --deploy --database default`, which the web container
runs as the app): warn when the app's database role could rewrite the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError, connections

from audit.models import AuditEntry, AuditSeal


@register(Tags.database, deploy=True)
def check_app_role_cannot_rewrite_trail(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    tables = [AuditEntry._meta.db_table, AuditSeal._meta.db_table]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, c.relname, pg_has_role(current_user, c.relowner, 'USAGE'), "
                "has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE') "
                "OR has_table_privilege(c.oid, 'TRUNCATE') "
                "FROM pg_class c WHERE c.relname = ANY(%s) AND c.relkind = 'r' ORDER BY c.relname",
                [tables],
            )
            rows = cursor.fetchall()
    except DatabaseError:
        return []  # before the first migrate: nothing to protect yet
    found: list[CheckMessage] = []
    for user, table, owns, may_change in rows:
        if owns or may_change:
            why = "owns" if owns else "may UPDATE, DELETE or TRUNCATE"
            found.append(
                Warning(
                    f"The app's database role {user} {why} {table}: it could rewrite the "
                    "audit trail.",
                    hint="Run migrations as an owner role and the app as a role given only "
                    "what it needs by `manage.py grant_app_role` (README, Runbook).",
                    id="audit.W001",
                )
            )
    return found
