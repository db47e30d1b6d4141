"""What an operator (and a load balancer) asks the app: `GET /healthz` (the process
answers), `GET /readyz` (it can serve: database, broker, directory, migrations) and
`GET /metrics` (Prometheus text, behind METRICS_TOKEN).

A middleware answers them, first after the request log: a probe needs no session, no
sign-in, no HTTPS redirect and no ALLOWED_HOSTS entry for the address it calls from.
Each readiness check has a short timeout, so a hung dependency answers 503, not a hang.
"""

from __future__ import annotations

import datetime
import hmac
from collections.abc import Callable, Iterator

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from audit.selectors import audit_unsealed
from core.metrics import exposition
from homes.models import HomeImport
from matching.directory import directory_cache
from notifications.models import Notification
from placement.models import Batch

CHECK_TIMEOUT_SECONDS = 2
# A batch or import still running or queued after this long is stuck (tasks stop at 5 min).
STUCK_SECONDS = 600


class OpsEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.endpoints = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = self.endpoints.get(request.path.rstrip("/"))
        if endpoint is None:
            return self.get_response(request)
        request.META["HARBOR_ROUTE"] = request.path.rstrip("/")
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"detail": "Method not allowed.", "code": "method_not_allowed"},
                                status=405)  # fmt: skip
        response = endpoint(request)
        response["Cache-Control"] = "no-store"
        return response


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


# --- Readiness -----------------------------------------------------------------------------

_migrated = False


def readiness() -> dict[str, str]:
    """Each check's answer: "ok", or what is wrong in a few words."""
    return {
        "database": _check(_database),
        "broker": _check(_broker),
        "directory": "ok" if directory_cache.loaded else "not loaded yet",
        "migrations": _check(_migrations),
    }


def _check(probe: Callable[[], str]) -> str:
    try:
        return probe()
    except Exception as exc:  # any failure is the answer, named by its type
        return f"failed: {type(exc).__name__}"


def _database() -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL statement_timeout = {CHECK_TIMEOUT_SECONDS * 1000}")
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok"  # no broker: tasks run inline (the demo)
    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://")):
        return "ok"
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _migrations() -> str:
    global _migrated
    if _migrated:  # once applied, they stay applied until the next release's start
        return "ok"
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} not applied"
    _migrated = True
    return "ok"


def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(answer == "ok" for answer in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


# --- Metrics -------------------------------------------------------------------------------


def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return JsonResponse(
            {"detail": "A valid metrics token is required.", "code": "not_authenticated"},
            status=401,
        )
    return HttpResponse(exposition(StateCollector()), content_type=CONTENT_TYPE_LATEST)


class StateCollector(Collector):
    """What the database says at scrape time: queues, the beat, the trail, stuck jobs."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        for name, doc, read in (
            ("harbor_outbox_unsent_messages", "Jobs written to the outbox and not yet sent "
             "to the broker (the queue's depth on Harbor's side).", _outbox_unsent),
            ("harbor_outbox_oldest_unsent_seconds", "Age of the oldest job not yet sent to "
             "the broker (0 when none waits).", _outbox_oldest),
            ("harbor_broker_queue_length", "Tasks waiting in the broker's queue.", _broker_depth),
            ("harbor_beat_heartbeat_age_seconds", "Seconds since Celery beat last wrote its "
             "heartbeat.", _beat_age),
            ("harbor_audit_unsealed_entries", "Audit entries not yet sealed into the chain.",
             lambda now: audit_unsealed()[0]),
            ("harbor_audit_oldest_unsealed_seconds", "Age of the oldest audit entry not yet "
             "sealed (0 when none waits; AUDIT_SEAL_DELAY_SECONDS fails audit_verify).",
             _unsealed_age),
            ("harbor_batches_stuck", f"Group plans running longer than {STUCK_SECONDS} s.",
             _batches_stuck),
            ("harbor_imports_stuck", f"Directory imports queued or running longer than "
             f"{STUCK_SECONDS} s.", _imports_stuck),
            ("harbor_emails_unsent", "Notifications of the last day not emailed 10 minutes "
             "after they were made.", _emails_unsent),
            ("harbor_directory_loaded", "1 when this process's home directory is loaded.",
             lambda now: int(directory_cache.loaded)),
        ):  # fmt: skip
            try:
                value = read(now)
            except DatabaseError:
                continue  # readyz says the database is down; a scrape still answers
            if value is not None:
                yield GaugeMetricFamily(name, doc, value=value)


def _seconds(since: datetime.datetime | None, now: datetime.datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def _outbox_model():
    try:
        return apps.get_model("core", "OutboxMessage")
    except LookupError:
        return None


def _outbox_unsent(now: datetime.datetime) -> int | None:
    model = _outbox_model()
    return None if model is None else model.objects.filter(sent_at__isnull=True).count()


def _outbox_oldest(now: datetime.datetime) -> float | None:
    model = _outbox_model()
    if model is None:
        return None
    oldest = (
        model.objects.filter(sent_at__isnull=True)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return _seconds(oldest, now)


def _broker_depth(now: datetime.datetime) -> int | None:
    url = settings.CELERY_BROKER_URL or ""
    if settings.CELERY_TASK_ALWAYS_EAGER or not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return int(client.llen(settings.CELERY_TASK_DEFAULT_QUEUE))
    except redis.RedisError:
        return None
    finally:
        client.close()


def _beat_age(now: datetime.datetime) -> float | None:
    try:
        model = apps.get_model("core", "Heartbeat")
    except LookupError:
        return None
    at = model.objects.filter(name="beat").values_list("at", flat=True).first()
    return None if at is None else _seconds(at, now)


def _unsealed_age(now: datetime.datetime) -> float:
    return _seconds(audit_unsealed()[1], now)


def _batches_stuck(now: datetime.datetime) -> int:
    return Batch.objects.filter(
        status=Batch.Status.RUNNING, created_at__lt=now - datetime.timedelta(seconds=STUCK_SECONDS)
    ).count()


def _imports_stuck(now: datetime.datetime) -> int:
    return HomeImport.objects.filter(
        status__in=[HomeImport.Status.QUEUED, HomeImport.Status.RUNNING],
        created_at__lt=now - datetime.timedelta(seconds=STUCK_SECONDS),
    ).count()


def _emails_unsent(now: datetime.datetime) -> int:
    return (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lte=now - datetime.timedelta(minutes=10),
            created_at__gte=now - datetime.timedelta(days=1),
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .count()
    )
