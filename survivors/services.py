from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Agency, Role, User
from audit.services import audit_record, audit_record_many, changes
from core.errors import Conflict, Forbidden, NotFound
from core.fields import ENCRYPTED_FIELD_TYPES, FieldKeyMissing, newest_key_holds, rotate
from core.types import Actor
from engine import NEEDS_INPUT_NAMES
from notifications.models import Notification
from notifications.services import notification_send
from notifications.texts import msg
from survivors import policy
from survivors.models import HAND_OFF_NOTE_MAX, HandOff, Status, StatusChange, Survivor

# What a case worker may set on an intake; agency, assignments, team and status are
# decided by the services, never by the request body.
INTAKE_FIELDS = frozenset(
    {
        "case_number", "first_name", "last_name", "alias", "date_of_birth", "estimated_age",
        "residence_zip", "notes", "trafficking_type", "identified_by",
        "law_enforcement_reference", "foreign_national",
        "pregnancy_due_date",
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
            # A day (the pregnancy's due date) as the API writes it: JSON has no dates.
            values[name] = value.isoformat() if isinstance(value, datetime.date) else value
    return values


def _check_fields(data: dict[str, Any]) -> None:
    unknown = set(data) - INTAKE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})


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
            {"agency": _("Only a user who belongs to an agency can record an intake.")}
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
        raise ValidationError({"status": _("%(status)r is not a status.") % {"status": status}})
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


# --- Key rotation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationProgress:
    table: str
    done: int
    total: int
    rotated: int


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, and their columns (any app's, by field type)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [
            f.column
            for f in model._meta.concrete_fields
            if isinstance(f, ENCRYPTED_FIELD_TYPES) and f.column
        ]
        if columns:
            found.append((model, columns))
    return found


