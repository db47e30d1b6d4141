"""The timers of `make demo`: Celery beat's schedule (settings.CELERY_BEAT_SCHEDULE), run
in this one process, each job at its interval, for a laptop with no broker and no beat.
Holds expire, homes are reminded, follow-ups come due, as in production.

`make demo` starts it beside the web server and stops it with it; `--once` runs every
job once and exits (the tests, or a cron line)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

TICK_SECONDS = 5


class Command(BaseCommand):
    help = "Run Celery beat's schedule in this process (for make demo)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        beat: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
        schedule: dict[str, tuple[str, float]] = {
            name: (str(entry["task"]), float(entry["schedule"].total_seconds()))
            for name, entry in beat.items()
        }
        due = dict.fromkeys(schedule, 0.0)  # every job runs at the start
        if not options["once"]:
            self.stdout.write(f"Timers: {len(schedule)} jobs (holds, reminders, follow-ups).")
        while True:
            now = time.monotonic()
            for name, (task, every) in schedule.items():
                if due[name] <= now:
                    _run(name, task)
                    due[name] = now + every
            if options["once"]:
                return
            time.sleep(TICK_SECONDS)


def _run(name: str, task: str) -> None:
    """One job, in this process (a Celery task called is its body run here); one that
    fails is logged and tried again at its next time, as beat would."""
    try:
        import_string(task)()
    except Exception:
        logger.exception("timer %s failed", name)
