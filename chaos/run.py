"""`make chaos`: the production shape on this machine, its parts failed one at a time
while several clients run the placement workflow, then the invariants checked.

It starts its own PostgreSQL cluster (initdb into a temporary folder, another port) and
its own Redis (another port), migrates and seeds them (chaos/seed.py), then gunicorn,
a Celery worker and beat, supervised as docker-compose.yml would: a process that exits
is started again after two seconds, one whose liveness file is two minutes old is
killed. Clients walk children from recommendation to placement and discharge (every
step queues emails through the outbox), import a directory file and plan batches.

Faults, one after the other: Redis frozen (SIGSTOP) 30 s, Redis killed and restarted,
the worker killed, beat killed, every database connection terminated, the database
stopped and started. Per fault it prints the requests made, their p99 and slowest
latency, the 5xx count (and timeouts), the notifications made meanwhile (jobs: each
queues an email), how many of those were never emailed (lost) or emailed twice, and the
time to recover (the first moment after the fault when nothing waits in the outbox and
a request has succeeded). After a final
drain it checks: no home overbooked and its bed ledger exact, no child placed twice,
every placement audited, `audit_verify` clean, nothing stuck (outbox, imports,
batches), no notification left unemailed (jobs lost) and no email sent twice
(duplicates, by Message-ID). Exit status 0 only if every check holds and, with Redis
frozen, no request waited more than 2 s or answered 5xx.

    python chaos/run.py            # the full run, about six minutes
    python chaos/run.py --short    # CI's (tests/chaos): shorter faults, about three
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
FROZEN_TARGET_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Processes ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    logfile: Path
    supervised: bool = True
    popen: subprocess.Popen | None = None
    held: bool = False  # a fault keeps it down: the supervisor leaves it alone
    restarts: int = 0

    def start(self) -> None:
        out = self.logfile.open("ab")
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        self.signal(signal.SIGTERM)
        if self.popen is not None:
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(timeout=10)


class Supervisor(threading.Thread):
    """docker-compose.yml's `restart: unless-stopped` and liveness healthchecks."""

    def __init__(self, procs: list[Proc], alive_dir: Path) -> None:
        super().__init__(daemon=True)
        self.procs, self.alive_dir, self.stopping = procs, alive_dir, threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            for proc in self.procs:
                if not proc.supervised or proc.held:
                    continue
                alive_file = self.alive_dir / f"harbor-{proc.name}.alive"
                if proc.alive() and alive_file.exists():
                    if time.time() - alive_file.stat().st_mtime > 120:
                        log(f"{proc.name}: liveness file stale, killed (healthcheck)")
                        proc.signal(signal.SIGKILL)
                if not proc.alive():
                    time.sleep(2.0)
                    if not proc.held and not self.stopping.is_set():
                        log(f"{proc.name}: exited, started again (restart policy)")
                        proc.restarts += 1
                        proc.start()


class Postgres:
    def __init__(self, folder: Path) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
        if not bins:
            raise SystemExit("chaos: no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = Path(bins[-1])
        self.data = folder / "pgdata"
        self.port = free_port()
        self.log = folder / "postgres.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as `postgres`
            shutil.chown(folder, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv: str) -> None:
        subprocess.run([*self.as_user, *argv], check=True, cwd="/", stdout=subprocess.DEVNULL)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nfsync = off\n"
                       "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n"
                       f"unix_socket_directories = '{self.data}'\n")  # fmt: skip

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, db: str = "harbor") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


# --- The workflow ------------------------------------------------------------------------


@dataclass
class Request:
    at: float
    seconds: float
    status: int  # 0: no answer within the client's timeout
    step: str


@dataclass
class Stats:
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def between(self, start: float, end: float) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if start <= r.at < end]

    def succeeded_since(self, start: float) -> bool:
        with self.lock:
            return any(r.at >= start and 200 <= r.status < 500 for r in self.requests)


