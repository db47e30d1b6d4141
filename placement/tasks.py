"""The placement workflow's background jobs: thin, idempotent, safe to run twice.

Each fetches what is due and calls a service; the services' conditional updates and
row locks make a second run (or two runs at once) change nothing more.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from placement.services import holds_expire, referrals_chase, waitlist_recheck

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
def recheck_waitlist(home_id: int | None = None) -> int:
    """After a bed change at `home_id` (or everywhere, from beat): tell case workers of
    newly feasible homes for their waitlisted children, each home once."""
    return waitlist_recheck(home_id=home_id)
