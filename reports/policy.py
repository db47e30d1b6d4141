"""Who may read reports, and over which agencies: supervisors their own agency's data,
Harbor administrators every agency's; every other role never (403)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.models import Role
from core.errors import Forbidden
from reports.services import report_refused_record

REFUSAL = "Reports are for supervisors and Harbor administrators."


@dataclass(frozen=True)
class Scope:
    """`agency_id` None means every agency (an administrator)."""

    agency_id: int | None


def may_read_reports(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_harbor_admin:
        return True
    return user.role == Role.SUPERVISOR and user.agency_id is not None


def report_scope(user: Any) -> Scope:
    """The agencies a user's reports count; Forbidden for a role that never reads them."""
    if not may_read_reports(user):
        raise Forbidden(REFUSAL)
    return Scope(agency_id=None if user.is_harbor_admin else user.agency_id)


def reports_refuse_unless_allowed(*, user: Any, name: str, ip: str | None = None) -> None:
    """Forbidden, audited once, for a role that never reads reports: the pages and the
    API both ask here before anything is counted."""
    if not may_read_reports(user):
        report_refused_record(actor=user, name=name, ip=ip)
        raise Forbidden(REFUSAL)
