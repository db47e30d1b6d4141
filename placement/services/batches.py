"""Mass recovery (DESIGN.md "Mass recovery (batch placement)"): several children placed
together by one exact plan.

`batch_create` checks the request and queues `placement.tasks.run_batch` after the
commit; the task calls `batch_run`, which asks the matching engine for each child's
feasible homes and scores (the very search a case worker runs for one child), hands
them to the solver (`engine.plan.plan_solve`) with the batch's constraints,
writes its progress on the row as it goes and stores one `BatchAssignment` per child.
`batch_cancel` stops a running plan. Every step is audited; a batch is never deleted.

Who sees a batch (`batch_list`): Harbor admins; the supervisors of its agency; a case
worker of its agency who may see every child in it; once it is sent for review, the
MDT members of its team. Anyone else gets the same 404 as for no batch at all.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_record, audit_refusal
from core.errors import Conflict, Forbidden, NotFound
from core.types import Actor
from engine import Ranked, SurvivorNeeds
from engine.plan import PlanChild, PlanHome, PlanOption, PlanProblem, plan_solve
from homes.models import Home
from matching.selectors import failures_without_zones, home_failures, match_needs, needs_of_survivor
from placement.models import BATCH_MAX_CHILDREN, Batch, BatchAssignment, Placement
from survivors.models import Status, Survivor

logger = logging.getLogger(__name__)

TIME_LIMIT_DEFAULT = 30
TIME_LIMIT_MAX = 120
# Homes a batch may exclude: more than any region has, and a bound on the request.
EXCLUDED_HOMES_MAX = 5000
# The runners-up each child's line shows the MDT.
ALTERNATIVES = 3
# The row is written at most this often while the plan is worked out (the page polls).
PROGRESS_EVERY_SECONDS = 1.0
CANCEL_CHECK_SECONDS = 0.5
# Share of the progress bar for finding each child's homes; the solver has the rest.
SEARCH_SHARE = 30


# --- Who sees and who may do what -------------------------------------------------------


ONLY_CASE_SIDE = "Only case workers and supervisors place children in a batch."


def may_plan(user: Actor) -> bool:
    """Case workers and supervisors place children; MDT members, home admins and Harbor
    admins do not (the same as proposing one home)."""
    return getattr(user, "role", None) in (Role.CASE_WORKER, Role.SUPERVISOR) and bool(
        getattr(user, "agency_id", None)
    )


def batch_list(*, user: Actor) -> QuerySet[Batch]:
    """The batches this user may know exist; every read of a batch starts here."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Batch.objects.none()
    if user.is_harbor_admin:
        return Batch.objects.all()
    if user.role == Role.SUPERVISOR and user.agency_id:
        return Batch.objects.filter(agency_id=user.agency_id)
    if user.role == Role.CASE_WORKER and user.agency_id:
        hidden = Batch.survivors.through.objects.filter(batch_id=OuterRef("pk")).exclude(
            survivor_id__in=Survivor.objects.visible_to(user).values("pk")
        )
        return Batch.objects.filter(agency_id=user.agency_id).exclude(Exists(hidden))
    if user.role == Role.MDT_MEMBER and user.team_id:
        return Batch.objects.filter(team_id=user.team_id).exclude(
            review_status=Batch.ReviewStatus.DRAFT
        )
    return Batch.objects.none()


def batch_get(*, user: Actor, batch_id: int | None) -> Batch:
    """The batch if the user may see it; NotFound (404) otherwise, as for no batch."""
    batch = (
        batch_list(user=user).select_related("created_by").filter(pk=batch_id).first()
        if batch_id is not None
        else None
    )
    if batch is None:
        raise NotFound()
    return batch


def batch_or_refuse(*, actor: Actor, batch_id: int | None, action: str, ip: str | None) -> Batch:
    """batch_get, with a refusal written to the trail (one row, whether or not it exists)."""
    try:
        return batch_get(user=actor, batch_id=batch_id)
    except NotFound:
        batch_refused(actor=actor, batch_id=batch_id, action=action, ip=ip)
        raise


