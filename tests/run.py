"""`make test`: run the suite on PostgreSQL and Redis when they answer, else on SQLite.

With HARBOR_REQUIRE_SERVICES=1 (CI) a missing service is an error, and so is any
test skipped for want of one.

With HARBOR_TEST_SQLITE=1 they run on SQLite even when PostgreSQL answers: `make test`
runs the reports' tests a second time that way, on the database `make demo` uses.
"""

from __future__ import annotations

import os
import sys

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/harbor"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def postgres_answers(url: str) -> str | None:
    try:
        import psycopg2

        # Ask the maintenance database: the named one may not exist yet (tests make their own).
        conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3)
        conn.close()
        return None
    except Exception as exc:  # any failure means "not reachable"; we print why
        return str(exc).strip().splitlines()[0]


def redis_answers(url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        return None
    except Exception as exc:
        return str(exc).strip().splitlines()[0]


def main() -> int:
    required = os.environ.get("HARBOR_REQUIRE_SERVICES") == "1"
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    env = dict(os.environ)
    env.setdefault("DEBUG", "false")
    env.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
    env.setdefault("FIELD_ENCRYPTION_KEY", "mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=")
    env["SECURE_SSL_REDIRECT"] = "false"
    env["STATIC_MANIFEST"] = "false"
    # Most tests sign in with force_login and test what comes after; the second factor
    # has its own tests, which turn MFA_REQUIRED on (tests/accounts/test_mfa.py).
    env.setdefault("MFA_REQUIRED", "false")
    problems = []

    on_sqlite = os.environ.get("HARBOR_TEST_SQLITE") == "1"
    if on_sqlite:
        print("make test: on SQLite, as asked (HARBOR_TEST_SQLITE=1)", flush=True)
        why = None
    else:
        why = postgres_answers(database_url) if database_url.startswith("postgres") else "not set"
    if why is None and not on_sqlite:
        env["DATABASE_URL"] = database_url
        env["HARBOR_TEST_POSTGRES"] = "1"
        print(f"make test: PostgreSQL answers at {database_url.split('@')[-1]}", flush=True)
    else:
        env["DATABASE_URL"] = "sqlite:///" + os.path.abspath("var/test.sqlite3")
        env["HARBOR_TEST_POSTGRES"] = "0"
        if why is not None:
            problems.append(f"PostgreSQL not reachable ({why})")
    why = redis_answers(redis_url)
    if why is None:
        # Not REDIS_URL: the code under test runs tasks inline, and only the Celery
        # tests send to this broker, through a worker they start themselves.
        env["HARBOR_TEST_REDIS_URL"] = redis_url
        env["HARBOR_TEST_REDIS"] = "1"
        print(f"make test: Redis answers at {redis_url.split('@')[-1]}", flush=True)
    else:
        env["HARBOR_TEST_REDIS"] = "0"
        problems.append(f"Redis not reachable ({why})")
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    for problem in problems:
        if required:
            print(f"make test: FAIL: {problem}, and HARBOR_REQUIRE_SERVICES=1", flush=True)
        else:
            print(
                f"make test: {problem}: running on SQLite; tests that need it are SKIPPED",
                flush=True,
            )
    if problems and required:
        return 2
    os.makedirs("var", exist_ok=True)
    args = [sys.executable, "-m", "pytest", *sys.argv[1:]]
    os.execve(sys.executable, args, env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
