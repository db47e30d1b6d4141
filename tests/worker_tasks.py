"""A task only the worker tests queue: it writes when it starts and when it ends (and
the time), so a test can count how often, and when, each job ran. Loaded into a test's
own worker with `--include tests.worker_tasks`; no Harbor code queues it."""

from __future__ import annotations

import time

from config.celery import app

NAP = "tests.nap"


@app.task(name=NAP, ignore_result=True)
def nap(key: str, seconds: float, log: str) -> None:
    with open(log, "a") as out:
        out.write(f"start {key} {time.time()}\n")
    time.sleep(seconds)
    with open(log, "a") as out:
        out.write(f"done {key} {time.time()}\n")
