"""Importing the directory from the spreadsheets agencies keep (CSV or XLSX).

A file is checked at the door by homes.import_files (extension, size, readable, header,
in the columns of homes.columns) so a bad file is a 400 naming `file` at once; its rows
are then read by a job (homes.tasks.run_home_import) that keeps its progress and result
in a `HomeImport` row.

Each row is validated as the API validates a home: the columns' readers, then the model's
`full_clean` (ZIP in its state, beds within the licence, ages, vocabulary), the policy's
locked fields for a home admin, and one row per external id. Nothing is stored unless
every row is valid: the writes happen in one transaction, after the rows they update are
locked and checked again. Every created or changed home is audited with the file's name.

Decisions:
- A row needs an `external_id`: it is the key a re-import matches on, so without it a
  second import of the same sheet would add every home twice. The export writes
  `harbor-<id>` for a home entered by hand; such a key updates that home, or, in another
  database, creates a home keeping the key.
- A cell that starts like a spreadsheet formula (=, +, -, @, a tab or a carriage return in
  a free-text column; = or @ anywhere) is refused, not stripped: an agency's sheet should
  not hold a formula where a name belongs, and a silently altered value is worse than a
  message. A leading apostrophe (what the export writes) marks the text as meant.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from audit.models import AuditEntry
from audit.services import audit_record
from core.errors import Forbidden
from core.heartbeat import STALE_SECONDS, heartbeat_age, heartbeat_while
from core.models import OutboxMessage
from core.outbox import enqueue
from core.types import Actor
from homes import columns
from homes.import_files import ImportFileError, Table, file_format, read_table
from homes.models import Home, HomeImport
from homes.policy import locked_fields
from homes.services import (
    PROFILE_FIELDS,
    _plain,
    _record_availability,
)
from notifications.services import recipient_language

logger = logging.getLogger(__name__)

# What a job keeps to show: the first errors and the first rows' plan.
ERRORS_SHOWN = 1_000
PREVIEW_SHOWN = 1_000
PROGRESS_EVERY = 500
FREE_TEXT = ("external_id", "name", "contact_name", "license_number")
FORMULA_ANYWHERE = ("=", "@")
FORMULA_IN_TEXT = ("=", "+", "-", "@", "\t", "\r")
NOT_YOURS = _(
    "Not one of your homes: a home administrator can update only the homes they keep "
    "(a Harbor administrator adds new ones). Each of your homes has its external_id in "
    "the template and the export you download from the import page (the first column): "
    "start from that file, or copy the id from it into this row."
)


def may_import(user: Actor) -> bool:
    """Harbor admins (any home) and home admins (their own homes) import; no one else."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_harbor_admin or user.role == Role.HOME_ADMIN)
    )


# --- Starting a job ------------------------------------------------------------------


@transaction.atomic
def home_import_start(*, actor: Actor, name: str, content: bytes, dry_run: bool) -> HomeImport:
    """Check the file at the door (a bad one raises ImportFileError, a 400 naming `file`),
    record the job and queue it after the commit."""
    if not may_import(actor):
        raise Forbidden(gettext("Only Harbor administrators and home administrators import homes."))
    read_table(name=name, content=content, head_only=True)
    job = HomeImport.objects.create(
        created_by=actor,
        language=translation.get_language() or "",
        file_name=name[:255],
        file_format=file_format(name),
        content=content,
        dry_run=dry_run,
    )
    enqueue(RUN_IMPORT, [job.pk])
    return job


@transaction.atomic
def home_import_apply_checked(*, actor: Actor, import_id: int) -> HomeImport:
    """Import a file whose dry run passed, without uploading it again: a new job."""
    checked = (
        HomeImport.objects.select_for_update()
        .filter(pk=import_id, created_by=actor, status=HomeImport.Status.CHECKED)
        .exclude(content=b"")
        .first()
    )
    if checked is None:
        raise ValidationError(
            {"file": [gettext("This check cannot be imported any more: upload the file again.")]}
        )
    job = HomeImport.objects.create(
        created_by=actor,
        language=translation.get_language() or "",
        file_name=checked.file_name,
        file_format=checked.file_format,
        content=bytes(checked.content),
        dry_run=False,
        rows_total=checked.rows_total,
    )
    checked.content = b""
    checked.save(update_fields=["content"])
    enqueue(RUN_IMPORT, [job.pk])
    return job


# --- Running a job -------------------------------------------------------------------


@dataclass
class Planned:
    row: int
    data: dict[str, Any]
    home: Home | None  # the home it updates, None for a new one
    changed: list[str]


@dataclass
class Plan:
    rows: list[Planned] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_SHOWN:
            self.errors.append({"row": row, "column": column, "message": message})


