from __future__ import annotations

import os
from typing import Any

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How often a worker says it is alive (its file in HARBOR_ALIVE_DIR, which
# docker-compose.yml's healthcheck reads).
WORKER_ALIVE_SECONDS = 15.0


class Liveness(bootsteps.StartStopStep):
    """Touches the worker's liveness file from its event loop: a worker whose loop hangs
    (or that cannot reach the broker) stops touching it, and the healthcheck replaces it."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        self.tref: Any = None
        super().__init__(parent, **kwargs)

    def start(self, parent: Any) -> None:
        from config.beat import alive_file, touch

        path = alive_file("worker")
        touch(path)
        self.tref = parent.timer.call_repeatedly(WORKER_ALIVE_SECONDS, touch, (path,), priority=10)

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(Liveness)
