from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from homes.models import Home
from homes.tasks import nudge_stale_availability
from placement.celery import app
from tests.factories import HomeFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker process on the test Redis and the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": os.environ["HARBOR_TEST_REDIS_URL"],
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "placement",
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
    old = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = os.environ["HARBOR_TEST_REDIS_URL"]
    app.conf.task_always_eager = False
    # Celery caches its connection pools on first use with that moment's broker URL: a task
    # run inline earlier in this process (no broker) would make this test publish elsewhere.
    app._pool = app.amqp._producer_pool = None
    try:
        yield queue
    finally:
        app.conf.broker_url, app.conf.task_always_eager = old
        app._pool = app.amqp._producer_pool = None
        process.terminate()
        process.wait(timeout=30)


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.postgres
@pytest.mark.redis
def test_it_nudges_stale_homes_through_a_real_worker_once(worker):
    stale = HomeFactory(availability_updated_at=timezone.now() - timedelta(hours=80))
    fresh = HomeFactory(availability_updated_at=timezone.now() - timedelta(hours=2))

    nudge_stale_availability.apply_async(queue=worker)
    assert wait_for(lambda: Home.objects.get(pk=stale.pk).stale_nudged_at is not None)
    first_nudge = Home.objects.get(pk=stale.pk).stale_nudged_at
    assert Home.objects.get(pk=fresh.pk).stale_nudged_at is None

    # Running it again is harmless: the home was nudged within the day.
    nudge_stale_availability.apply_async(queue=worker)
    marker = HomeFactory(availability_updated_at=timezone.now() - timedelta(days=5))
    nudge_stale_availability.apply_async(queue=worker)
    assert wait_for(lambda: Home.objects.get(pk=marker.pk).stale_nudged_at is not None)
    assert Home.objects.get(pk=stale.pk).stale_nudged_at == first_nudge


def test_it_runs_tasks_inline_when_no_broker_is_configured(settings):
    assert settings.CELERY_BROKER_URL is None
    assert app.conf.task_always_eager is True


def test_it_has_the_stale_nudge_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["nudge-stale-availability"]
    assert entry["task"] == nudge_stale_availability.name
