"""Gunicorn settings for the production shape (read from the working directory).

Each worker loads the matching directory before it takes requests: at national
scale (250,000 homes) that takes seconds, which should never be a case worker's
first search at 2 a.m.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = 60
accesslog = "-"


def post_worker_init(worker) -> None:
    from matching.selectors import directory_cache

    try:
        directory_cache.current()
    except Exception:  # a cold cache is slower, not wrong: the first search loads it
        worker.log.exception("Could not preload the matching directory")