def batch_refused(*, actor: Actor, batch_id: int | None, action: str, ip: str | None) -> None:
    audit_refusal(
        actor=actor,
        action=action,
        object_type=Batch._meta.label_lower,
        object_id=batch_id,
        survivor_id=None,
        ip=ip,
    )


def may_cancel(user: Actor, batch: Batch) -> bool:
    """Its creator, or a supervisor of its agency."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk == batch.created_by_id:
        return True
    return user.role == Role.SUPERVISOR and user.agency_id == batch.agency_id


# --- Creating a batch ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    survivors: list[int]
    keep_together: list[list[int]]
    keep_apart: list[list[int]]
    pins: dict[int, int]
    excluded_homes: list[int]
    time_limit_seconds: int


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _id_list(value: Any, field: str, errors: dict[str, list[str]]) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(_is_id(item) for item in value):
        errors.setdefault(field, []).append("Give a list of ids.")
        return []
    return list(value)


def _shape(
    survivor_ids: Any,
    keep_together: Any,
    keep_apart: Any,
    pins: Any,
    excluded_homes: Any,
    time_limit_seconds: Any,
) -> _Request:
    """The request's shape checked (the API's serializer checks it too; a page's form or
    a command may call the service directly): ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    survivors = _id_list(survivor_ids, "survivors", errors)
    groups: list[list[int]] = []
    if keep_together is not None:
        if not isinstance(keep_together, list | tuple) or not all(
            isinstance(group, list | tuple) and all(_is_id(item) for item in group)
            for group in keep_together
        ):
            errors.setdefault("keep_together", []).append("Give a list of groups of ids.")
        else:
            groups = [list(group) for group in keep_together]
    pairs: list[list[int]] = []
    if keep_apart is not None:
        if not isinstance(keep_apart, list | tuple) or not all(
            isinstance(pair, list | tuple) and all(_is_id(item) for item in pair)
            for pair in keep_apart
        ):
            errors.setdefault("keep_apart", []).append("Give a list of pairs of ids.")
        else:
            pairs = [list(pair) for pair in keep_apart]
    pinned: dict[int, int] = {}
    if pins is not None:
        if not isinstance(pins, dict):
            errors.setdefault("pins", []).append("Give an object {child id: home id}.")
        else:
            for key, home in pins.items():
                child = int(key) if isinstance(key, str) and key.isdigit() else key
                if not _is_id(child) or not _is_id(home):
                    errors.setdefault("pins", []).append(
                        "Give an object {child id: home id}, both ids."
                    )
                    break
                pinned[child] = home
    excluded = _id_list(excluded_homes, "excluded_homes", errors)
    limit = TIME_LIMIT_DEFAULT if time_limit_seconds is None else time_limit_seconds
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= TIME_LIMIT_MAX:
        errors.setdefault("time_limit_seconds", []).append(
            f"Give a whole number of seconds from 1 to {TIME_LIMIT_MAX}."
        )
    if errors:
        raise ValidationError(errors)
    return _Request(survivors, groups, pairs, pinned, excluded, limit)


def _refuse_hidden(actor: Actor, request: _Request, ip: str | None) -> None:
    """NotFound (404) if any child the request names is one the actor may not see (or
    none at all), with each refusal on the trail: the same answer either way."""
    named = set(request.survivors)
    for group in request.keep_together:
        named.update(group)
    for pair in request.keep_apart:
        named.update(pair)
    named.update(request.pins)
    if not named:
        return
    seen = set(Survivor.objects.visible_to(actor).filter(pk__in=named).values_list("pk", flat=True))
    hidden = sorted(named - seen)
    if not hidden:
        return
    existing = set(Survivor.objects.filter(pk__in=hidden).values_list("pk", flat=True))
    for survivor_id in hidden:
        audit_refusal(
            actor=actor,
            action="batch.create",
            object_type=Survivor._meta.label_lower,
            object_id=survivor_id,
            survivor_id=survivor_id if survivor_id in existing else None,
            ip=ip,
        )
    raise NotFound()