class Client:
    def __init__(self, base: str, stats: Stats, timeout: float = 30.0) -> None:
        self.base, self.stats, self.timeout = base, stats, timeout

    def call(self, method: str, path: str, token: str, body: Any = None, *, step: str,
             content_type: str = "application/json") -> tuple[int, Any]:  # fmt: skip
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Token {token}")
        if data is not None:
            request.add_header("Content-Type", content_type)
        started = time.monotonic()
        status, payload = 0, None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                payload = _json(response.read())
        except urllib.error.HTTPError as error:
            status = error.code
            payload = _json(error.read())
        except (OSError, TimeoutError):
            status = 0
        self.stats.add(Request(started, time.monotonic() - started, status, step))
        return status, payload


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def multipart(
    fields: dict[str, str], file_field: str, name: str, content: bytes
) -> tuple[bytes, str]:
    boundary = "chaosboundary7d1c"
    parts = []
    for key, value in fields.items():
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="{file_field}"; filename="{name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def walk(
    client: Client, world: dict, children: list[int], stop: threading.Event, offset: int
) -> None:
    """One case worker's night, until told to stop: each child recommended to a home (the
    homes shared by every client, so they compete for beds), reviewed, referred,
    accepted, placed and discharged, which frees the bed for the next. A child refused
    at the first step (its home full) waits for another turn."""
    tokens, homes = world["tokens"], world["homes"]
    waiting = deque(children)
    turn = offset
    while waiting and not stop.is_set():
        child = waiting.popleft()
        home = homes[turn % len(homes)]
        turn += 1
        status, rec = client.call("POST", f"/api/v1/survivors/{child}/recommendations/",
                                  tokens["worker"], {"home": home["id"], "rationale": "chaos"},
                                  step="recommend")  # fmt: skip
        if status != 201:
            if status == 409 or status == 0 or status >= 500:
                waiting.append(child)
            continue
        status, _ = client.call("POST", f"/api/v1/recommendations/{rec['id']}/reviews/",
                                tokens["mdt"], {"decision": "approve", "comment": "ok"},
                                step="review")  # fmt: skip
        if status != 201:
            continue
        status, referral = client.call("POST", f"/api/v1/recommendations/{rec['id']}/refer/",
                                       tokens["worker"], {}, step="refer")  # fmt: skip
        if status != 201:
            continue
        status, _ = client.call("POST", f"/api/v1/referrals/{referral['id']}/accept/",
                                home["token"], {}, step="accept")  # fmt: skip
        if status != 200:
            continue
        status, placement = client.call("POST", f"/api/v1/referrals/{referral['id']}/place/",
                                        tokens["worker"], {}, step="place")  # fmt: skip
        if status == 201:
            client.call("POST", f"/api/v1/placements/{placement['id']}/discharge/",
                        tokens["worker"], {"end_reason": "reunified", "comment": "chaos"},
                        step="discharge")  # fmt: skip


def background_jobs(client: Client, world: dict, stop: threading.Event, every: float) -> None:
    """An administrator's directory check and a batch plan, every `every` seconds."""
    children = list(world["batch_children"])
    while not stop.wait(every):
        body, content_type = multipart({"dry_run": "true"}, "file", "chaos.csv",
                                       world["import_csv"].encode())  # fmt: skip
        client.call("POST", "/api/v1/homes/import/", world["tokens"]["admin"], body,
                    step="import", content_type=content_type)  # fmt: skip
        if children:
            client.call("POST", "/api/v1/batches/", world["tokens"]["worker"],
                        {"survivors": [children.pop()], "time_limit_seconds": 5},
                        step="batch")  # fmt: skip


# --- Faults ------------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    seconds: float  # how long the fault lasts
    settle: float  # how long to watch the recovery before the next one


