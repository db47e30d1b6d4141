"""A batch's job (DESIGN.md "Mass recovery (batch placement)"): the plan worked out and
stored.

`batch_queue` queues the job with `placement.services.batches.batch_create`'s transaction;
the task (`placement.tasks.run_batch`) calls `batch_run`, which asks the matching engine
for each child's feasible homes and scores (the very search a case worker runs for one
child), hands them to the solver (`engine.plan.plan_solve`) with the batch's
constraints, writes its progress on the row as it goes and stores one `BatchAssignment`
per child, or says on the batch why it failed. Beat fails the batches whose job was lost
(`batches_fail_stuck`). Every outcome is audited.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.heartbeat import STALE_SECONDS, heartbeat_age, heartbeat_record, heartbeat_while
from core.models import OutboxMessage
from core.outbox import enqueue
from engine import INTERIM_HOME_TYPE, NEVER_OFFERED_RULES, Ranked, SurvivorNeeds
from engine.plan import PlanChild, PlanHome, PlanOption, PlanProblem, plan_solve
from homes.models import Home
from matching.selectors import failures_without_zones, home_failures, match_needs
from placement.models import Batch, BatchAssignment, Placement
from placement.selectors import case_needs
from placement.services.common import case_of
from survivors.models import Survivor

logger = logging.getLogger(__name__)

# The runners-up each child's line shows the MDT.
ALTERNATIVES = 3
# The row is written at most this often while the plan is worked out (the page polls).
PROGRESS_EVERY_SECONDS = 1.0
CANCEL_CHECK_SECONDS = 0.5
# Share of the progress bar for finding each child's homes; the solver has the rest.
SEARCH_SHARE = 30


RUN_BATCH = "placement.tasks.run_batch"


def batch_queue(batch: Batch, *, again: bool = False) -> None:
    """Queue the batch's job with the caller's transaction (core.outbox), with time limits
    a little above its own: the solver stops itself at `time_limit_seconds`; finding the
    homes and storing the plan need the rest. A broker that is down delays the job (the
    batch waits, "Waiting to start"); it never loses it."""
    soft = batch.time_limit_seconds + 60
    enqueue(
        RUN_BATCH,
        [batch.pk],
        # A job sent again gets an id of its own (the outbox keeps one row per send).
        task_id=None if again else batch.task_id or None,
        soft_time_limit=soft,
        time_limit=soft + 30,
    )


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
        if any(f.rule in NEVER_OFFERED_RULES for f in failures):
            # The plan is read by the MDT too: a home named beside "inside an exclusion
            # zone" (or "kept apart") says where the trafficker is, or where the other child.
            return "Pinned to a home that may never be offered to this child (a safety rule)."
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
    # A child placed for good has no line to fill; a child in an interim stay (an
    # emergency shelter) is planned for her long-term home: another shelter is no move.
    stays = dict(
        Placement.objects.filter(survivor__in=survivors, ended_at__isnull=True).values_list(
            "survivor_id", "interim"
        )
    )
    placed = {child for child, interim in stays.items() if not interim}
    interim = {child for child, interim in stays.items() if interim}
    enough = len(survivors) + len(excluded) + ALTERNATIVES
    children: dict[int, _Child] = {}
    homes: dict[int, PlanHome] = {}
    plan_children = []
    for index, survivor in enumerate(survivors):
        row.progress(
            SEARCH_SHARE * index / max(1, len(survivors)),
            f"Finding homes for child {index + 1} of {len(survivors)}",
        )
        needs = case_needs(survivor, today=today)
        if survivor.pk in placed:
            child = _Child(survivor, needs, [], "Placed since the batch was started.")
        else:
            pin = pins.get(survivor.pk)
            ranked = _homes_of(
                needs,
                now=now,
                everything=survivor.pk in grouped or pin is not None or survivor.pk in interim,
                enough=enough,
            )
            long_term = [
                r
                for r in ranked
                if not (survivor.pk in interim and r.home.home_type == INTERIM_HOME_TYPE)
            ]
            child = _Child(survivor, needs, [r for r in long_term if r.home.id not in excluded])
            child.reason = _why_none(child, pin, bool(long_term))
            if survivor.pk in interim and not child.reason and not long_term:
                child.reason = (
                    "In an interim stay at an emergency shelter: no long-term home fits "
                    "her now (the waitlist stays on)."
                )
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
        names={survivor.pk: case_of(survivor) for survivor in survivors},
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
            if _alive(batch):
                return batch  # the job was sent twice and the first copy is working
            return _fail(batch_id, WORKER_LOST)
        batch.started_at = timezone.now()
        batch.progress_note = "Starting"
        batch.save(update_fields=["started_at", "progress_note"])
        heartbeat_record(name=_heartbeat(batch_id))
    with heartbeat_while(_heartbeat(batch_id)):
        return _plan(batch, batch_id)


def _plan(batch: Batch, batch_id: int) -> Batch | None:
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


WORKER_LOST = (
    "The planning job stopped before it finished: the server working it out stopped or "
    "restarted. Nothing was stored. Start a new batch."
)
# A batch that was never started this long after it was queued was sent again (a worker
# that took the job and died before starting it); one never started even this long
# after its time limit is failed (no worker is taking jobs).
RESEND_AFTER = timedelta(minutes=2)
STUCK_AFTER_SECONDS = 15 * 60


def _heartbeat(batch_id: int) -> str:
    return f"batch:{batch_id}"


def _alive(batch: Batch, now: Any = None) -> bool:
    """Whether the batch's job is still working: its heartbeat (written every 10 s by the
    worker running it) is recent."""
    age = heartbeat_age(name=_heartbeat(batch.pk), now=now)
    return age is not None and age < STALE_SECONDS


def batches_fail_stuck(*, now: Any = None) -> int:
    """Beat runs it every 30 s (`sweep-batches`). A started batch whose job stopped
    writing its heartbeat (its worker died) is marked failed, saying so, within a
    minute and a half; one still waiting for a worker after two minutes is sent again
    (a duplicate is harmless: `batch_run` ignores it); one nobody started long after its
    time limit is failed. Returns how many were failed."""
    now = now or timezone.now()
    failed = 0
    for batch in Batch.objects.filter(status=Batch.Status.RUNNING).only(
        "pk", "created_at", "started_at", "time_limit_seconds", "task_id"
    ):
        if batch.started_at is not None:
            stale = now - batch.started_at > timedelta(seconds=STALE_SECONDS)
            if stale and not _alive(batch, now):
                result = _fail(batch.pk, WORKER_LOST)
                failed += result is not None and result.status == Batch.Status.FAILED
        elif now - batch.created_at > timedelta(
            seconds=batch.time_limit_seconds + STUCK_AFTER_SECONDS
        ):
            result = _fail(
                batch.pk,
                "The planning job never started: no worker took it (the job queue or its "
                "workers were down). Start a new batch.",
            )
            failed += result is not None and result.status == Batch.Status.FAILED
        elif now - batch.created_at > RESEND_AFTER:
            _resend(batch, now)
    return failed


def _resend(batch: Batch, now: Any) -> None:
    last = (
        OutboxMessage.objects.filter(task_name=RUN_BATCH, args=[batch.pk])
        .order_by("-created_at")
        .first()
    )
    if last is None or last.sent_at is None or now - last.sent_at < RESEND_AFTER:
        return  # still waiting for the broker (the relay sends it), or sent just now
    with transaction.atomic():
        batch_queue(batch, again=True)
