from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.models import AuditEntry, AuditSeal

TRAIL = [AuditEntry._meta.db_table, AuditSeal._meta.db_table]


class Command(BaseCommand):
    help = (
        "Give the app's PostgreSQL role what the app may do and no more: read and write "
        "every table, but only INSERT and SELECT on the audit trail (no UPDATE, DELETE or "
        "TRUNCATE, and as it owns nothing it cannot switch the trail's triggers off). Run "
        "it as the role that owns the tables (the one that runs migrate), after every "
        "migrate, so new tables are granted too."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("role", help="the app's database role, e.g. harbor_app")

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter; nothing to grant here.")
        role = connection.ops.quote_name(options["role"])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = ANY(%s) "
                "AND pg_has_role(r.oid, c.relowner, 'USAGE')) FROM pg_roles r WHERE rolname = %s",
                [TRAIL, options["role"]],
            )
            found = cursor.fetchone()
            if found is None:
                raise CommandError(f"There is no database role {options['role']}: create it first.")
            if found[0] or found[1]:
                raise CommandError(
                    f"{options['role']} is a superuser or owns the audit tables, so it could "
                    "rewrite the trail whatever is granted: give the app a role of its own."
                )
            trail = ", ".join(connection.ops.quote_name(table) for table in TRAIL)
            for statement in (
                f"GRANT USAGE ON SCHEMA public TO {role}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
                f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {trail} FROM PUBLIC",
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {trail} FROM {role}",
            ):
                cursor.execute(statement)
        self.stdout.write(
            f"{options['role']}: every table read and written, the audit trail only read and "
            "appended to."
        )
