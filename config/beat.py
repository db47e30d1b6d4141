"""Beat's scheduler, which also says beat is alive (docker-compose.yml's healthcheck and
/metrics read it): each HEARTBEAT_SECONDS it touches a file in HARBOR_ALIVE_DIR and writes
the `beat` heartbeat row (core.heartbeat). A beat that stopped or hung stops both, so the
container is replaced and an operator sees how long ago it last ticked."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler
from django.db import DatabaseError, connection

from core.heartbeat import heartbeat_record

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30.0


def alive_file(name: str) -> Path:
    """Where the process `name` (worker, beat) touches its liveness file."""
    return Path(os.environ.get("HARBOR_ALIVE_DIR", "/tmp")) / f"harbor-{name}.alive"


def touch(path: Path) -> None:
    try:
        path.touch()
    except OSError:  # a read-only or full /tmp: the healthcheck will say so
        logger.warning("could not touch %s", path)


class Scheduler(PersistentScheduler):
    _last_beat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.monotonic()
        if now - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = now
            touch(alive_file("beat"))
            try:
                heartbeat_record(name="beat")
            except DatabaseError:
                # The database is away: the file still says beat runs; the row catches up.
                logger.warning("beat heartbeat not written (database unavailable)")
                connection.close()
        return min(super().tick(*args, **kwargs), HEARTBEAT_SECONDS)
