"""Who may do what to survivor records, once `Survivor.objects.visible_to` has decided
who may see them. The API's permission classes, the pages and the services all ask
here, so a page and the API can never disagree.

`need_to_know` is defined beside `visible_to` in the models, since the selectors read
by it too and sit below this module; it is asked for here like every other rule."""

from __future__ import annotations

from collections.abc import Sequence

from accounts.models import Role
from audit.services import audit_refusal
from core.errors import NotFound
from core.types import RequestUser
from survivors.models import Survivor
from survivors.models import need_to_know as need_to_know
from survivors.selectors import survivor_get


def may_record_intake(user: RequestUser) -> bool:
    """Case workers record intakes (for their agency; they are assigned to them).
    Supervisors oversee and reassign cases; they do not open them (DESIGN.md, users)."""
    return bool(user.is_authenticated and user.role == Role.CASE_WORKER)


def is_case_side(user: RequestUser) -> bool:
    """Case workers and supervisors move a case along (among the survivors they see):
    search and propose, refer, confirm arrivals, discharge, waitlist."""
    return getattr(user, "role", None) in (Role.CASE_WORKER, Role.SUPERVISOR)


def may_edit(user: RequestUser) -> bool:
    """Assigned case workers, the agency's supervisors and admins edit a record they see;
    MDT members see a need-to-know summary and never edit it."""
    return bool(
        user.is_authenticated
        and (user.is_harbor_admin or user.role in (Role.CASE_WORKER, Role.SUPERVISOR))
    )


def may_reassign(user: RequestUser, survivor: Survivor) -> bool:
    """A supervisor of the child's agency hands the case to another of its case workers
    (DESIGN.md, users: supervisors reassign); admins too."""
    if not user.is_authenticated:
        return False
    if user.is_harbor_admin:
        return True
    return user.role == Role.SUPERVISOR and user.agency_id == survivor.agency_id


def may_read_audit(user: RequestUser) -> bool:
    """A survivor's audit trail: the agency's supervisors and admins."""
    return bool(user.is_authenticated and (user.is_harbor_admin or user.role == Role.SUPERVISOR))


def survivor_or_refuse(
    *,
    actor: RequestUser,
    survivor_id: int | None,
    action: str,
    ip: str | None,
    fields: Sequence[str] | None = None,
) -> Survivor:
    """The survivor record if the actor may see it; otherwise the attempt is audited
    (one row, whether or not the record exists) and NotFound raised: a page answers
    404, the API its JSON 404, the same as for no record at all. `fields`: read only
    these (survivors.selectors.survivor_get)."""
    survivor = survivor_get(user=actor, survivor_id=survivor_id, fields=fields)
    if survivor is None:
        survivor_record_denied(actor=actor, survivor_id=survivor_id, action=action, ip=ip)
        raise NotFound()
    return survivor


def survivor_record_denied(
    *, actor: RequestUser, survivor_id: int | None, action: str, ip: str | None = None
) -> None:
    """Audit a refused attempt on a survivor record, whether or not the record exists:
    the one helper every door (page, API, workflow) calls for a survivor's refusal."""
    exists = survivor_id is not None and Survivor.objects.filter(pk=survivor_id).exists()
    audit_refusal(
        actor=actor,
        action=action,
        object_type=Survivor._meta.label_lower,
        object_id=survivor_id,
        survivor_id=survivor_id if exists else None,
        ip=ip,
    )
