"""Gunicorn settings for the production shape (read from the working directory).

The parent process loads the app and the matching directory before it forks the
workers, so every worker shares the directory's pages instead of holding its own
copy (at national scale, 250,000 homes, that is tens of megabytes a worker), and
no worker starts cold: a case worker's first search at 2 a.m. is as fast as any.
Each worker keeps its copy current from the database's change log (matching.directory).
Workers run threads, so a search waiting on the directory never holds up a sign-in.
"""

from __future__ import annotations

import logging
import os
import re

from gunicorn import glogging

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
preload_app = True
# Set by gunicorn in its own environment just before it loads the app (never by reading
# this file): config/wsgi.py then starts the directory's load before Django's setup.
raw_env = ["HARBOR_LOAD_DIRECTORY_EARLY=1"]
timeout = 60
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# The path without its query string, and no Referer: a query or the page before may hold
# a child's name ("Find a case" searched by GET), and logs carry no personal data. The
# duration (%(M)s, milliseconds) is kept for whoever reads the log for slow requests.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


# Gunicorn's error log names the URI, query included, when a request fails before or
# outside Django ("Error handling request /?search=...", "Invalid HTTP request line:
# '...'"): the query is cut from every line it writes, for the same reason.
_QUERY = re.compile(r"\?[^\s'\"]*")


class _NoQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "?" in text:
            record.msg, record.args = _QUERY.sub("?", text), ()
        return True


class logger_class(glogging.Logger):  # noqa: N801 (gunicorn's setting name)
    def setup(self, cfg) -> None:
        super().setup(cfg)
        self.error_log.addFilter(_NoQueryStrings())


def when_ready(server) -> None:
    from matching.directory import warm_before_fork

    warm_before_fork()


# Metrics from every worker (core.metrics): with PROMETHEUS_MULTIPROC_DIR set, each worker
# writes its samples there; the directory starts empty, and a worker that exits is marked
# dead so its gauges stop counting.
def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
