from __future__ import annotations

from audit.services import audit_record
from core.types import Actor
from reports.types import Filters


def report_read_record(*, actor: Actor, name: str, filters: Filters, ip: str | None = None) -> None:
    """Audit one read of a report (aggregates only: no survivor is named)."""
    audit_record(
        actor=actor,
        action="report.read",
        object_type="reports.report",
        object_id=name,
        after={"report": name, **filters.as_query()},
        ip=ip,
    )