def _claim(import_id: int) -> HomeImport | None:
    """Take a queued job (or one whose worker died mid-run: it stored nothing)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    claimed = (
        HomeImport.objects.filter(pk=import_id)
        .filter(
            Q(status=HomeImport.Status.QUEUED)
            | Q(status=HomeImport.Status.RUNNING, started_at__lt=stale)
        )
        .update(status=HomeImport.Status.RUNNING, started_at=now, rows_done=0)
    )
    return HomeImport.objects.get(pk=import_id) if claimed else None


def home_import_run(*, import_id: int) -> HomeImport | None:
    """Read, validate and (unless a dry run or any row is wrong) store a queued import.

    Safe to run twice: only a queued job is claimed, and the writes are one transaction.
    """
    job = _claim(import_id)
    if job is None:
        return None
    # What the job writes for its uploader to read (row errors, its message) is in the
    # uploader's language: their profile's, else their agency's (as their emails).
    with translation.override(uploader_language(job)):
        try:
            with heartbeat_while(_heartbeat(job.pk)):
                _run(job)
        except Exception:
            logger.exception("home import %s failed", job.pk)  # ids only: no directory data
            HomeImport.objects.filter(pk=job.pk).update(
                status=HomeImport.Status.FAILED,
                finished_at=timezone.now(),
                content=b"",
                message=gettext("The import failed unexpectedly; nothing was stored. Try again."),
            )
    job.refresh_from_db()
    return job


RUN_IMPORT = "homes.tasks.run_home_import"
# A job that lost its worker is sent again, this many sends in all, then failed.
MAX_SENDS = 3
# A job still queued this long after its last send is sent again (its worker took it
# and died before starting it; a duplicate is harmless: only a queued job is claimed).
RESEND_AFTER = dt.timedelta(minutes=2)
WORKER_LOST = gettext_noop(
    "The import stopped before it finished: the server working on it stopped or "
    "restarted, three times. Nothing was stored. Upload the file again."
)


def uploader_language(job: HomeImport) -> str:
    """The language the job's messages are written in: the page's it was uploaded from,
    else its uploader's (their profile's, else their agency's: recipient_language)."""
    languages = {code for code, _name in settings.LANGUAGES}
    if job.language in languages:
        return job.language
    if job.language and job.language.split("-")[0] in languages:
        return job.language.split("-")[0]
    return recipient_language(job.created_by)


def _heartbeat(import_id: int) -> str:
    return f"import:{import_id}"


def home_imports_sweep(*, now: dt.datetime | None = None) -> int:
    """Beat runs it every 30 s. A running import whose heartbeat stopped (its worker
    died: it stored nothing, the writes being one transaction) is queued and sent again
    within a minute and a half, up to MAX_SENDS sends, then failed, saying so; a queued
    one whose job was sent more than two minutes ago and not started is sent again.
    Returns how many were sent again or failed."""
    now = now or timezone.now()
    acted = 0
    for job in HomeImport.objects.filter(
        status__in=[HomeImport.Status.QUEUED, HomeImport.Status.RUNNING]
    ).only("pk", "status", "started_at", "created_at", "created_by", "language"):
        sends = OutboxMessage.objects.filter(task_name=RUN_IMPORT, args=[job.pk])
        if job.status == HomeImport.Status.RUNNING:
            started = job.started_at or job.created_at
            age = heartbeat_age(name=_heartbeat(job.pk), now=now)
            if (now - started).total_seconds() < STALE_SECONDS or (
                age is not None and age < STALE_SECONDS
            ):
                continue
            acted += _requeue(job, now, give_up=sends.count() >= MAX_SENDS)
            continue
        last = sends.order_by("-created_at").first()
        if (
            now - job.created_at > RESEND_AFTER
            and last is not None
            and last.sent_at is not None
            and now - last.sent_at > RESEND_AFTER
            and sends.count() < MAX_SENDS * 4
        ):
            with transaction.atomic():
                enqueue(RUN_IMPORT, [job.pk])
            acted += 1
    return acted


@transaction.atomic
def _requeue(job: HomeImport, now: dt.datetime, *, give_up: bool) -> int:
    running = HomeImport.objects.filter(pk=job.pk, status=HomeImport.Status.RUNNING)
    if give_up:
        with translation.override(uploader_language(job)):
            message = gettext(WORKER_LOST)
        return running.update(
            status=HomeImport.Status.FAILED, finished_at=now, content=b"", message=message
        )
    changed = running.update(status=HomeImport.Status.QUEUED, started_at=None, rows_done=0)
    if changed:
        enqueue(RUN_IMPORT, [job.pk])
    return changed


