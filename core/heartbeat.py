"""Heartbeats: a long-running process or job says it is alive by writing the time on a row
(core.models.Heartbeat), so a sweep (or an operator, or /metrics) can tell a job whose
worker died from one still working, in seconds rather than after its time limit.

    heartbeat_record(name="beat")                 # beat, each minute (config.beat)
    with heartbeat_while(f"batch:{batch.pk}"):    # a job: a thread writes every 10 s
        ...
    heartbeat_age(name=f"batch:{batch.pk}")       # seconds since, or None
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from celery import current_app
from django.db import DatabaseError, connection
from django.utils import timezone

from core.models import Heartbeat

logger = logging.getLogger(__name__)

# A job writes its heartbeat this often; one older than STALE_SECONDS lost its worker.
EVERY_SECONDS = 10.0
STALE_SECONDS = 45.0


def heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """Write that `name` is alive now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now()})


def heartbeat_age(*, name: str, now: datetime | None = None) -> float | None:
    """Seconds since `name` last wrote its heartbeat; None if it never did."""
    at = Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
    if at is None:
        return None
    return ((now or timezone.now()) - at).total_seconds()


def heartbeat_forget(*, name: str) -> None:
    Heartbeat.objects.filter(name=name).delete()


@contextmanager
def heartbeat_while(name: str, *, every: float = EVERY_SECONDS) -> Iterator[None]:
    """Keep `name`'s heartbeat fresh while the block runs (a thread writes it every
    `every` seconds, whatever the job is doing), and forget it after. Inline (no broker:
    the demo, the tests) only the first write is made: the job runs inside the caller's
    request, which is alive by definition."""
    heartbeat_record(name=name)
    stop = threading.Event()
    thread = None
    if not current_app.conf.task_always_eager:
        thread = threading.Thread(
            target=_keep_alive, args=(name, every, stop), name=f"heartbeat {name}", daemon=True
        )
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=every)
        try:
            heartbeat_forget(name=name)
        except DatabaseError:  # the sweep reads a stale heartbeat of a finished job as done
            logger.warning("heartbeat %s not cleared", name)


def _keep_alive(name: str, every: float, stop: threading.Event) -> None:
    try:
        while not stop.wait(every):
            try:
                heartbeat_record(name=name)
            except DatabaseError:  # the database is back soon, or the sweep decides
                logger.warning("heartbeat %s not written", name)
    finally:
        connection.close()
