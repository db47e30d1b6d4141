from __future__ import annotations

import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Role
from audit.services import audit_record, audit_record_many, changes
from core.types import Actor
from engine import NEEDS_INPUT_NAMES
from survivors.models import Status, StatusChange, Survivor

# What a case worker may set on an intake; agency, assignments, team and status are
# decided by the services, never by the request body.
INTAKE_FIELDS = frozenset(
    {
        "case_number", "first_name", "last_name", "alias", "date_of_birth", "estimated_age",
        "residence_zip", "notes",
        *NEEDS_INPUT_NAMES,
    }
)  # fmt: skip


def audit_values(survivor: Survivor, fields) -> dict[str, Any]:
    """Field values fit for the audit trail: encrypted fields never leave as plaintext."""
    values: dict[str, Any] = {}
    for name in fields:
        if name in Survivor.ENCRYPTED_FIELDS:
            values[name] = "<encrypted>"
        else:
            value = getattr(survivor, name)
            values[name] = value
    return values


def _check_fields(data: dict[str, Any]) -> None:
    unknown = set(data) - INTAKE_FIELDS
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})


def _lock_agency(agency_id: int) -> Agency:
    """Lock the agency's row: its case numbers are then issued and checked one intake
    at a time, so two intakes can never take the same number. (NO KEY: rows that only
    point at the agency, such as a new user, are not held up.)"""
    return Agency.objects.select_for_update(no_key=True).get(pk=agency_id)


def case_number_issue(*, agency: Agency) -> str:
    """The agency's next case number for this year, e.g. KS-DCF-2026-00042 (the year
    in the agency's time zone). Call with the agency's row locked."""
    year = timezone.now().astimezone(zoneinfo.ZoneInfo(agency.zone_name)).year
    prefix = f"{agency.code.upper()[:28]}-{year}-"
    taken = Survivor.objects.filter(agency=agency, case_number__startswith=prefix).values_list(
        "case_number", flat=True
    )
    sequences = (number[len(prefix) :] for number in taken)
    highest = max((int(n) for n in sequences if n.isascii() and n.isdigit()), default=0)
    return f"{prefix}{highest + 1:05d}"


@transaction.atomic
def survivor_create(*, actor: Actor, data: dict[str, Any], ip: str | None = None) -> Survivor:
    """Record an intake for the actor's agency, assigned to the actor.

    The MDT team defaults to the creating case worker's team. A blank case number is
    issued here (`case_number_issue`), unique in the agency.
    """
    _check_fields(data)
    if actor.agency_id is None:
        raise ValidationError(
            {"agency": "Only a user who belongs to an agency can record an intake."}
        )
    agency = _lock_agency(actor.agency_id)
    data = dict(data)
    if not (data.get("case_number") or "").strip():
        data["case_number"] = case_number_issue(agency=agency)
    survivor = Survivor(**data, agency=agency, team_id=actor.team_id, created_by=actor)
    survivor.full_clean()
    survivor.save()
    if actor.role == Role.CASE_WORKER:
        survivor.assigned_workers.add(actor)
    StatusChange.objects.create(survivor=survivor, by=actor, before="", after=survivor.status)
    audit_record(
        actor=actor,
        action="survivor.create",
        obj=survivor,
        survivor_id=survivor.pk,
        after=audit_values(survivor, sorted(INTAKE_FIELDS | {"status"})),
        ip=ip,
    )
    return survivor


@transaction.atomic
def survivor_update(
    *, actor: Actor, survivor_id: int, data: dict[str, Any], ip: str | None = None
) -> Survivor:
    """Change the intake fields in `data` (validated, audited: encrypted fields by name).

    A new estimated age restarts its clock: the child ages from the day of the new
    estimate. A new case number is checked against the agency's under its lock."""
    _check_fields(data)
    survivor = Survivor.objects.select_for_update().get(pk=survivor_id)
    before = {name: getattr(survivor, name) for name in data}
    if "case_number" in data and data["case_number"] != survivor.case_number:
        _lock_agency(survivor.agency_id)
    if "estimated_age" in data and data["estimated_age"] != survivor.estimated_age:
        survivor.age_estimated_on = None  # clean() dates the new estimate today
    for name, value in data.items():
        setattr(survivor, name, value)
    survivor.full_clean()
    survivor.save()
    changed = [name for name in data if before[name] != getattr(survivor, name)]
    if changed:
        old, new = changes(
            {k: ("<encrypted>" if k in Survivor.ENCRYPTED_FIELDS else before[k]) for k in changed},
            audit_values(survivor, changed),
        )
        # An encrypted field changed shows as "<encrypted>" on both sides: keep its name.
        for name in changed:
            old.setdefault(name, "<encrypted>")
            new.setdefault(name, "<encrypted>")
        audit_record(
            actor=actor,
            action="survivor.update",
            obj=survivor,
            survivor_id=survivor.pk,
            before=old,
            after=new,
            ip=ip,
        )
    return survivor


@transaction.atomic
def survivor_set_status(
    *, actor: Actor | None, survivor: Survivor, status: str, note: str = "", ip: str | None = None
) -> Survivor:
    """Move a survivor to `status`, with a history row and an audit entry."""
    if status not in Status.values:
        raise ValidationError({"status": f"{status!r} is not a status."})
    before = survivor.status
    if before == status:
        return survivor
    Survivor.objects.filter(pk=survivor.pk).update(status=status)
    survivor.status = status
    StatusChange.objects.create(survivor=survivor, by=actor, before=before, after=status, note=note)
    audit_record(
        actor=actor,
        action="survivor.status",
        obj=survivor,
        survivor_id=survivor.pk,
        before={"status": before},
        after={"status": status},
        ip=ip,
    )
    return survivor


def survivor_record_reads(
    *, actor: Actor, survivors: list[Survivor], ip: str | None = None, action: str = "survivor.read"
) -> None:
    """One audit entry per survivor record shown to `actor` (a list page: one INSERT)."""
    audit_record_many(actor=actor, action=action, objects=survivors, ip=ip, survivor_ids=True)


def survivor_search_record(
    *, actor: Actor, results: int, status: str = "", by_text: bool, ip: str | None = None
) -> None:
    """Audit a search for cases: how many it found and the status it filtered on, never
    the words searched for (they may be a child's name)."""
    audit_record(
        actor=actor,
        action="survivor.search",
        object_type=Survivor._meta.label_lower,
        after={"results": results, "status": status or None, "by_text": by_text},
        ip=ip,
    )
