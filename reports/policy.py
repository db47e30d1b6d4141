"""Who may read reports, and over which agencies: supervisors their own agency's data,
Harbor administrators every agency's; every other role never (403). The rule itself is
`reports.scope`'s, which the selectors count by; a refusal is audited here."""

from __future__ import annotations

from audit.services import audit_refusal
from core.errors import Forbidden
from core.types import RequestUser
from reports.scope import REFUSAL, may_read_reports


def reports_refuse_unless_allowed(*, user: RequestUser, name: str, ip: str | None = None) -> None:
    """Forbidden, audited once, for a role that never reads reports: the pages and the
    API both ask here before anything is counted."""
    if not may_read_reports(user):
        report_refused_record(actor=user, name=name, ip=ip)
        raise Forbidden(REFUSAL)


def report_refused_record(*, actor: RequestUser, name: str, ip: str | None = None) -> None:
    """Audit a refused read (a role that never reads reports)."""
    audit_refusal(
        actor=actor,
        action="report.read",
        object_type="reports.report",
        object_id=name[:64],
        survivor_id=None,
        ip=ip,
    )