def _shown(value: Any) -> str:
    """A field's value as the preview shows it: "2", "en, es", "yes", "—" for none."""
    value = _plain(value)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _finish(job: HomeImport, status: str, plan: Plan | None, *, keep_content: bool, **more) -> None:
    job.status = status
    job.finished_at = timezone.now()
    if plan is not None:
        job.errors = sorted(plan.errors, key=lambda e: e["row"])  # cells, then whole rows
        job.error_count = plan.error_count
        job.preview = [
            {
                "row": p.row,
                "action": "update" if p.home else "create",
                "external_id": p.data.get("external_id", ""),
                "name": p.data.get("name", ""),
                "changed": p.changed,
                # What a change changes: each field's value now and in the file.
                "values": {
                    name: [_shown(getattr(p.home, name)), _shown(p.data[name])]
                    for name in p.changed
                }
                if p.home is not None
                else {},
            }
            for p in plan.rows
            if p.home is None or p.changed
        ][:PREVIEW_SHOWN]
        job.created = sum(1 for p in plan.rows if p.home is None)
        job.updated = sum(1 for p in plan.rows if p.home is not None and p.changed)
        job.unchanged = sum(1 for p in plan.rows if p.home is not None and not p.changed)
    if not keep_content:
        job.content = b""
    for name, value in more.items():
        setattr(job, name, value)
    job.save()


def _run(job: HomeImport) -> None:
    try:
        table = read_table(name=job.file_name, content=bytes(job.content))
    except ImportFileError as error:
        _finish(job, HomeImport.Status.INVALID, None, keep_content=False, message=error.messages[0])
        return
    job.rows_total = len(table.rows)
    job.save(update_fields=["rows_total"])
    actor = job.created_by
    plan = plan_rows(actor=actor, table=table, job=job)
    if plan.error_count:
        _finish(job, HomeImport.Status.INVALID, plan, keep_content=False)
        return
    if job.dry_run:
        _finish(job, HomeImport.Status.CHECKED, plan, keep_content=True)
        return
    try:
        with transaction.atomic():
            plan = _apply(actor=actor, table=table, job=job, plan=plan)
            if plan.error_count:
                transaction.set_rollback(True)
    except IntegrityError:
        # Another import created one of these external ids meanwhile: nothing stored.
        _finish(
            job,
            HomeImport.Status.FAILED,
            None,
            keep_content=False,
            message=gettext(
                "Another import changed these homes at the same time; nothing was stored. "
                "Upload the file again."
            ),
        )
        return
    status = HomeImport.Status.INVALID if plan.error_count else HomeImport.Status.IMPORTED
    _finish(job, status, plan, keep_content=False)


