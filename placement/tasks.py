"""The placement workflow's background jobs: thin, idempotent, safe to run twice.

Each fetches what is due and calls a service; the services' conditional updates and
row locks make a second run (or two runs at once) change nothing more.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from placement.services import (
    duties_chase,
    holds_expire,
    overrides_chase,
    referrals_chase,
    waitlist_recheck,
)
from placement.services.answer_links import answer_link_deliver
from placement.services.batch_runs import batch_run, batches_fail_stuck
from placement.services.outcomes import follow_ups_chase, follow_ups_create_due

# A lost database connection or a deadlock victim: worth another try.
TRANSIENT = (OperationalError, ConnectionError)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def expire_holds() -> dict[str, int]:
    """Every minute: warn of holds about to expire, return the beds of expired ones."""
    return holds_expire()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def chase_stalled_referrals() -> dict[str, int]:
    """Remind homes of unanswered referrals; later tell the supervisors and the case worker."""
    return referrals_chase()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def chase_unreviewed_overrides() -> int:
    """Tell the supervisors of crisis overrides the MDT left unreviewed OVERRIDE_REVIEW_HOURS."""
    return overrides_chase()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def recheck_waitlist(home_id: int | None = None) -> int:
    """After a bed change at `home_id` (or everywhere, from beat): tell case workers of
    newly feasible homes for their waitlisted children, each home once."""
    return waitlist_recheck(home_id=home_id)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def create_follow_ups() -> int:
    """Hourly: make the 30- and 90-day follow-ups whose day came (filled from the discharge
    reason for a placement that ended before it) and tell the case workers of the rest."""
    return follow_ups_create_due()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def chase_follow_ups() -> dict[str, int]:
    """Hourly: tell the supervisors of follow-ups left open FOLLOW_UP_ESCALATE_DAYS."""
    return follow_ups_chase()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def chase_duties() -> dict[str, int]:
    """Every five minutes: warn of legal duties due soon, tell supervisors of overdue ones."""
    return duties_chase()


@shared_task
def run_batch(batch_id: int) -> str | None:
    """Work out a batch's plan (mass recovery) and store it.

    Queued by `batch_create` with a soft time limit a minute above the batch's own
    (the solver stops itself at `time_limit_seconds`; finding each child's homes and
    storing the plan need the rest) and a hard one 30 s later. The soft limit marks the
    batch failed ("time limit"). Not retried: a plan is worth asking for again, not
    running twice behind the user's back. A redelivered job finds the batch already
    started: it leaves it alone while the first copy's heartbeat is fresh, and marks it
    failed, saying so, once it is not (its worker died) (`batch_run`).
    """
    batch = batch_run(batch_id=batch_id)
    return batch.status if batch is not None else None


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def sweep_batches() -> int:
    """Every 30 s: a batch whose worker died is marked failed, saying so; one whose job
    was lost before it started is sent again."""
    return batches_fail_stuck()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def deliver_answer_link(link_id: int) -> bool:
    """Make and send a referral's answer link to a home with no Harbor user (once)."""
    return answer_link_deliver(link_id=link_id) is not None
