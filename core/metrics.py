"""The process's own Prometheus metrics (`GET /metrics`, desk.ops, adds the database's).

With gunicorn's several workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped
at start by gunicorn.conf.py): each worker then writes its samples there and a scrape of
any worker sums them all (prometheus_client's multiprocess mode), instead of answering
with whichever worker the load balancer picked.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.registry import Collector

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Each metric opens its file there as it is defined below (a command run before
    # gunicorn, which wipes the directory at start, finds it missing).
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# Seconds, from a cached page (a few ms) to a national search or a slow import upload.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram(
    "harbor_request_seconds",
    "Time to answer a request, by route (the URL pattern, never the path), method and "
    "status class.",
    ["route", "method", "status"],
    buckets=BUCKETS,
)
SEARCH_SECONDS = Histogram(
    "harbor_search_seconds",
    "Time the matching engine took for one search, the directory's sync included.",
    buckets=BUCKETS,
)
DIRECTORY_SYNC_SECONDS = Histogram(
    "harbor_directory_sync_seconds",
    "How long a search waited for this process's directory to catch up with the homes "
    "changed since its last search (the directory's sync lag).",
    buckets=BUCKETS,
)


def exposition(*extra: Collector) -> bytes:
    """The text a scrape gets: this process's metrics (or every worker's, in multiprocess
    mode) and the `extra` collectors, read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own = CollectorRegistry()
        multiprocess.MultiProcessCollector(own)
    else:
        own = DEFAULT_REGISTRY
    now = CollectorRegistry()
    for collector in extra:
        now.register(collector)
    return generate_latest(own) + generate_latest(now)
