from __future__ import annotations

from celery import shared_task

from core.outbox import outbox_prune, outbox_relay


@shared_task(ignore_result=True)
def relay_outbox() -> int:
    """Every few seconds (beat): send the queued jobs the after-commit kick could not
    (the broker was down or frozen then). A failure leaves them for the next run."""
    return outbox_relay()


@shared_task(ignore_result=True)
def prune_outbox() -> int:
    """Daily: forget jobs sent more than a week ago."""
    return outbox_prune()