def _check(request: _Request) -> None:
    """Every rule across the request's fields; ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    children = request.survivors
    in_batch = set(children)
    if not children:
        error("survivors", "Pick at least one child.")
    if len(children) > BATCH_MAX_CHILDREN:
        error("survivors", f"At most {BATCH_MAX_CHILDREN} children in one batch.")
    for child in sorted(c for c, n in Counter(children).items() if n > 1):
        error("survivors", f"Child {child} is listed twice.")

    group_of: dict[int, int] = {}
    for index, group in enumerate(request.keep_together, start=1):
        if len(set(group)) < 2:
            error("keep_together", f"Group {index}: a group needs at least two different children.")
        for child in sorted(set(group)):
            if child not in in_batch:
                error("keep_together", f"Group {index}: child {child} is not in this batch.")
            elif child in group_of and group_of[child] != index:
                error(
                    "keep_together",
                    f"Child {child} is in two groups ({group_of[child]} and {index}): "
                    "merge them into one.",
                )
            else:
                group_of[child] = index
        if len(group) != len(set(group)):
            error("keep_together", f"Group {index} names a child twice.")

    for index, pair in enumerate(request.keep_apart, start=1):
        if len(pair) != 2:
            error("keep_apart", f"Pair {index}: give exactly two children.")
            continue
        a, b = pair
        if a == b:
            error("keep_apart", f"Pair {index}: a child cannot be kept apart from themself.")
            continue
        missing = [child for child in (a, b) if child not in in_batch]
        for child in missing:
            error("keep_apart", f"Pair {index}: child {child} is not in this batch.")
        if not missing and a in group_of and group_of.get(a) == group_of.get(b):
            error(
                "keep_apart",
                f"Pair {index}: children {a} and {b} are also kept together "
                f"(group {group_of[a]}): they cannot be both.",
            )

    if request.pins:
        homes = dict(
            Home.objects.filter(pk__in=set(request.pins.values())).values_list("pk", "active")
        )
        for child, home in sorted(request.pins.items()):
            if child not in in_batch:
                error("pins", f"Child {child} is not in this batch.")
            if home not in homes:
                error("pins", f"Child {child}: no home {home}.")
            elif not homes[home]:
                error("pins", f"Child {child}: home {home} is not taking children (inactive).")
            elif home in request.excluded_homes:
                error("pins", f"Child {child}: home {home} is pinned and excluded.")
        for index, group in enumerate(request.keep_together, start=1):
            targets = {request.pins[child] for child in group if child in request.pins}
            if len(targets) > 1:
                error(
                    "pins",
                    f"Group {index} is kept together but pinned to different homes "
                    f"({', '.join(str(h) for h in sorted(targets))}).",
                )

    if len(request.excluded_homes) > EXCLUDED_HOMES_MAX:
        error("excluded_homes", f"At most {EXCLUDED_HOMES_MAX} homes.")
    elif request.excluded_homes:
        known = set(
            Home.objects.filter(pk__in=set(request.excluded_homes)).values_list("pk", flat=True)
        )
        for home in sorted(set(request.excluded_homes) - known):
            error("excluded_homes", f"No home {home}.")

    if children and not errors.get("survivors"):
        placed = (
            Survivor.objects.filter(pk__in=in_batch)
            .filter(
                Q(status=Status.PLACED)
                | Exists(Placement.objects.filter(survivor=OuterRef("pk"), ended_at__isnull=True))
            )
            .order_by("pk")
            .values_list("pk", "case_number")
        )
        for child, case_number in placed:
            error(
                "survivors",
                f"Child {child} (case {case_number}) is already placed: discharge them "
                "first, or leave them out of the batch.",
            )
    if errors:
        raise ValidationError(errors)


def batch_create(
    *,
    actor: Actor,
    survivor_ids: Any,
    keep_together: Any = None,
    keep_apart: Any = None,
    pins: Any = None,
    excluded_homes: Any = None,
    time_limit_seconds: int | None = None,
    ip: str | None = None,
) -> Batch:
    """Ask for a plan for these children: checked, stored (status running) and queued.

    NotFound (404) for any child the actor may not see, Forbidden (403) for a role that
    does not place children (MDT members, home admins, Harbor admins), ValidationError
    (400) naming the field for anything else (see `_check`). Refusals are audited here,
    outside the transaction, so a 404 or 403 leaves its row on the trail.
    """
    request = _shape(
        survivor_ids, keep_together, keep_apart, pins, excluded_homes, time_limit_seconds
    )
    _refuse_hidden(actor, request, ip)
    if not may_plan(actor):
        audit_refusal(
            actor=actor,
            action="batch.create",
            object_type=Batch._meta.label_lower,
            object_id=None,
            survivor_id=None,
            ip=ip,
        )
        raise Forbidden(ONLY_CASE_SIDE)
    _check(request)
    return _store(actor, request, ip=ip)


@transaction.atomic
def _store(actor: Actor, request: _Request, *, ip: str | None) -> Batch:
    if actor.agency_id is None:  # never: may_plan admits members of an agency only
        raise Forbidden(ONLY_CASE_SIDE)
    batch = Batch(
        agency_id=actor.agency_id,
        created_by=actor,
        keep_together=request.keep_together,
        keep_apart=request.keep_apart,
        pins={str(child): home for child, home in sorted(request.pins.items())},
        excluded_homes=sorted(set(request.excluded_homes)),
        time_limit_seconds=request.time_limit_seconds,
        task_id=str(uuid.uuid4()),
        progress_note="Waiting to start",
    )
    batch.full_clean()
    batch.save()
    batch.survivors.set(request.survivors)
    audit_record(
        actor=actor,
        action="batch.create",
        obj=batch,
        after={
            "status": batch.status,
            "children": len(request.survivors),
            "keep_together": len(request.keep_together),
            "keep_apart": len(request.keep_apart),
            "pins": len(request.pins),
            "excluded_homes": len(batch.excluded_homes),
            "time_limit_seconds": batch.time_limit_seconds,
        },
        ip=ip,
    )
    transaction.on_commit(lambda: batch_queue(batch))
    return batch


def batch_queue(batch: Batch) -> None:
    """Send the batch's job, with time limits a little above its own: the solver stops
    itself at `time_limit_seconds`; finding the homes and storing the plan need the rest."""
    from placement.tasks import run_batch

    soft = batch.time_limit_seconds + 60
    try:
        run_batch.apply_async(
            args=[batch.pk],
            task_id=batch.task_id or None,
            soft_time_limit=soft,
            time_limit=soft + 30,
        )
    except Exception as exc:  # the broker is down: say so on the batch, never leave it running
        logger.error("Batch %s could not be queued: %s", batch.pk, type(exc).__name__)
        _fail(batch.pk, "The planning job could not be started (the job queue is not answering).")


# --- Cancelling -----------------------------------------------------------------------------


def batch_cancel(*, actor: Actor, batch: Batch, ip: str | None = None) -> Batch:
    """Stop a running plan: the batch is cancelled at once and its job, which checks
    twice a second, stops the solver and stores nothing. Conflict (409) once it ended."""
    visible = batch_list(user=actor).filter(pk=batch.pk).exists()
    if not visible or not may_cancel(actor, batch):
        batch_refused(actor=actor, batch_id=batch.pk, action="batch.cancel", ip=ip)
        if not visible:
            raise NotFound()
        raise Forbidden("Only whoever started the batch, or a supervisor, cancels it.")
    return _cancel(actor, batch.pk, ip=ip)


@transaction.atomic
def _cancel(actor: Actor, batch_id: int, *, ip: str | None) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    if batch.status != Batch.Status.RUNNING:
        raise Conflict(
            f"This batch is not running any more ({batch.get_status_display().lower()}).",
            code="not_running",
        )
    before = batch.status
    batch.status = Batch.Status.CANCELLED
    batch.cancel_requested = True
    batch.finished_at = timezone.now()
    batch.progress_note = "Cancelled"
    batch.save(update_fields=["status", "cancel_requested", "finished_at", "progress_note"])
    audit_record(
        actor=actor,
        action="batch.cancel",
        obj=batch,
        before={"status": before, "progress": batch.progress},
        after={"status": batch.status},
        ip=ip,
    )
    return batch


# --- Running: the plan ---------------------------------------------------------------------


class _Row:
    """The batch row while its job runs: progress written at most once a second, the
    cancel flag read at most twice a second (the solver asks five times a second)."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self._written = 0.0
        self._checked = 0.0
        self._stop = False

    def progress(self, percent: float, note: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < PROGRESS_EVERY_SECONDS:
            return
        self._written = now
        Batch.objects.filter(pk=self.batch_id, status=Batch.Status.RUNNING).update(
            progress=max(0, min(100, int(percent))), progress_note=note[:200]
        )

    def should_stop(self) -> bool:
        now = time.monotonic()
        if self._stop or now - self._checked < CANCEL_CHECK_SECONDS:
            return self._stop
        self._checked = now
        row = Batch.objects.filter(pk=self.batch_id).values("status", "cancel_requested").first()
        self._stop = row is None or row["cancel_requested"] or row["status"] != "running"
        return self._stop


@dataclass
class _Child:
    survivor: Survivor
    needs: SurvivorNeeds
    ranked: list[Ranked]  # feasible homes, best first, excluded homes left out
    reason: str = ""  # why no home at all, when the engine's "no feasible home" says too little


def _search(needs: SurvivorNeeds, *, now, limit: int) -> tuple[list[Ranked], int]:
    result = match_needs(needs, now=now, limit=limit)
    return list(result.results), result.feasible_count


def _homes_of(needs: SurvivorNeeds, *, now, everything: bool, enough: int) -> list[Ranked]:
    """The child's feasible homes, best first, as their own search ranks and scores them.

    A child on their own needs only their best `enough` homes (the number of children
    plus the excluded homes and the alternatives shown): the other children fill at most
    n - 1 homes, so one of the child's n best is free and, taking the child alone (each
    is feasible: beds and staffing for the child), moving there never lowers the score
    nor breaks a keep-apart pair. A child in a keep-together group or pinned needs all
    of them (the group's shared homes may rank low for each member).
    """
    ranked, feasible = _search(needs, now=now, limit=enough)
    if everything and feasible > len(ranked):
        ranked, _ = _search(needs, now=now, limit=feasible)
    return ranked


def _why_none(child: _Child, pin: int | None, feasible_before_exclusion: bool) -> str:
    """A reason more telling than the solver's "no feasible home", where there is one."""
    if pin is not None and all(r.home.id != pin for r in child.ranked):
        home = Home.objects.filter(pk=pin).values_list("name", flat=True).first() or f"home {pin}"
        failures = home_failures(child.needs, home_id=pin)
        if failures is None:
            return f"Pinned to {home}, which is not taking children now."
        if failures:
            reasons = "; ".join(f.reason for f in failures_without_zones(failures))
            return f"Pinned to {home}, which does not fit this child: {reasons}."
    if not child.ranked and feasible_before_exclusion:
        return "Every home that fits this child is excluded from this batch."
    return ""


def _problem(batch: Batch, row: _Row, *, now) -> tuple[PlanProblem, dict[int, _Child]]:
    """The solver's problem from live rows: each child's feasible homes and scores from
    the engine (minus the excluded homes), each home's free beds and staff room."""
    today = timezone.localdate(now)
    survivors = list(batch.survivors.order_by("created_at", "pk"))
    excluded = set(batch.excluded_homes)
    pins = {int(child): home for child, home in batch.pins.items()}
    grouped = {child for group in batch.keep_together for child in group}
    placed = set(
        Placement.objects.filter(survivor__in=survivors, ended_at__isnull=True).values_list(
            "survivor_id", flat=True
        )
    )
    enough = len(survivors) + len(excluded) + ALTERNATIVES
    children: dict[int, _Child] = {}
    homes: dict[int, PlanHome] = {}
    plan_children = []
    for index, survivor in enumerate(survivors):
        row.progress(
            SEARCH_SHARE * index / max(1, len(survivors)),
            f"Finding homes for child {index + 1} of {len(survivors)}",
        )
        needs = needs_of_survivor(survivor, today=today)
        if survivor.pk in placed:
            child = _Child(survivor, needs, [], "Placed since the batch was started.")
        else:
            pin = pins.get(survivor.pk)
            ranked = _homes_of(
                needs, now=now, everything=survivor.pk in grouped or pin is not None, enough=enough
            )
            child = _Child(survivor, needs, [r for r in ranked if r.home.id not in excluded])
            child.reason = _why_none(child, pin, bool(ranked))
        children[survivor.pk] = child
        for ranked_home in child.ranked:
            offer = ranked_home.home
            residents = offer.licensed_beds - offer.available_beds
            homes.setdefault(
                offer.id,
                PlanHome(
                    id=offer.id,
                    beds=max(0, offer.available_beds),
                    staff_room=max(0, offer.staff_on_duty * offer.residents_per_staff - residents),
                ),
            )
        plan_children.append(
            PlanChild(
                id=survivor.pk,
                beds=1 + needs.dependents,
                options=tuple(PlanOption(home=r.home.id, score=r.score) for r in child.ranked),
            )
        )
    problem = PlanProblem(
        children=tuple(plan_children),
        homes=tuple(homes.values()),
        keep_together=tuple(tuple(group) for group in batch.keep_together),
        keep_apart=tuple((a, b) for a, b in batch.keep_apart),
        pins=pins,
    )
    return problem, children


def _assignment(batch: Batch, child: _Child, home_id: int | None, reason: str) -> BatchAssignment:
    chosen = next((r for r in child.ranked if r.home.id == home_id), None)
    others = [r for r in child.ranked if r.home.id != home_id][:ALTERNATIVES]
    return BatchAssignment(
        batch=batch,
        survivor=child.survivor,
        home_id=chosen.home.id if chosen else None,
        score=chosen.score if chosen else None,
        reason="" if chosen else (child.reason or reason or "No feasible home.")[:500],
        breakdown=[dataclasses.asdict(f) for f in chosen.breakdown] if chosen else [],
        alternatives=[{"home": r.home.id, "name": r.home.name, "score": r.score} for r in others],
    )


def batch_run(*, batch_id: int) -> Batch | None:
    """The job: work out the plan and store it (status done), or say why not (failed).

    Safe to run twice: a batch no longer running is left alone, and one whose job
    already started (a worker killed at the hard time limit, the job redelivered) is
    marked failed rather than started over.
    """
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status != Batch.Status.RUNNING:
            return batch
        if batch.started_at is not None:
            return _fail(
                batch_id,
                "The planning job stopped before it finished (out of time, or its worker "
                "stopped). Start a new batch.",
            )
        batch.started_at = timezone.now()
        batch.progress_note = "Starting"
        batch.save(update_fields=["started_at", "progress_note"])
    row = _Row(batch_id)
    try:
        now = timezone.now()
        problem, children = _problem(batch, row, now=now)
        if row.should_stop():
            return Batch.objects.get(pk=batch_id)

        def on_progress(fraction: float, note: str) -> None:
            row.progress(SEARCH_SHARE + (99 - SEARCH_SHARE) * fraction, note)

        result = plan_solve(
            problem,
            time_limit_s=float(batch.time_limit_seconds),
            on_progress=on_progress,
            should_stop=row.should_stop,
        )
        return _finish(batch_id, children, result)
    except SoftTimeLimitExceeded:
        return _fail(batch_id, "The plan took longer than its time limit allows. Try again.")
    except Exception as exc:
        # The type only: a message may carry a child's details (a ZIP code, a name).
        logger.error("Batch %s failed: %s", batch_id, type(exc).__name__)
        return _fail(batch_id, "The plan could not be worked out because of an internal error.")


@transaction.atomic
def _finish(batch_id: int, children: dict[int, _Child], result: Any) -> Batch:
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    if batch.status != Batch.Status.RUNNING:
        return batch  # cancelled while the solver worked: nothing is stored
    assignments = [
        _assignment(
            batch,
            child,
            result.assignments.get(survivor_id),
            result.reasons.get(survivor_id, ""),
        )
        for survivor_id, child in children.items()
    ]
    BatchAssignment.objects.bulk_create(assignments)
    placed = sum(1 for a in assignments if a.home_id is not None)
    batch.status = Batch.Status.DONE
    batch.progress = 100
    batch.progress_note = f"Plan ready: {placed} of {len(assignments)} children placed"
    batch.finished_at = timezone.now()
    batch.total_score = round(sum(a.score or 0.0 for a in assignments), 3)
    batch.placed_count = placed
    batch.optimal = bool(result.optimal)
    batch.gap = float(result.gap)
    batch.solve_seconds = float(result.seconds)
    batch.save(
        update_fields=[
            "status", "progress", "progress_note", "finished_at", "total_score",
            "placed_count", "optimal", "gap", "solve_seconds",
        ]
    )  # fmt: skip
    audit_record(
        actor=None,
        action="batch.run",
        obj=batch,
        before={"status": Batch.Status.RUNNING},
        after={
            "status": batch.status,
            "children": len(assignments),
            "placed": placed,
            "total_score": batch.total_score,
            "optimal": batch.optimal,
            "gap": batch.gap,
            "seconds": round(batch.solve_seconds, 3),
        },
    )
    return batch


@transaction.atomic
def _fail(batch_id: int, reason: str) -> Batch | None:
    batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None or batch.status != Batch.Status.RUNNING:
        return batch
    batch.status = Batch.Status.FAILED
    batch.error = reason[:500]
    batch.progress_note = "Failed"
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "error", "progress_note", "finished_at"])
    audit_record(
        actor=None,
        action="batch.run",
        obj=batch,
        outcome="failed",
        before={"status": Batch.Status.RUNNING},
        after={"status": batch.status, "children": batch.survivors.count(), "error": reason},
    )
    return batch


