"""A real Celery worker for the tests that need one (Redis + the test database)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery.app.task import Task
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def worker(transactional_db, monkeypatch):
    """A real worker on the test Redis and database, on a queue of its own.

    Everything this test process queues goes there (tasks queued after commit by the
    services too), and so does everything the worker queues itself
    (CELERY_TASK_DEFAULT_QUEUE): nothing lands on a queue shared with anyone else.
    """
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": os.environ["HARBOR_TEST_REDIS_URL"],
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
    )
    send = Task.apply_async

    def to_this_worker(self, args=None, kwargs=None, **options):
        options.setdefault("queue", queue)
        return send(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", to_this_worker)
    old = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = os.environ["HARBOR_TEST_REDIS_URL"]
    app.conf.task_always_eager = False
    forget_broker_connections()
    try:
        yield queue
    finally:
        app.conf.broker_url, app.conf.task_always_eager = old
        forget_broker_connections()
        process.terminate()
        process.wait(timeout=30)


def forget_broker_connections() -> None:
    """Celery caches its connection pools on first use, with the broker URL of that
    moment: a task run inline earlier in this process (no broker) would otherwise make
    this test publish to the default broker instead of the test Redis."""
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
