"""A dump restored onto a new PostgreSQL server keeps sealing the trail (issue 27: the
sealer ordered by transaction id, the new server's counter started far below the last
sealed entry's, and every new entry stayed unsealed while audit_verify said "intact").

The test makes a real new cluster (initdb, pg_ctl, on a free port in a temporary
directory), restores a pg_dump of the test database into it with ops/restore.sh, and
keeps working there through manage.py, as an operator would.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from audit.models import AuditEntry, AuditSeal
from audit.services import audit_record, audit_seal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def postgres_bin(name: str) -> str:
    """The newest PostgreSQL's binaries (Debian keeps them off the PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        pytest.fail(f"{name} not found under /usr/lib/postgresql/*/bin or on the PATH")
    return on_path


def _version(path: str) -> int:
    part = path.split("/")[4]
    return int(part) if part.isdigit() else 0


def as_cluster_owner(command: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def new_server() -> Iterator[str]:
    """A fresh PostgreSQL cluster on its own port; its URL (database `harbor`, empty)."""
    base = tempfile.mkdtemp(prefix="harbor-restore-")
    data, port = os.path.join(base, "data"), free_port()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    subprocess.run(
        as_cluster_owner(
            [postgres_bin("initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        # -l: the server must not keep this process's pipes open (run() would wait on them).
        as_cluster_owner(
            [postgres_bin("pg_ctl"), "-D", data, "-o", options, "-l", f"{base}/log", "-w", "start"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        subprocess.run(
            [postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
             "harbor"],
            check=True,
        )  # fmt: skip
        yield f"postgres://postgres@127.0.0.1:{port}/harbor"
    finally:
        subprocess.run(
            as_cluster_owner([postgres_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)


def this_database_url() -> str:
    params = connection.get_connection_params()
    user, host = params.get("user") or "postgres", params.get("host") or "127.0.0.1"
    name = settings.DATABASES["default"]["NAME"]
    return f"postgres://{user}@{host}:{params.get('port') or 5432}/{name}"


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "PGCONNECT_TIMEOUT": "10"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def query(url: str, sql: str, *, fetch: bool = True) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall() if fetch else []
    conn.close()
    return rows


def test_it_keeps_sealing_the_trail_after_a_restore_onto_a_new_server(new_server, tmp_path):
    for n in range(5):
        audit_record(actor=None, action="home.availability", object_id=str(n))
    audit_seal()
    assert AuditSeal.objects.count() == 5
    # Written just before the backup and not yet sealed (the beat's minute had not come).
    audit_record(actor=None, action="referral.accept")

    dump = tmp_path / "harbor.dump"
    backup = subprocess.run(
        [str(ROOT / "ops" / "backup.sh"), str(dump)],
        env={**os.environ, "DATABASE_URL": this_database_url(),
             "PATH": f"{os.path.dirname(postgres_bin('pg_dump'))}:{os.environ['PATH']}"},
        capture_output=True, text=True,
    )  # fmt: skip
    assert backup.returncode == 0, backup.stderr
    # The runbook's shape: the app's own role, equipped by the restore.
    query(new_server, "CREATE ROLE harbor_app LOGIN", fetch=False)
    restore = subprocess.run(
        [str(ROOT / "ops" / "restore.sh"), str(dump)],
        env={**os.environ, "DATABASE_URL": new_server, "PYTHON": sys.executable,
             "HARBOR_APP_ROLE": "harbor_app",
             "PATH": f"{os.path.dirname(postgres_bin('pg_restore'))}:{os.environ['PATH']}"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "6 entries, chain intact (0 not yet sealed)." in restore.stdout

    # The scenario of the issue: the new server counts transactions from far below the
    # ids the restored entries carry.
    (restored_max,), = query(new_server, "SELECT max(txid) FROM audit_auditentry")  # fmt: skip
    (server_now,), = query(new_server, "SELECT pg_current_xact_id()::text::bigint")  # fmt: skip
    assert server_now < restored_max

    # Work goes on on the new server, as the app's role, and the beat's sealer seals it.
    as_app = new_server.replace("postgres://postgres@", "postgres://harbor_app@")
    script = (
        "from audit.services import audit_record;"
        "[audit_record(actor=None, action='home.availability') for _ in range(3)];"
        "from audit.tasks import seal_audit_trail; print('sealed', seal_audit_trail())"
    )
    worked = manage(as_app, "shell", "-c", script)
    assert worked.returncode == 0, worked.stderr
    assert "sealed 3" in worked.stdout
    verified = manage(as_app, "audit_verify")
    assert verified.returncode == 0, verified.stderr
    assert "9 entries, chain intact (0 not yet sealed)." in verified.stdout
    assert query(new_server, "SELECT count(*) FROM audit_auditseal") == [(9,)]
    refused = manage(as_app, "shell", "-c", "from django.db import connection; "
                     "connection.cursor().execute('TRUNCATE audit_auditseal')")  # fmt: skip
    assert "permission denied" in refused.stderr
    # The original database is untouched by all this.
    assert AuditEntry.objects.count() == 6
