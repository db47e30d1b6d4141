"""A job whose worker died is delivered again within minutes, not an hour, and a job
still running is never delivered twice (issue 27 item 2): the broker's visibility
timeout is the longest a job may run plus a margin."""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings

from config.celery import app
from core.models import OutboxMessage
from placement.models import Batch
from placement.services.batch_runs import RUN_BATCH, batch_queue
from placement.services.batches import TIME_LIMIT_MAX
from tests.broker import RedisServer, Worker, moments, runs, send_nap
from tests.worker import wait_for
from tests.worker_scaled import MARGIN, RESTORE_INTERVAL, TIME_LIMIT


def test_no_job_may_run_as_long_as_the_visibility_timeout(db, alice):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    visibility = options["visibility_timeout"]
    app.autodiscover_tasks(lambda: settings.INSTALLED_APPS, force=True)  # as a worker does
    limits = {
        name: task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        for name, task in app.tasks.items()
        if not name.startswith("celery.")
    }
    # The one job queued with limits of its own: a batch, at the longest it may ask for.
    batch = Batch.objects.create(
        agency=alice.agency, created_by=alice, time_limit_seconds=TIME_LIMIT_MAX
    )
    batch_queue(batch)
    queued = OutboxMessage.objects.get(task_name=RUN_BATCH, args=[batch.pk])
    limits[RUN_BATCH] = max(limits[RUN_BATCH], queued.options["time_limit"])

    assert len(limits) > 20  # Harbor's tasks, all of them
    # A job still running is never delivered again: a minute to spare over the longest.
    assert max(limits.values()) + 60 <= visibility
    # A dead worker's job comes back within seven minutes (it waited an hour).
    assert (
        visibility + options["unacked_restore_interval"] * options["unacked_restore_throttle"]
        <= 7 * 60
    )


@pytest.mark.redis
def test_a_dead_workers_job_is_delivered_again_and_a_running_one_is_not(tmp_path):
    """With the timings scaled down (tests/worker_scaled.py: a 4 s time limit, a 6 s
    visibility timeout): worker A takes a job and is killed (SIGKILL, the container
    gone); worker B, started after, runs it again within the visibility timeout plus
    its look-out interval, once. Meanwhile B runs two jobs lasting nearly the time limit:
    each starts and ends once, though B looks for overdue jobs every second."""
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    log = tmp_path / "runs.log"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    first = Worker(redis_server.url, tmp_path / "a", queue, app="tests.worker_scaled")
    second = Worker(redis_server.url, tmp_path / "b", queue, app="tests.worker_scaled")
    visibility = TIME_LIMIT + MARGIN
    try:
        first.start()
        send_nap(redis_server.url, queue, "orphan", 2.0, log)
        assert wait_for(lambda: runs(log)[0]["orphan"] == 1, timeout=90), first.output()
        first.kill()
        assert runs(log)[1]["orphan"] == 0  # it never finished
        second.start()
        for key in ("long-1", "long-2"):
            send_nap(redis_server.url, queue, key, TIME_LIMIT - 0.8, log)

        assert wait_for(lambda: runs(log)[1]["orphan"] == 1, timeout=90), second.output()
        assert wait_for(lambda: runs(log)[1]["long-1"] and runs(log)[1]["long-2"], timeout=60)
        # Long enough after the long jobs started for any wrong redelivery to show.
        last_start = max(at for event, key, at in moments(log) if key.startswith("long"))
        time.sleep(max(0.0, last_start + visibility + 3 * RESTORE_INTERVAL - time.time()))

        started, done = runs(log)
        assert (started["orphan"], done["orphan"]) == (2, 1)
        assert (started["long-1"], done["long-1"]) == (1, 1)
        assert (started["long-2"], done["long-2"]) == (1, 1)
        starts = [at for event, key, at in moments(log) if (event, key) == ("start", "orphan")]
        # Not before its visibility timeout ran out (it might still have been running)...
        assert starts[1] - starts[0] >= visibility - 1
        assert redis_server.cli("hlen", "unacked") == "0"
    finally:
        first.stop()
        second.stop()
        redis_server.kill()
