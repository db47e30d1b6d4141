"""A Redis of a test's own (redis-server on a free port, as chaos/run.py starts one) and
a production-shaped worker on it, for the tests that kill the broker or the worker: the
shared test Redis must never be killed under the other tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

from celery.exceptions import AlwaysEagerIgnored

from config.celery import app
from tests.worker import wait_for
from tests.worker_tasks import NAP

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """redis-server as docker-compose.yml runs it (append-only file, no eviction)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--appendonly", "yes", "--save", "",
             "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(self.answers, timeout=20), "redis-server did not start"

    def answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def cli(self, *args: str) -> str:
        run = subprocess.run(["redis-cli", "-p", str(self.port), *args],
                             capture_output=True, text=True, timeout=10)  # fmt: skip
        return run.stdout.strip()


class Worker:
    """`celery worker` as docker-compose.yml runs it (prefork, two processes, gossip,
    mingle and remote control on), on `broker_url`, with the test task loaded."""

    def __init__(self, broker_url: str, folder: Path, queue: str = "celery",
                 app: str = "config") -> None:  # fmt: skip
        folder.mkdir(exist_ok=True)
        self.folder, self.queue, self.app = folder, queue, app
        self.log = folder / "worker.log"
        self.env = {
            **os.environ,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "HARBOR_ALIVE_DIR": str(folder),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", self.app, "worker", "--loglevel=INFO",
                 "--concurrency=2", "-Q", self.queue, "--include", "tests.worker_tasks"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole worker (the main process and its pool), as a container dies."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def send_nap(broker_url: str, queue: str, key: str, seconds: float, log: Path) -> None:
    with app.connection_for_write(broker_url) as connection, warnings.catch_warnings():
        # send_task always sends, whatever task_always_eager says in this process.
        warnings.simplefilter("ignore", AlwaysEagerIgnored)
        app.send_task(NAP, args=[key, seconds, str(log)], queue=queue, connection=connection)


def runs(log: Path) -> tuple[Counter, Counter]:
    """How often each job started, and how often it finished."""
    started, done = Counter(), Counter()
    for event, key, _ in moments(log):
        (started if event == "start" else done)[key] += 1
    return started, done


def moments(log: Path) -> list[tuple[str, str, float]]:
    """(start or done, job, time.time()) for every line the jobs wrote, in order."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [(event, key, float(at)) for event, key, at in (line.split(" ") for line in lines)]
