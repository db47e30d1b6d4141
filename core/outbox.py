"""Queue a background job from a service: `enqueue(task, args, kwargs)`.

The job is a row (core.models.OutboxMessage) written in the caller's transaction, so it
exists exactly when the change that asked for it does: a rolled-back change queues
nothing, a committed one can never lose its job. After the commit a kick hands the row to
this process's sender thread, which sends it to the broker at once (short socket
timeouts, no retries) and marks it sent: the request never waits on the broker. After a
failure the process leaves sending to the relay for a while (`QUIET_SECONDS`). The
relay (`outbox_relay`, run by beat every few seconds through core.tasks) sends whatever
is still unsent, oldest first, so the jobs run as soon as the broker is back.

Each row carries its Celery task id, the same at every send: a row sent twice (a process
killed between the broker taking it and the row being marked) is one job to a task that
checks it (tasks are idempotent anyway: STYLE.md).

    from core.outbox import enqueue
    enqueue(run_home_import, [job.pk])
    enqueue("placement.tasks.recheck_waitlist", kwargs={"home_id": home_id})

Arguments are ids and small values, never personal data: they are stored as JSON.
"""

from __future__ import annotations

import importlib
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# A publish that takes longer than this is a broker in trouble: give up, the relay retries.
SEND_TIMEOUT_SECONDS = 0.5
# After a failed send, this process leaves sending to the relay for this long, so a
# broker outage costs its sender one timeout, not one per job.
QUIET_SECONDS = 15.0
# The relay sends at most this many rows a run (oldest first); beat runs it often.
RELAY_BATCH = 500
# Sent rows are kept this long (what was sent when), then pruned by the relay.
KEEP_SENT = timedelta(days=7)

_state = threading.local()
# Per broker URL: until when this process leaves sending to the relay.
_quiet_until: dict[str, float] = {}


def enqueue(
    task: Any,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    task_id: str | None = None,
    soft_time_limit: int | None = None,
    time_limit: int | None = None,
) -> OutboxMessage:
    """Queue `task` (a Celery task or its name) to run after the caller's transaction
    commits; nothing runs if it rolls back. Returns the stored row."""
    options = {
        name: value
        for name, value in (("soft_time_limit", soft_time_limit), ("time_limit", time_limit))
        if value is not None
    }
    message = OutboxMessage(
        task_name=task if isinstance(task, str) else task.name,
        args=list(args),
        kwargs=dict(kwargs or {}),
        options=options,
    )
    if task_id:
        message.task_id = task_id
    message.save()
    transaction.on_commit(partial(_kick, message.pk), robust=True)
    return message


def _kick(message_id: int) -> None:
    """After the commit: have this row sent now, unless the broker failed moments ago.
    Inline without a broker; otherwise by this process's sender thread, so the request
    answers at once whatever the broker does."""
    if _eager():
        outbox_relay(ids=[message_id])
        return
    if time.monotonic() < _quiet_until.get(current_app.conf.broker_url, 0.0):
        return
    _sender().put(message_id)


_sender_lock = threading.Lock()
_sender_queue: tuple[int, queue.SimpleQueue[int]] | None = None


def _sender() -> queue.SimpleQueue[int]:
    """This process's sender thread's queue (a forked process starts its own)."""
    global _sender_queue
    with _sender_lock:
        if _sender_queue is None or _sender_queue[0] != os.getpid():
            pending: queue.SimpleQueue[int] = queue.SimpleQueue()
            threading.Thread(
                target=_send_forever, args=(pending,), name="outbox sender", daemon=True
            ).start()
            _sender_queue = (os.getpid(), pending)
        return _sender_queue[1]