# A batch still "running" this long after its time limit lost its job (a worker killed at
# the hard limit and the job never delivered again, a broker that lost it): well past the
# task's own limits (the batch's + 60 s soft, + 30 s hard).
STUCK_AFTER_SECONDS = 15 * 60


def batches_fail_stuck(*, now: Any = None) -> int:
    """Mark failed every batch whose job can no longer be running, so nobody watches a
    progress bar that will never move. Returns how many. Beat runs it (`sweep-batches`)."""
    now = now or timezone.now()
    stuck = [
        batch.pk
        for batch in Batch.objects.filter(status=Batch.Status.RUNNING).only(
            "pk", "created_at", "time_limit_seconds"
        )
        if now - batch.created_at
        > timedelta(seconds=batch.time_limit_seconds + STUCK_AFTER_SECONDS)
    ]
    failed = 0
    for batch_id in stuck:
        batch = _fail(
            batch_id,
            "The planning job stopped before it finished (its worker stopped or the queue "
            "lost it). Start a new batch.",
        )
        failed += batch is not None and batch.status == Batch.Status.FAILED
    return failed


def assignments_of(batch: Batch) -> Iterable[BatchAssignment]:
    """The plan's lines, in the children's intake order."""
    return batch.assignments.select_related("home").order_by("survivor__created_at", "survivor_id")
