"""Issue 27, item 6: an operator can see it. /healthz, /readyz, /metrics (DESIGN,
"Operations"), a request id on every response, in the JSON logs and on the 500 page."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from audit.services import audit_record
from core.heartbeat import heartbeat_record
from core.requestlog import JsonFormatter
from matching.directory import directory_cache
from tests.factories import HomeFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres

TOKEN = "a-metrics-token-for-the-test-0123456789"


@pytest.fixture
def loaded_directory(db):
    HomeFactory()
    directory_cache.current()
    yield
    directory_cache.reset()


def test_it_says_it_is_alive_with_a_request_id_from_any_host(db, settings):
    settings.ALLOWED_HOSTS = ["harbor.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    response = Client(HTTP_HOST="10.0.3.7:8000").get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response["X-Request-ID"]) == 32


def test_it_passes_a_sensible_request_id_through_and_replaces_any_other(db):
    client = Client()
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21")["X-Request-ID"] == "lb-7f3a9c21"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert made != "<script>" and len(made) == 32
    assert client.get("/login/")["X-Request-ID"]


def test_it_is_ready_when_database_broker_directory_and_migrations_are(loaded_directory):
    response = Client().get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "directory": "ok", "migrations": "ok"},
    }


def test_it_names_what_is_wrong_when_not_ready_and_answers_quickly(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://10.255.255.1:6379/0"  # nothing answers there
    directory_cache.reset()

    started = time.monotonic()
    response = Client().get("/readyz")

    assert time.monotonic() - started < 5
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"].startswith("failed: ")
    assert checks["directory"] == "not loaded yet"
    assert checks["database"] == "ok"


def test_it_keeps_metrics_behind_the_token(db, settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_it_exports_what_an_operator_alerts_on(loaded_directory, settings, alice):
    settings.METRICS_TOKEN = TOKEN
    audit_record(actor=None, action="home.availability")
    heartbeat_record(name="beat", now=timezone.now() - timedelta(seconds=90))
    client = Client()
    client.force_login(alice)
    assert client.get("/").status_code == 200

    text = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert 'harbor_request_seconds_count{method="GET",route="/",status="2xx"}' in text
    for name in (
        "harbor_search_seconds_count",
        "harbor_directory_sync_seconds_count",
        "harbor_outbox_unsent_messages",
        "harbor_outbox_oldest_unsent_seconds",
        "harbor_audit_unsealed_entries ",
        "harbor_beat_heartbeat_age_seconds 9",
        "harbor_audit_oldest_unsealed_seconds",
        "harbor_batches_stuck 0.0",
        "harbor_imports_stuck 0.0",
        "harbor_emails_unsent 0.0",
        "harbor_directory_loaded 1.0",
    ):
        assert name in text, name


def test_it_logs_each_request_as_json_with_its_id_route_user_and_duration_but_no_names(
    alice, survivor, caplog
):
    client = Client()
    client.force_login(alice)
    with caplog.at_level(logging.INFO, logger="harbor.request"):
        response = client.get(f"/?search={survivor.first_name}", HTTP_X_REQUEST_ID="ref-12345678")

    (record,) = [r for r in caplog.records if r.name == "harbor.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-ID"] == "ref-12345678"
    assert line["route"] == "/"  # the home page's URL pattern, never its query
    assert line["status"] == 200 and line["method"] == "GET"
    assert line["user_id"] == alice.pk
    assert line["duration_ms"] > 0
    assert survivor.first_name not in json.dumps(line)


def test_a_refused_search_by_name_logs_its_route_not_its_query(alice, survivor, caplog):
    """Django logs every 4xx with the request as `extra`, whose text is the full path:
    `GET /api/v1/survivors/?search=<name>` refused put the child's name in the JSON log
    (issue 29, finding 7; tests/browser/test_no_names_in_logs.py finds it in a real run)."""
    client = Client()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        signed_out = client.get(f"/api/v1/survivors/?search={survivor.first_name}")
        client.force_login(alice)
        bad_filter = client.get(f"/api/v1/survivors/?search={survivor.last_name}&status=x")

    assert (signed_out.status_code, bad_filter.status_code) == (401, 400)
    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "django.request"
    ]
    assert [line["status_code"] for line in lines] == [401, 400]
    assert [line["request"] for line in lines] == ["/api/v1/survivors/"] * 2  # the route
    text = json.dumps(lines)
    assert survivor.first_name not in text and survivor.last_name not in text


def test_gunicorns_error_log_cuts_the_query_from_a_uri(tmp_path):
    """gunicorn names the URI, query and all, when a request fails outside Django."""
    import runpy

    from gunicorn.config import Config

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = conf["logger_class"](config)

    logger.exception("Error handling request %s", "/?search=Zephyrine+Quillfeather")
    logger.warning("Invalid request from ip=1.2.3.4: Invalid HTTP request line: "
                   "'GET /api/v1/survivors/?search=Quillfeather HTTP/1.1 x'")  # fmt: skip

    text = (tmp_path / "error.log").read_text()
    assert "Error handling request /?" in text and "/api/v1/survivors/?" in text
    assert "Zephyrine" not in text and "Quillfeather" not in text


@override_settings(ROOT_URLCONF="tests.config.failing_urls", DEBUG=False)
def test_it_gives_the_500_page_and_the_api_error_the_request_reference(db):
    client = Client(raise_request_exception=False)

    page = client.get("/boom/", HTTP_X_REQUEST_ID="page-ref-0001")
    api = client.get("/api/v1/boom/", HTTP_X_REQUEST_ID="api-ref-00002")

    assert page.status_code == 500
    assert page["X-Request-ID"] == "page-ref-0001"
    assert "Reference: <code>page-ref-0001</code>" in page.content.decode()
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
    assert api.json()["reference"] == api["X-Request-ID"] == "api-ref-00002"
    assert api.json()["code"] == "server_error"


SUMMED = """
import multiprocessing, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from core.metrics import REQUEST_SECONDS, exposition

def worker():
    REQUEST_SECONDS.labels(route="/x", method="GET", status="2xx").observe(0.2)

workers = [multiprocessing.get_context("fork").Process(target=worker) for _ in range(3)]
[w.start() for w in workers]
[w.join() for w in workers]
print([line for line in exposition().decode().splitlines() if "request_seconds_count" in line])
"""


def test_it_sums_every_gunicorn_workers_metrics_in_multiprocess_mode(tmp_path):
    """Three forked workers each answer a request; one scrape, from the parent, counts 3."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "DEBUG": "true",
           "DATABASE_URL": "sqlite://:memory:"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", SUMMED], env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert 'harbor_request_seconds_count{method="GET",route="/x",status="2xx"} 3.0' in result.stdout
