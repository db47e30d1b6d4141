"""The outbox (core.outbox): a job queued in a transaction is kept with it, sent after the
commit without ever holding the request on the broker, and sent by the relay once a broker
that was down or frozen answers again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time

import kombu.transport.redis  # noqa: F401  (imported ahead: the timings are the broker's)
import pytest
from django.db import transaction

from config.celery import app as celery_app
from core.models import OutboxMessage
from core.outbox import enqueue, outbox_prune, outbox_relay
from notifications.models import Notification
from notifications.tasks import send_notification_email
from tests.worker import forget_broker_connections, wait_for

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def frozen_redis():
    """A Redis of this test's own, stopped with SIGSTOP as an operator's `kill -STOP`
    (or a VM pause) would: it accepts connections and never answers."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
        )
        try:
            assert wait_for(lambda: _answers(port), timeout=10), "redis-server did not start"
            os.kill(process.pid, signal.SIGSTOP)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            os.kill(process.pid, signal.SIGCONT)
            process.terminate()
            process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def broker_at(monkeypatch):
    """Point Celery at a broker URL, as a deployment would (no inline tasks)."""

    def point(url: str) -> None:
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
        forget_broker_connections()

    yield point
    forget_broker_connections()


@pytest.fixture
def notification(alice):
    alice.email = "alice@example.org"
    alice.save()
    return Notification.objects.create(recipient=alice, kind="referral", message="A referral")


def test_it_queues_nothing_when_the_change_rolls_back(
    notification, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(send_notification_email, [notification.pk])
            raise RuntimeError("the change failed")

    assert not OutboxMessage.objects.exists()
    notification.refresh_from_db()
    assert notification.emailed_at is None


def test_it_runs_the_job_after_the_commit_and_marks_it_sent(
    notification, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue(send_notification_email, [notification.pk])
            notification.refresh_from_db()
            assert notification.emailed_at is None  # nothing runs before the commit

    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert OutboxMessage.objects.get().sent_at is not None


def test_it_does_not_hold_the_commit_on_a_frozen_broker_and_keeps_the_job(
    notification, frozen_redis, broker_at, transactional_db
):
    broker_at(frozen_redis)
    timings = []
    for _ in range(2):
        started = time.monotonic()
        with transaction.atomic():
            enqueue(send_notification_email, [notification.pk])
        timings.append(time.monotonic() - started)

    assert max(timings) < 0.2, f"a commit waited {max(timings):.1f} s on the frozen broker"
    # The sender thread tried, gave up after its timeout, and left both to the relay.
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert wait_for(lambda: waiting.exclude(last_error="").exists(), timeout=10)
    assert waiting.count() == 2


def test_it_sends_what_waited_once_the_broker_answers(notification, worker, monkeypatch):
    # The broker is down: the job waits in the outbox with the change.
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    forget_broker_connections()
    with transaction.atomic():
        enqueue(send_notification_email, [notification.pk])
    message = OutboxMessage.objects.get()
    assert wait_for(lambda: OutboxMessage.objects.exclude(last_error="").exists(), timeout=10)
    message.refresh_from_db()
    assert message.sent_at is None

    # It is back: beat's relay sends it and the worker emails.
    monkeypatch.setitem(celery_app.conf, "broker_url", os.environ["HARBOR_TEST_REDIS_URL"])
    forget_broker_connections()
    assert outbox_relay() == 1

    def emailed() -> bool:
        notification.refresh_from_db()
        return notification.emailed_at is not None

    assert wait_for(emailed, timeout=90)
    message.refresh_from_db()
    assert message.sent_at is not None
    assert outbox_relay() == 0  # sent once


def test_it_forgets_sent_jobs_after_a_week_and_never_unsent_ones(notification):
    from datetime import timedelta

    from django.utils import timezone

    old = timezone.now() - timedelta(days=8)
    OutboxMessage.objects.create(task_name="x", sent_at=old, created_at=old)
    OutboxMessage.objects.create(task_name="y", created_at=old)

    assert outbox_prune() == 1
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == ["y"]
