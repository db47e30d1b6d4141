"""A real beat and a real worker say they are alive: the files docker-compose.yml's
healthchecks read, and beat's heartbeat row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from core.heartbeat import heartbeat_age
from tests.worker import wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def alive_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HARBOR_ALIVE_DIR", str(tmp_path))
    return tmp_path


def test_it_writes_beats_heartbeat_while_beat_runs(alive_dir, transactional_db, tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": os.environ["HARBOR_TEST_REDIS_URL"],
        "CELERY_TASK_DEFAULT_QUEUE": "test-beat-nobody-reads",
    }
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=WARNING",
         "--scheduler=config.beat:Scheduler", f"--schedule={tmp_path / 'schedule'}"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        assert wait_for(lambda: (alive_dir / "harbor-beat.alive").exists(), timeout=60)
        assert wait_for(lambda: heartbeat_age(name="beat") is not None, timeout=30)
        assert heartbeat_age(name="beat") < 60
    finally:
        beat.terminate()
        beat.wait(timeout=30)


def test_it_touches_the_workers_liveness_file(alive_dir, worker):
    assert wait_for(lambda: (alive_dir / "harbor-worker.alive").exists(), timeout=60)