def encrypted_fields_rotate(
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    progress: Callable[[RotationProgress], None] | None = None,
) -> dict[str, int]:
    """Re-encrypt every encrypted value not yet under the newest FIELD_ENCRYPTION_KEY with
    it; return how many values each table needed (with `dry_run`, only count them).

    Batched by primary key, each batch one short transaction whose rows are locked
    (FOR UPDATE), so a concurrent save is neither lost nor overwritten. Resumable: a
    value the newest key already decrypts is skipped, so a run stopped halfway picks up
    where it was on the next. Raw SQL on purpose: the values do not change, only their
    ciphertext, so nothing is validated, audited per row or re-checked; the run itself is
    one audit entry. A value no listed key decrypts stops the run naming its row.
    """
    needed: dict[str, int] = {}
    for model, columns in encrypted_columns():
        table = model._meta.db_table
        qn = connection.ops.quote_name
        pk = qn(str(model._meta.pk.column))
        cols = ", ".join(qn(c) for c in columns)
        total = model._default_manager.count()
        last, done, rotated = None, 0, 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {pk} > %s " if last is not None else ""
                lock = "" if dry_run or connection.vendor == "sqlite" else " FOR UPDATE"
                cursor.execute(
                    f"SELECT {pk}, {cols} FROM {qn(table)} {where}ORDER BY {pk} LIMIT %s{lock}",
                    ([last] if last is not None else []) + [batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                updates = []
                for row in rows:
                    stale = {
                        column: value
                        for column, value in zip(columns, row[1:], strict=True)
                        if value is not None and not newest_key_holds(value)
                    }
                    if not stale:
                        continue
                    try:
                        fresh = {c: rotate(v) for c, v in stale.items()}
                    except FieldKeyMissing as exc:
                        raise FieldKeyMissing(
                            f"{model._meta.label_lower} {row[0]}: {exc}; add its key back to "
                            "FIELD_ENCRYPTION_KEY (after the newest) and run rotate_keys again"
                        ) from exc
                    rotated += len(fresh)
                    updates.append((row[0], fresh))
                if not dry_run:
                    for row_pk, fresh in updates:
                        sets = ", ".join(f"{qn(c)} = %s" for c in fresh)
                        cursor.execute(
                            f"UPDATE {qn(table)} SET {sets} WHERE {pk} = %s",
                            [*fresh.values(), row_pk],
                        )
                last, done = rows[-1][0], done + len(rows)
            if progress is not None:
                progress(RotationProgress(table=table, done=done, total=total, rotated=rotated))
        needed[table] = rotated
    if not dry_run and any(needed.values()):
        audit_record(
            actor=None,
            action="keys.rotate",
            object_type="settings.field_encryption_key",
            after={"values_rotated": needed},
        )
    return needed


def _new_worker(survivor: Survivor, username: str) -> User:
    """The active case worker of the child's agency with that username: 400 otherwise,
    the same for a name unknown and one at another agency (no hint of who exists)."""
    worker = User.objects.filter(
        username=(username or "").strip(),
        is_active=True,
        role=Role.CASE_WORKER,
        agency_id=survivor.agency_id,
    ).first()
    if worker is None:
        raise ValidationError(
            {"case_worker": _("Give the username of an active case worker of this agency.")}
        )
    return worker


@transaction.atomic
def survivor_assign(
    *,
    actor: Actor,
    survivor_id: int | None,
    case_worker: str,
    note: str = "",
    ip: str | None = None,
) -> HandOff:
    """A supervisor of the child's agency hands the case to another of its case workers:
    the new worker is the case's worker (the previous ones lose access: `visible_to`
    follows the assignment), the hand-off note (encrypted) waits for them on the case
    page, and they are told. Serialized on the survivor's row: of two supervisors
    reassigning at once, the second sees the first's hand-off (`handed_from`)."""
    if (
        survivor_id is None
        or not Survivor.objects.visible_to(actor).filter(pk=survivor_id).exists()
    ):
        raise NotFound()
    survivor = Survivor.objects.select_for_update().get(pk=survivor_id)
    if not policy.may_reassign(actor, survivor):
        raise Forbidden(_("Only a supervisor of the child's agency reassigns the case."))
    note = (note or "").strip()
    if len(note) > HAND_OFF_NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(max)s characters.") % {"max": HAND_OFF_NOTE_MAX}}
        )
    worker = _new_worker(survivor, case_worker)
    before = sorted(survivor.assigned_workers.values_list("username", flat=True))
    if before == [worker.username]:
        raise Conflict(
            _("%(worker)s already has this case.") % {"worker": worker.username},
            code="already_assigned",
        )
    survivor.assigned_workers.set([worker])
    hand_off = HandOff(survivor=survivor, handed_from=before, to_worker=worker, by=actor, note=note)
    hand_off.full_clean()
    hand_off.save()
    audit_record(
        actor=actor,
        action="survivor.assign",
        obj=survivor,
        survivor_id=survivor.pk,
        before={"assigned_workers": before},
        after={
            "assigned_workers": [worker.username],
            "hand_off": hand_off.pk,
            "note": "<encrypted>" if note else "",
        },
        ip=ip,
    )
    _tell_of_hand_off(actor, survivor, worker, before)
    return hand_off


def _tell_of_hand_off(actor: Actor, survivor: Survivor, worker: User, before: list[str]) -> None:
    """The new worker hears of the case by its number; the note stays on the case page
    (a notification is plain text and goes by email)."""
    by = actor.get_full_name() or actor.get_username()
    notification_send(
        recipients=[worker],
        kind=Notification.Kind.CASE_ASSIGNED,
        message=msg(
            gettext_noop(
                "%(by)s handed case %(case)s over to you%(from)s. Open the case: the hand-off "
                "note is there."
            ),
            by=by,
            case=survivor.case_number,
            **{"from": msg(gettext_noop(" from %(who)s"), who=", ".join(before)) if before else ""},
        ),
        obj=survivor,
    )
    previous = User.objects.filter(username__in=before, is_active=True).exclude(pk=worker.pk)
    notification_send(
        recipients=list(previous),
        kind=Notification.Kind.CASE_ASSIGNED,
        message=msg(
            gettext_noop("%(by)s handed case %(case)s over to %(worker)s."),
            by=by,
            case=survivor.case_number,
            worker=worker.username,
        ),
        obj=survivor,
    )
