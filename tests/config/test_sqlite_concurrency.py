"""The demo (`make demo`: SQLite, one writer at a time) never answers 500 under concurrency:
writers queue for the write lock, so parallel acceptances get 200 or 409 as on PostgreSQL.

Real threads, each with its own connection, against a real database file (an in-memory
database has no locks between connections), in a process of its own: the test suite's
own database may be PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_it_answers_200_or_409_never_500_to_ten_parallel_acceptances_on_sqlite(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}},
        "DEBUG": "true",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "HARBOR_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "ERROR",
    }
    migrated = run(["manage.py", "migrate", "-v0"], env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]

    crowd = run([str(Path(__file__).with_name("sqlite_crowd.py"))], env)

    assert crowd.returncode == 0, crowd.stderr[-3000:]
    result = json.loads(crowd.stdout.strip().splitlines()[-1])
    # 3 free beds, 10 children: 3 holds and 7 refusals naming the beds; no "database is
    # locked", and the pages read meanwhile all answered.
    assert result["accept"] == {"200": 3, "409": 7}, crowd.stderr[-3000:]
    assert result["read"] == {"200": 4}, crowd.stderr[-3000:]
    assert (result["available_beds"], result["beds_held"]) == (0, 3)
    assert "database is locked" not in crowd.stderr
