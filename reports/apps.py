from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """De-identified aggregates for supervisors and admins: unmet need, what blocks
    children, time to placement, referral answers and placement outcomes."""

    name = "reports"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from reports.sql import add_sqlite_functions

        # Not the domain flow: SQLite is handed a function the reports' SQL calls.
        connection_created.connect(add_sqlite_functions, dispatch_uid="reports.sql")