def plan_rows(
    *, actor: Actor, table: Table, job: HomeImport | None = None, lock: bool = False
) -> Plan:
    """Each row validated and matched to the home it updates (None: a new home).

    With `lock` (inside the applying transaction) the matched homes are locked and read
    fresh, so the checks hold for what is written.
    """
    plan = Plan()
    keys: dict[str, int] = {}
    parsed: list[tuple[int, dict[str, Any] | None]] = []
    for number, row in table.rows:
        parsed.append((number, _read(plan, number, row)))
        if job is not None and len(parsed) % PROGRESS_EVERY == 0 and not lock:
            HomeImport.objects.filter(pk=job.pk).update(rows_done=len(parsed) // 2)
    wanted = {data["external_id"] for _, data in parsed if data and data["external_id"]}
    homes = _matching_homes(wanted, lock=lock)
    editable = None
    if not actor.is_harbor_admin:
        editable = set(Home.objects.editable_by(actor).values_list("pk", flat=True))
    locked = locked_fields(actor)
    for index, (number, data) in enumerate(parsed, start=1):
        if data is not None:
            _check(plan, number, data, homes, keys, editable, locked)
        if job is not None and index % PROGRESS_EVERY == 0 and not lock:
            done = len(parsed) // 2 + index // 2
            HomeImport.objects.filter(pk=job.pk).update(rows_done=done)
    return plan


def _read(plan: Plan, number: int, row: dict[str, object]) -> dict[str, Any] | None:
    bad = False
    for header, cell in row.items():
        if isinstance(cell, str) and cell:
            starts = FORMULA_IN_TEXT if header in FREE_TEXT else FORMULA_ANYWHERE
            if cell.startswith(starts):
                plan.error(
                    number,
                    header,
                    gettext(
                        "Starts like a spreadsheet formula (=, +, -, @): refused. If it is "
                        "meant as text, start the cell with an apostrophe (')."
                    ),
                )
                bad = True
    try:
        data = columns.read_row(row)
    except ValidationError as error:
        for header, messages in error.message_dict.items():
            for message in messages:
                plan.error(number, header, message)
        return None
    if bad:
        return None
    return data


def _matching_homes(keys: set[str], *, lock: bool) -> dict[str, Home]:
    """The homes the file's external ids name: by external id, or an exported
    `harbor-<id>` naming a home that has none."""
    found: dict[str, Home] = {}
    by_pk = {pk: key for key in keys if (pk := columns.harbor_id(key)) is not None}
    key_list = sorted(keys)
    pk_list = sorted(by_pk)
    base = Home.objects.select_for_update() if lock else Home.objects.all()
    for start in range(0, max(len(key_list), len(pk_list)), 5_000):
        chunk = key_list[start : start + 5_000]
        pks = pk_list[start : start + 5_000]
        query = base.filter(external_id__in=chunk) | base.filter(pk__in=pks, external_id="")
        for home in query.order_by("pk"):
            if home.external_id:
                found[home.external_id] = home
            else:
                found.setdefault(by_pk[home.pk], home)
    return found


def _check(
    plan: Plan,
    number: int,
    data: dict[str, Any],
    homes: dict[str, Home],
    keys: dict[str, int],
    editable: set[int] | None,
    locked: dict[str, str],
) -> None:
    key = data["external_id"]
    if not key:
        plan.error(
            number,
            "external_id",
            gettext(
                "Required: give each home a lasting id from your sheet (e.g. KS-0042), so "
                "that importing the file again updates the home instead of adding it twice."
            ),
        )
        return
    if key in keys:
        plan.error(
            number,
            "external_id",
            gettext("%(key)r is also on row %(row)s: one row a home.")
            % {"key": key, "row": keys[key]},
        )
        return
    keys[key] = number
    home = homes.get(key)
    if editable is not None and (home is None or home.pk not in editable):
        plan.error(number, "external_id", str(NOT_YOURS))
        return
    if home is not None:
        data["external_id"] = home.external_id  # a `harbor-<id>` home keeps having none
        refused = [name for name in locked if name in data and getattr(home, name) != data[name]]
        for name in refused:
            plan.error(number, name, locked[name])
        if refused:
            return
        changed = [name for name in PROFILE_FIELDS if getattr(home, name) != data[name]]
        candidate = Home(**{name: getattr(home, name) for name in PROFILE_FIELDS})
        candidate.beds_held = home.beds_held
    else:
        changed = list(PROFILE_FIELDS)
        candidate = Home()
    for name, value in data.items():
        setattr(candidate, name, value)
    try:
        # The database's unique and check constraints are kept by the model's own
        # clean() (with readable messages) and by the one-row-a-key rule above: asking
        # the database about each row would cost five queries a row.
        candidate.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = name if name in columns.HEADERS else "external_id"
            for message in messages:
                plan.error(number, column, message)
        return
    plan.rows.append(Planned(number, data, home, changed))


def _apply(*, actor: Actor, table: Table, job: HomeImport, plan: Plan) -> Plan:
    """Inside the one transaction: lock the homes the plan updates; if one changed since
    it was checked (a bed taken meanwhile), check every row again on the locked rows;
    then write and audit."""
    checked = {p.home.pk: p.home.modified_at for p in plan.rows if p.home is not None}
    current = dict(
        Home.objects.select_for_update()
        .filter(pk__in=list(checked))
        .order_by("pk")
        .values_list("pk", "modified_at")
    )
    if current != checked:
        plan = plan_rows(actor=actor, table=table, lock=True)
        if plan.error_count:
            return plan
    now = timezone.now()
    by = actor if getattr(actor, "is_authenticated", False) else None
    source = {"file": job.file_name, "import": job.pk}
    new: list[Home] = []
    for planned in plan.rows:
        if planned.home is None:
            home = Home(**planned.data)
            home.availability_updated_at = now
            home.availability_updated_by = by
            new.append(home)
    for start in range(0, len(new), 1_000):
        Home.objects.bulk_create(new[start : start + 1_000])
    # The entries audit_record writes, in one INSERT a thousand: one statement per home
    # would take most of a 10,000-home import's time.
    entries = [
        AuditEntry(
            actor=by,
            actor_username=by.get_username() if by else "",
            action="home.import.create",
            object_type=home._meta.label_lower,
            object_id=str(home.pk),
            after={**{n: _plain(getattr(home, n)) for n in PROFILE_FIELDS}, **source},
        )
        for home in new
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=1_000)
    for planned in plan.rows:
        if planned.home is not None and planned.changed:
            _update(actor, planned, source)
    return plan


def _update(actor: Actor, planned: Planned, source: dict[str, Any]) -> None:
    home = planned.home
    assert home is not None
    before = {name: _plain(getattr(home, name)) for name in planned.changed}
    beds = {"available_beds": home.available_beds, "staff_on_duty": home.staff_on_duty}
    for name in planned.changed:
        setattr(home, name, planned.data[name])
    if any(beds[name] != getattr(home, name) for name in beds):
        _record_availability(home, beds, actor, "profile")
    home.save()
    audit_record(
        actor=actor,
        action="home.import.update",
        obj=home,
        before=before,
        after={**{n: _plain(getattr(home, n)) for n in planned.changed}, **source},
    )
