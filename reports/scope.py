"""Whose data a report counts: supervisors their own agency's, Harbor administrators
every agency's; every other role none (403).

The selectors count over this scope and the policy refuses by the same rule, so it sits
below both (reports.policy asks here; it audits the refusal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

from accounts.models import Role
from core.errors import Forbidden
from core.types import Actor, RequestUser

REFUSAL = "Reports are for supervisors and Harbor administrators."


@dataclass(frozen=True)
class Scope:
    """`agency_id` None means every agency (an administrator)."""

    agency_id: int | None


def may_read_reports(user: RequestUser) -> TypeGuard[Actor]:
    if not user.is_authenticated:
        return False
    if user.is_harbor_admin:
        return True
    return user.role == Role.SUPERVISOR and user.agency_id is not None


def report_scope(user: RequestUser) -> Scope:
    """The agencies a user's reports count; Forbidden for a role that never reads them."""
    if not may_read_reports(user):
        raise Forbidden(REFUSAL)
    return Scope(agency_id=None if user.is_harbor_admin else user.agency_id)