class Harness:
    def __init__(self, short: bool) -> None:
        self.short = short
        self.folder = Path(tempfile.mkdtemp(prefix="harbor-chaos-"))
        os.chmod(self.folder, 0o755)
        self.alive_dir = self.folder / "alive"
        self.alive_dir.mkdir()
        self.pg = Postgres(self.folder)
        self.redis_port = free_port()
        self.web_port = free_port()
        self.stats = Stats()
        self.procs: dict[str, Proc] = {}
        self.supervisor: Supervisor | None = None

    # The environment every Harbor process gets: production settings, our services.
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HARBOR_TEST", "CELERY_"))}
        env.update(
            DEBUG="false",
            SECRET_KEY="chaos-only-secret-key-not-for-production-0123456789abcdef",
            FIELD_ENCRYPTION_KEY="mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0=",
            DATABASE_URL=self.pg.url(),
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            STATIC_MANIFEST="false",
            MFA_REQUIRED="false",
            SIGN_IN_RATE="100000/min",
            HARBOR_ALIVE_DIR=str(self.alive_dir),
            GUNICORN_BIND=f"127.0.0.1:{self.web_port}",
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="4",
            GUNICORN_ACCESSLOG="",
            PYTHONUNBUFFERED="1",
        )
        return env

    def redis(self) -> Proc:
        return Proc("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                              "--dir", str(self.folder), "--appendonly", "yes", "--save", "",
                              "--maxmemory-policy", "noeviction"],
                    self.env(), self.folder / "redis.log", supervised=False)  # fmt: skip

    def up(self, children: int, batch_children: int) -> dict:
        log(f"PostgreSQL on {self.pg.port}, Redis on {self.redis_port}, web on {self.web_port}; "
            f"logs in {self.folder}")  # fmt: skip
        self.pg.init()
        self.pg.start()
        conn = psycopg2.connect(self.pg.url("postgres"))
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE harbor")
        conn.close()
        self.procs["redis"] = self.redis()
        self.procs["redis"].start()
        env = self.env()
        subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        world_file = self.folder / "world.json"
        seed = [PY, "chaos/seed.py", str(world_file), "6", str(children), str(batch_children)]
        subprocess.run(seed, cwd=ROOT, env=env, check=True)
        bin_dir = Path(PY).parent
        self.procs["web"] = Proc("web", [str(bin_dir / "gunicorn"), "config.wsgi:application",
                                         "--config", "gunicorn.conf.py",
                                         f"--control-socket={self.folder}/gunicorn.ctl"], env,
                                 self.folder / "web.log")  # fmt: skip
        self.procs["worker"] = Proc("worker", [str(bin_dir / "celery"), "-A", "config", "worker",
                                               "--loglevel=INFO", "--concurrency=2",
                                               f"--pidfile={self.folder}/worker.pid"], env,
                                    self.folder / "worker.log")  # fmt: skip
        self.procs["beat"] = Proc("beat", [str(bin_dir / "celery"), "-A", "config", "beat",
                                           "--loglevel=INFO", "--scheduler=config.beat:Scheduler",
                                           f"--schedule={self.folder}/beat-schedule",
                                           f"--pidfile={self.folder}/beat.pid"], env,
                                  self.folder / "beat.log")  # fmt: skip
        for name in ("web", "worker", "beat"):
            self.procs[name].start()
        self.supervisor = Supervisor(
            [self.procs[n] for n in ("web", "worker", "beat")], self.alive_dir
        )
        self.supervisor.start()
        self._wait_for_web()
        return json.loads(world_file.read_text())

    def _wait_for_web(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/login/", timeout=2)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("chaos: the web server did not start (see web.log)")

    def down(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stopping.set()
        for proc in self.procs.values():
            proc.held = True
            proc.signal(signal.SIGCONT)
        for name in ("web", "worker", "beat", "redis"):
            if name in self.procs:
                self.procs[name].stop()
        try:
            self.pg.stop("immediate")
        except subprocess.CalledProcessError:
            pass

    # --- Database reads for the checks (never through the app) ---

    def query(self, sql: str, *params: Any) -> list[tuple]:
        for _ in range(30):
            try:
                with psycopg2.connect(self.pg.url(), connect_timeout=3) as conn:
                    cursor = conn.cursor()
                    cursor.execute(sql, params)
                    return cursor.fetchall()
            except psycopg2.OperationalError:
                time.sleep(1)
        raise RuntimeError("the database did not answer for 30 s")

    def unsent(self) -> int:
        return self.query("SELECT count(*) FROM core_outboxmessage WHERE sent_at IS NULL")[0][0]

    # --- The faults ---

    def inject(self, fault: Fault) -> None:
        redis, worker, beat = self.procs["redis"], self.procs["worker"], self.procs["beat"]
        if fault.name == "redis_frozen":
            redis.signal(signal.SIGSTOP)
            time.sleep(fault.seconds)
            redis.signal(signal.SIGCONT)
        elif fault.name == "redis_killed":
            redis.signal(signal.SIGKILL)
            redis.popen.wait()
            time.sleep(fault.seconds)
            redis.start()
        elif fault.name in ("worker_killed", "beat_killed"):
            (worker if fault.name == "worker_killed" else beat).signal(signal.SIGKILL)
            time.sleep(fault.seconds)
        elif fault.name == "db_connections_terminated":
            self.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = 'harbor' AND pid <> pg_backend_pid()")  # fmt: skip
            time.sleep(fault.seconds)
        elif fault.name == "db_stopped":
            self.pg.stop("fast")
            time.sleep(fault.seconds)
            self.pg.start()
        elif fault.name == "baseline":
            time.sleep(fault.seconds)
        else:
            raise ValueError(fault.name)

    def recovered_after(self, end: float, limit: float) -> float | None:
        """Seconds from the fault's end until nothing waits in the outbox and a request
        made after it has succeeded; None if not within `limit`."""
        while time.monotonic() - end < limit:
            if self.stats.succeeded_since(end) and self.unsent() == 0:
                return time.monotonic() - end
            time.sleep(0.5)
        return None


def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def summarise(harness: Harness, fault: Fault, start: float, end: float, recover: float | None,
              wall: tuple[float, float]) -> dict:  # fmt: skip
    requests = harness.stats.between(start, end)
    seconds = [r.seconds for r in requests]
    return {
        "fault": fault.name,
        "from": wall[0],  # wall-clock bounds of the fault and its watched recovery
        "to": wall[1],
        "seconds": round(fault.seconds, 1),
        "requests": len(requests),
        "p99_s": round(p99(seconds), 3),
        "max_s": round(max(seconds, default=0.0), 3),
        "5xx": sum(1 for r in requests if r.status >= 500),
        "timeouts": sum(1 for r in requests if r.status == 0),
        "recover_s": None if recover is None else round(recover, 1),
        "slowest": [
            f"{r.step} {r.seconds:.2f}s {r.status}"
            for r in sorted(requests, key=lambda r: -r.seconds)[:3]
        ],  # fmt: skip
    }


def emails(harness: Harness) -> Counter:
    """Message-IDs of every email the worker printed (the console backend)."""
    text = (harness.folder / "worker.log").read_text(errors="replace")
    return Counter(re.findall(r"^Message-ID: (<harbor\.notification\.[^>]+>)", text, re.M))


def per_fault_jobs(harness: Harness, rows: list[dict], ids: Counter) -> None:
    """Each fault's jobs lost and duplicates: of the notifications made while it lasted
    (or its recovery was watched), those never emailed, and the extra copies of those
    emailed more than once (by Message-ID, which names the notification)."""
    made = harness.query(
        "SELECT n.id, extract(epoch FROM n.created_at), n.emailed_at IS NULL AND u.email <> '' "
        "FROM notifications_notification n JOIN accounts_user u ON u.id = n.recipient_id"
    )
    extra = {}
    for message_id, sent in ids.items():
        match = re.match(r"<harbor\.notification\.(\d+)\.", message_id)
        if match and sent > 1:
            extra[int(match.group(1))] = sent - 1
    for row in rows:
        row["jobs"], row["jobs_lost"], row["duplicates"] = 0, 0, 0
    for pk, at, lost in made:
        row = next((r for r in rows if r["from"] <= float(at) < r["to"]), None)
        if row is not None:
            row["jobs"] += 1
            row["jobs_lost"] += int(lost)
            row["duplicates"] += extra.get(pk, 0)


def checks(harness: Harness, world: dict) -> dict[str, Any]:
    q = harness.query
    homes = {h["id"]: h["beds"] for h in world["homes"]}
    ledger_bad, overbooked = [], []
    for home_id, seeded in homes.items():
        ((available, held),) = q(
            "SELECT available_beds, beds_held FROM homes_home WHERE id = %s", home_id
        )
        (placed,), = q("SELECT coalesce(sum(beds), 0) FROM matching_placement "
                       "WHERE home_id = %s AND ended_at IS NULL", home_id)  # fmt: skip
        if placed + held > seeded or available < 0:
            overbooked.append(home_id)
        if available != seeded - placed - held:
            ledger_bad.append(home_id)
    twice = q("SELECT survivor_id FROM matching_placement WHERE ended_at IS NULL "
              "GROUP BY survivor_id HAVING count(*) > 1")  # fmt: skip
    unaudited = q("SELECT p.id FROM matching_placement p WHERE NOT EXISTS (SELECT 1 FROM "
                  "audit_auditentry a WHERE a.action = 'placement.create' "
                  "AND a.object_id = p.id::text)")  # fmt: skip
    verify = subprocess.run([PY, "manage.py", "audit_verify"], cwd=ROOT, env=harness.env(),
                            capture_output=True, text=True)  # fmt: skip
    stuck_imports = q(
        "SELECT count(*) FROM homes_homeimport WHERE status IN ('queued', 'running')"
    )[0][0]
    stuck_batches = q("SELECT count(*) FROM placement_batch WHERE status = 'running'")[0][0]
    unemailed = q(
        "SELECT count(*) FROM notifications_notification n JOIN accounts_user u "
        "ON u.id = n.recipient_id WHERE n.emailed_at IS NULL AND u.email <> ''"
    )[0][0]
    ids = emails(harness)
    return {
        "placements": q("SELECT count(*) FROM matching_placement")[0][0],
        "overbooked_homes": overbooked,
        "bed_ledger_wrong": ledger_bad,
        "placed_twice": [row[0] for row in twice],
        "placements_unaudited": [row[0] for row in unaudited],
        "audit_verify": (verify.stdout + verify.stderr).strip().splitlines()[-1:],
        "audit_verify_ok": verify.returncode == 0,
        "outbox_unsent": harness.unsent(),
        "imports_stuck": stuck_imports,
        "batches_stuck": stuck_batches,
        "imports_done": q(
            "SELECT count(*) FROM homes_homeimport WHERE status NOT IN ('queued', 'running')"
        )[0][0],  # fmt: skip
        "batches_done": q("SELECT count(*) FROM placement_batch WHERE status <> 'running'")[0][0],
        "emails": sum(ids.values()),
        "jobs_lost": unemailed,
        "duplicates": sum(n - 1 for n in ids.values() if n > 1),
        "restarts": {name: p.restarts for name, p in harness.procs.items()},
    }


def drain(harness: Harness, limit: float) -> None:
    """Let the queues empty: the outbox sent, imports and batches finished; then the
    safety net beat runs every five minutes (`email-unsent-notifications`), once."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = harness.query(
            "SELECT (SELECT count(*) FROM core_outboxmessage WHERE sent_at IS NULL) + "
            "(SELECT count(*) FROM homes_homeimport WHERE status IN ('queued', 'running')) + "
            "(SELECT count(*) FROM placement_batch WHERE status = 'running')"
        )[0][0]
        if not busy:
            break
        time.sleep(1)
    subprocess.run(
        [PY, "manage.py", "shell", "-c",
         "from notifications.services import notifications_email_unsent as n; "
         "from django.utils import timezone; import datetime; "
         "n(now=timezone.now() + datetime.timedelta(minutes=2))"],
        cwd=ROOT, env=harness.env(), check=False, capture_output=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="CI's version: shorter faults")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--json", help="write the summary here as JSON too")
    args = parser.parse_args()
    frozen = 12.0 if args.short else 30.0
    settle = 15.0 if args.short else 45.0
    faults = [
        Fault("baseline", 10.0 if args.short else 20.0, 0.0),
        Fault("redis_frozen", frozen, settle),
        Fault("redis_killed", 8.0 if args.short else 15.0, settle),
        Fault("worker_killed", 3.0, settle),
        Fault("beat_killed", 3.0, settle),
        Fault("db_connections_terminated", 1.0, settle),
        Fault("db_stopped", 5.0 if args.short else 10.0, settle),
    ]
    harness = Harness(args.short)
    per_client = 150 if args.short else 400
    try:
        world = harness.up(children=per_client * args.clients, batch_children=40)
        base = f"http://127.0.0.1:{harness.web_port}"
        stop = threading.Event()
        threads = [
            threading.Thread(target=walk, daemon=True, args=(
                Client(base, harness.stats), world,
                world["children"][i * per_client:(i + 1) * per_client], stop, i))
            for i in range(args.clients)
        ]  # fmt: skip
        jobs = (Client(base, harness.stats), world, stop, 5.0)
        threads.append(threading.Thread(target=background_jobs, daemon=True, args=jobs))
        for thread in threads:
            thread.start()
        rows = []
        for fault in faults:
            log(f"fault: {fault.name} ({fault.seconds:.0f} s)")
            start, wall_start = time.monotonic(), time.time()
            harness.inject(fault)
            end = time.monotonic()
            recover = harness.recovered_after(end, fault.settle) if fault.settle else 0.0
            window_end = max(time.monotonic(), end + fault.settle)
            while time.monotonic() < window_end:
                time.sleep(0.5)
            wall = (wall_start, wall_start + (time.monotonic() - start))
            rows.append(summarise(harness, fault, start, window_end, recover, wall))
            log(json.dumps(rows[-1]))
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        log("draining")
        drain(harness, 120.0)
        result = checks(harness, world)
        per_fault_jobs(harness, rows, emails(harness))
    finally:
        harness.down()
    frozen_row = next(r for r in rows if r["fault"] == "redis_frozen")
    failures = []
    if result["overbooked_homes"] or result["bed_ledger_wrong"]:
        failures.append("beds")
    if result["placed_twice"]:
        failures.append("double placement")
    if result["placements_unaudited"]:
        failures.append("unaudited placement")
    if not result["audit_verify_ok"]:
        failures.append("audit_verify")
    if result["outbox_unsent"] or result["imports_stuck"] or result["batches_stuck"]:
        failures.append("stuck jobs")
    if result["jobs_lost"]:
        failures.append("jobs lost")
    if frozen_row["max_s"] > FROZEN_TARGET_SECONDS or frozen_row["5xx"] or frozen_row["timeouts"]:
        failures.append("redis frozen: a request waited more than 2 s or failed")
    if result["placements"] == 0:
        failures.append("no placement made: the workflow did not run")
    summary = {"faults": rows, "checks": result, "failures": failures, "logs": str(harness.folder)}
    print_table(rows, result, failures)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if not failures:
        shutil.rmtree(harness.folder, ignore_errors=True)
    return 1 if failures else 0


def print_table(rows: list[dict], result: dict, failures: list[str]) -> None:
    print()
    print(f"{'fault':28} {'secs':>5} {'reqs':>6} {'p99 s':>7} {'max s':>7} {'5xx':>5} "
          f"{'t/o':>4} {'jobs':>5} {'lost':>5} {'dup':>4} {'recover s':>9}")  # fmt: skip
    for r in rows:
        recover = "-" if r["recover_s"] is None else f"{r['recover_s']:.1f}"
        print(f"{r['fault']:28} {r['seconds']:>5.0f} {r['requests']:>6} {r['p99_s']:>7.3f} "
              f"{r['max_s']:>7.3f} {r['5xx']:>5} {r['timeouts']:>4} {r.get('jobs', 0):>5} "
              f"{r.get('jobs_lost', 0):>5} {r.get('duplicates', 0):>4} {recover:>9}")  # fmt: skip
    print()
    for key, value in result.items():
        print(f"  {key}: {value}")
    print("\nchaos:", "PASS" if not failures else "FAIL: " + "; ".join(failures), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