def _send_forever(pending: queue.SimpleQueue[int]) -> None:
    while True:
        try:
            ids = [pending.get(timeout=1.0)]
        except queue.Empty:  # idle: hold no database connection meanwhile
            connection.close()
            ids = [pending.get()]
        while not pending.empty() and len(ids) < RELAY_BATCH:
            ids.append(pending.get_nowait())
        try:
            if time.monotonic() >= _quiet_until.get(current_app.conf.broker_url, 0.0):
                outbox_relay(ids=ids)
        except Exception:  # the database is away: the relay sends these later
            logger.warning("The outbox sender could not read its jobs; the relay sends them.")
            close_old_connections()
            connection.close()


def outbox_relay(*, ids: Iterable[int] | None = None, limit: int = RELAY_BATCH) -> int:
    """Send unsent rows (those in `ids`, or the oldest `limit`) and mark them sent;
    stop at the first failure (the broker is down: the rest would fail too). Rows
    another relay is sending are skipped, not waited for. Returns how many were sent."""
    if _eager():
        return _run_inline(ids=ids, limit=limit)
    sent = 0
    with transaction.atomic():
        rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            sent_at__isnull=True
        )
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        for message in rows.order_by("pk")[:limit]:
            try:
                _send(message)
            except Exception as exc:
                _broker_failed(exc)
                OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=message.attempts + 1, last_error=type(exc).__name__[:200]
                )
                break
            OutboxMessage.objects.filter(pk=message.pk).update(
                sent_at=timezone.now(), attempts=message.attempts + 1, last_error=""
            )
            sent += 1
    return sent


def outbox_prune(*, now: Any = None) -> int:
    """Forget rows sent more than KEEP_SENT ago; returns how many."""
    cutoff = (now or timezone.now()) - KEEP_SENT
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _run_inline(*, ids: Iterable[int] | None, limit: int) -> int:
    """No broker (the laptop demo, the test suite): claim each row, then run its task
    here, outside any transaction, as a worker would."""
    rows = OutboxMessage.objects.filter(sent_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    ran = 0
    for message in list(rows.order_by("pk")[:limit]):
        claimed = OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), attempts=message.attempts + 1
        )
        if claimed:
            task = _task(message.task_name)
            task.apply_async(
                args=message.args,
                kwargs=message.kwargs,
                task_id=message.task_id,
                **message.options,
            )
            ran += 1
    return ran


def _send(message: OutboxMessage) -> None:
    task = _task(message.task_name)
    task.apply_async(
        args=message.args,
        kwargs=message.kwargs,
        task_id=message.task_id,
        retry=False,
        connection=_connection(),
        **message.options,
    )


def _task(name: str) -> Any:
    """The task named `name`, importing its module if nothing has yet (a web process
    queues by name tasks whose module it never loaded)."""
    if name not in current_app.tasks:
        importlib.import_module(name.rpartition(".")[0])
    return current_app.tasks[name]


def _connection() -> Any:
    """This thread's broker connection for sending, with short timeouts (the app's own
    pool keeps the long ones the worker's consumer needs)."""
    url = current_app.conf.broker_url
    cached = getattr(_state, "connection", None)
    if cached is not None and getattr(_state, "url", None) == url:
        return cached
    connection = current_app.connection_for_write(
        url,
        connect_timeout=SEND_TIMEOUT_SECONDS,
        transport_options={
            "socket_timeout": SEND_TIMEOUT_SECONDS,
            "socket_connect_timeout": SEND_TIMEOUT_SECONDS,
            "retry_on_timeout": False,
            "max_connections": 2,
        },
    )
    _state.connection, _state.url = connection, url
    return connection


def _broker_failed(exc: BaseException) -> None:
    _quiet_until[current_app.conf.broker_url] = time.monotonic() + QUIET_SECONDS
    connection = getattr(_state, "connection", None)
    _state.connection = None
    if connection is not None:
        try:
            connection.release()
        except Exception:  # a dead connection may fail to close; it is dropped either way
            pass
    logger.warning(
        "The job queue did not take a job (%s); the relay sends it when the queue answers.",
        type(exc).__name__,
    )
