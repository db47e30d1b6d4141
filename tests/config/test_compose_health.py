"""docker-compose.yml's health: the worker's and beat's checks really tell a live process
from a hung one, and replace the hung one (the file as a whole, every service's restart
policy and healthcheck: tests/config/test_compose_schema.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from celery.utils.imports import symbol_by_name

ROOT = Path(__file__).resolve().parents[2]
RESTARTS = {"always", "unless-stopped", "on-failure"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_it_restarts_and_checks_every_harbor_process(compose, name):
    service = compose["services"][name]
    assert service["restart"] in RESTARTS
    check = service["healthcheck"]
    assert check["retries"] >= 2 and check["interval"] and check["start_period"]


def test_it_runs_beat_with_the_scheduler_that_writes_its_heartbeat(compose):
    command = compose["services"]["beat"]["command"]
    scheduler = next(arg for arg in command if arg.startswith("--scheduler="))
    from config.beat import Scheduler

    assert symbol_by_name(scheduler.split("=", 1)[1]) is Scheduler


def test_the_web_check_is_python_that_compiles(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    compile(test[3], "healthcheck", "exec")


def _shell(check: list[str], folder: Path) -> str:
    """The CMD-SHELL line as the container's shell gets it ($$ is compose's $), with
    /tmp moved to a folder of the test's own."""
    assert check[0] == "CMD-SHELL"
    return check[1].replace("$$", "$").replace("/tmp/", f"{folder}/")


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_it_replaces_a_process_whose_heartbeat_stopped(compose, name, tmp_path):
    line = _shell(compose["services"][name]["healthcheck"]["test"], tmp_path)
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / f"harbor-{name}.pid").write_text(f"{watched.pid}\n")
        alive = tmp_path / f"harbor-{name}.alive"

        # Starting: no heartbeat yet. Unhealthy, but left to start.
        assert subprocess.run(["sh", "-c", line]).returncode == 1
        assert watched.poll() is None

        alive.touch()  # alive
        assert subprocess.run(["sh", "-c", line]).returncode == 0
        assert watched.poll() is None

        stale = time.time() - 180  # no heartbeat for three minutes: hung
        os.utime(alive, (stale, stale))
        assert subprocess.run(["sh", "-c", line]).returncode == 1
        assert watched.wait(timeout=5) == -signal.SIGKILL
    finally:
        if watched.poll() is None:
            watched.kill()
