"""`make chaos`, short: the production shape (gunicorn, worker, beat, its own PostgreSQL and
Redis) with its parts failed one at a time under the workflow, and the invariants after.
About five minutes; `make chaos` is the full run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.chaos]


def test_it_keeps_every_invariant_and_answers_through_every_fault(tmp_path):
    summary_file = tmp_path / "chaos.json"
    run = subprocess.run(
        [sys.executable, "chaos/run.py", "--short", "--clients", "3", "--json", str(summary_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert summary_file.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads(summary_file.read_text())
    checks = summary["checks"]

    assert checks["placements"] > 0  # the workflow ran
    assert checks["overbooked_homes"] == [] and checks["bed_ledger_wrong"] == []
    assert checks["placed_twice"] == []
    assert checks["placements_unaudited"] == []
    assert checks["audit_verify_ok"], checks["audit_verify"]
    assert (checks["outbox_unsent"], checks["imports_stuck"], checks["batches_stuck"]) == (0, 0, 0)
    assert checks["jobs_lost"] == 0
    assert all(row["jobs_lost"] == 0 for row in summary["faults"])
    # The worker was started again once, after its own kill: it lived through Redis
    # frozen and Redis killed (it used to die there: config.celery.BrokerTransport).
    assert checks["restarts"]["worker"] == 1
    frozen = next(row for row in summary["faults"] if row["fault"] == "redis_frozen")
    assert frozen["requests"] > 0
    assert frozen["5xx"] == 0 and frozen["timeouts"] == 0
    assert frozen["max_s"] <= 2.0, frozen["slowest"]
    assert summary["failures"] == [], run.stdout[-3000:]
