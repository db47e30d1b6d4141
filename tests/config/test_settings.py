from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never.
        if k not in {"SECRET_KEY", "DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_passes_the_deploy_check_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        ALLOWED_HOSTS="harbor.example.org",
        EMAIL_HOST="smtp.example.org",
        FIELD_ENCRYPTION_KEY="mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_reads_secrets_from_files(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "y" * 50)
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)",
        DEBUG="false", SECRET_KEY_FILE=str(secret), ALLOWED_HOSTS="x",
        FIELD_ENCRYPTION_KEY="mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=",
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "from-a-file-" + "y" * 50, result.stderr


@pytest.mark.django_db
def test_it_has_a_migration_for_every_model_change():
    result = manage("makemigrations", "--check", "--dry-run", DEBUG="true")
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_points_every_compose_service_at_something_that_exists():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert "noeviction" in " ".join(map(str, services["redis"].get("command", [])))
    dockerfile = (ROOT / services["web"]["build"]["dockerfile"]).read_text()
    assert "python:3.12" in dockerfile or "python:3.13" in dockerfile
    web = " ".join(services["web"]["command"])
    assert "gunicorn config.wsgi:application" in web
    assert "--config gunicorn.conf.py" in web
    assert (ROOT / "gunicorn.conf.py").exists()
    assert (ROOT / "config" / "wsgi.py").exists()
    for name in ("worker", "beat"):
        command = services[name]["command"]
        assert command[:3] == ["celery", "-A", "config"], command
        assert command[3] == name
    assert (ROOT / "config" / "celery.py").exists()
    from config.celery import app

    assert app.main == "config"
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert "SECRET_KEY_FILE" in env or "SECRET_KEY" in env


def test_it_runs_the_app_as_a_role_that_cannot_rewrite_the_trail():
    """Issue 29, finding 3: the app connected as the superuser that ran `migrate`."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://harbor_owner@")
    assert "grant_app_role harbor_app" in " ".join(migrate["command"])
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://harbor_app@")
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert "AUDIT_CHAIN_KEY_FILE" in services[name]["environment"]
    assert "check --deploy --database default" in " ".join(services["web"]["command"])
    assert "trust" not in str(services["db"]["environment"])
    init = [v for v in services["db"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init and (ROOT / init[0].split(":")[0]).exists()


def compose_environment(tmp_path: Path) -> dict[str, str]:
    """The environment docker-compose gives the web service, with its secrets in files,
    and nothing of this machine's (the test run's MFA_REQUIRED=false, STATIC_MANIFEST...)."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {k: str(v) for k, v in compose["services"]["web"]["environment"].items()}
    (tmp_path / "secret_key").write_text("a-long-random-production-secret-" + "z" * 40)
    (tmp_path / "field_encryption_key").write_text("mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=")
    env["SECRET_KEY_FILE"] = str(tmp_path / "secret_key")
    env["FIELD_ENCRYPTION_KEY_FILE"] = str(tmp_path / "field_encryption_key")
    (tmp_path / "audit_chain_key").write_text("an-audit-chain-key-" + "k" * 40)
    (tmp_path / "db_app_password").write_text("an-app-password")
    env["AUDIT_CHAIN_KEY_FILE"] = str(tmp_path / "audit_chain_key")
    env["DATABASE_PASSWORD_FILE"] = str(tmp_path / "db_app_password")
    (tmp_path / "metrics_token").write_text("a-metrics-token")
    env["METRICS_TOKEN_FILE"] = str(tmp_path / "metrics_token")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    env["ALLOWED_HOSTS"] = "harbor.example.org"
    env["CSRF_TRUSTED_ORIGINS"] = "https://harbor.example.org"
    env["EMAIL_HOST"] = "smtp.example.org"
    machine = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return {**machine, **env}


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_check_as_docker_compose_runs_it(tmp_path):
    # DEBUG off, secrets from files, behind the TLS proxy, Redis and PostgreSQL: what
    # `docker compose up` runs. Any warning fails (issue 12: "check --deploy is clean").
    result = run_manage(
        compose_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_runs_production_with_every_header_and_cookie_hardened(tmp_path):
    # What `check --deploy` does not look at: the policy headers, MFA, the proxy.
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'mfa': s.MFA_REQUIRED, 'proxies': s.TRUSTED_PROXY_COUNT,"
        "'proxy_ssl': s.SECURE_PROXY_SSL_HEADER, 'redirect': s.SECURE_SSL_REDIRECT,"
        "'hsts': s.SECURE_HSTS_SECONDS, 'cookies': [s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY], 'csp': s.SECURE_CSP,"
        "'permissions': s.PERMISSIONS_POLICY, 'middleware': s.MIDDLEWARE,"
        "'frame': s.X_FRAME_OPTIONS, 'coop': s.SECURE_CROSS_ORIGIN_OPENER_POLICY,"
        "'referrer': s.SECURE_REFERRER_POLICY}))"
    )
    result = run_manage(compose_environment(tmp_path), "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout.strip().splitlines()[-1])

    assert config["mfa"] is True
    assert config["proxies"] == 1
    assert config["proxy_ssl"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert config["redirect"] is True and config["hsts"] >= 31536000
    assert config["cookies"] == [True, True, True]
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in config["middleware"]
    assert "core.headers.PrivateResponseMiddleware" in config["middleware"]
    csp = config["csp"]
    assert csp["default-src"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert csp[directive] == ["'self'"], directive  # no inline code, no eval
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "camera=()" in config["permissions"]
    assert (config["frame"], config["coop"], config["referrer"]) == (
        "DENY",
        "same-origin",
        "same-origin",
    )
