"""The real app under gunicorn: cold start, throughput at concurrency 1/4/16 for a
search and for a trivial authenticated endpoint, and each worker's private memory.

The two endpoints take turns at each concurrency, and at 16 clients each runs
C16_TURNS times (the median run is reported, `*_rps_c16_runs` lists them all): on a
shared machine whose speed drifts by a tenth from one run to the next, measuring one
endpoint's runs long after the other's would put that drift into their ratio.

The client runs on the same 2 cores as gunicorn and PostgreSQL, so it is kept
lean: JSON bodies are encoded up front, one `http.client` connection per client
thread (gunicorn's sync workers answer `Connection: close`, so every request
reconnects, as a client without a keep-alive proxy in front would), no parsing of
the answers beyond the status. Its CPU share is reported (`client_cpu_pct_*`): a
client taking a large share of 2 cores is part of what the numbers measure.

Memory is read from /proc/<worker>/smaps_rollup: USS = Private_Clean +
Private_Dirty (what killing the worker would free), PSS = Pss; and the peak RSS
(VmHWM) after the excluded-list pages, since USS only shows what is held now.

The parent (gunicorn's master) loads the directory and then forks the workers, which
share its pages: its USS read afterwards leaves out every page a worker still shares
and so flatters it. `parent_private_mb` is instead the master's resident memory (Rss:
every page it holds, shared with a worker or not) read as the first search answers,
which is what it held when it forked (the master makes nothing after), libraries
included; `parent_bytes_per_home` the same per home, and `parent_peak_rss_mb` its peak
(VmHWM), the load's transient high-water mark.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

MATCH = "/api/v1/match/"
EXCLUDED_PAGE = "/api/v1/match/?include_excluded=1&excluded_limit=200"
# The cheapest authenticated GET: one COUNT over the bench user's (empty) inbox.
TRIVIAL = "/api/v1/notifications/unread-count/"
TOKEN = "/api/v1/auth/token/"
HOST = "127.0.0.1"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Gunicorn:
    """`gunicorn config.wsgi:application --config gunicorn.conf.py` in its own process
    group; `stop()` (also on exit from `with`) kills the whole group."""

    def __init__(self, root: Path, database_url: str, workers: int) -> None:
        self.root = root
        self.workers = workers
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "GUNICORN_BIND": f"{HOST}:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            # Production settings otherwise: HTTPS redirect off (plain HTTP on loopback),
            # a host name to accept, static files unused by the API.
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "SECURE_SSL_REDIRECT": "false",
        }
        self.log = tempfile.NamedTemporaryFile(
            mode="w+b", prefix="harbor-bench-gunicorn-", suffix=".log", delete=False
        )
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def __enter__(self) -> Gunicorn:
        self.started = time.perf_counter()
        command = [self.root / ".venv/bin/gunicorn", "config.wsgi:application"]
        self.process = subprocess.Popen(
            [*map(str, command), "--config", "gunicorn.conf.py"],
            cwd=self.root,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(process.pid, sig)  # the group: master and workers
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
                # Workers may outlive a dead master for a moment: sweep the group.
                if sig == signal.SIGTERM and not _group_alive(process.pid):
                    break
            except subprocess.TimeoutExpired:
                continue
        self.process = None
        self.log.close()
        os.unlink(self.log.name)

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        text = Path(self.log.name).read_bytes().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """Children of the master (this kernel has no /proc/<pid>/task/*/children)."""
        master = self.process.pid
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # Fields after the parenthesised command: state, ppid, ...
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry))
        return sorted(pids)

    def connection(self, timeout: float = 900) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def fetch_token(
    server: Gunicorn, username: str, password: str, *, otp: str, deadline_s: float = 120
) -> str:
    """`POST /api/v1/auth/token/` {username, password, otp} → {"token"}, over HTTP."""
    body = json.dumps({"username": username, "password": password, "otp": otp}).encode()
    status, data = _first_answer(server, "POST", TOKEN, body, {}, deadline_s)
    if status != 200:
        raise RuntimeError(f"token endpoint answered {status}: {data[:500]!r}")
    return json.loads(data)["token"]


def _first_answer(
    server: Gunicorn, method: str, path: str, body: bytes | None, headers: dict, deadline_s: float
) -> tuple[int, bytes]:
    """Retry until the master listens; the request then waits for a ready worker."""
    headers = {"Content-Type": "application/json", **headers}
    deadline = time.perf_counter() + deadline_s
    while True:
        server.check_alive()
        conn = server.connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"gunicorn not answering:\n{server.log_tail()}") from None
            time.sleep(0.005)
        finally:
            conn.close()


def _wait_workers_idle(server: Gunicorn, deadline_s: float = 900) -> float:
    """Wait until every worker has finished booting (preloading the directory burns
    CPU; a ready worker with nothing to do burns none); perf_counter of readiness."""
    deadline = time.perf_counter() + deadline_s
    last_busy = time.perf_counter()
    previous: dict[int, int] = {}
    quiet = 0
    while quiet < 3:
        server.check_alive()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"workers never went idle:\n{server.log_tail()}")
        time.sleep(0.15)
        pids = server.worker_pids()
        ticks = {pid: _cpu_ticks(pid) for pid in pids}
        moving = len(pids) != server.workers or any(
            ticks[pid] - previous.get(pid, -10) > 1 for pid in pids
        )
        previous = ticks
        if moving:
            quiet, last_busy = 0, time.perf_counter()
        else:
            quiet += 1
    return last_busy


def worker_memory(server: Gunicorn, pids: list[int] | None = None) -> list[dict]:
    """USS, PSS and peak RSS (VmHWM: shared pages included) of every worker (or of
    `pids`), in MB."""
    found = []
    for pid in server.worker_pids() if pids is None else pids:
        fields = {}
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines()[1:]:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[-1] == "kB":
                fields[name] = int(parts[0])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peak = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        found.append(
            {
                "pid": pid,
                "uss_mb": uss / 1024,
                "pss_mb": fields.get("Pss", 0) / 1024,
                "peak_rss_mb": int(peak.split()[1]) / 1024,
            }
        )
    return found


def load(
    server: Gunicorn,
    method: str,
    path: str,
    bodies: list[bytes] | None,
    headers: dict,
    concurrency: int,
    duration: float,
) -> dict:
    """`concurrency` client threads, each one request at a time, for `duration` s.
    rps counts the requests answered within the window; latencies are all of them."""
    headers = {"Content-Type": "application/json", **headers}
    barrier = threading.Barrier(concurrency + 1)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    finished: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[str] = []
    window: list[float] = []

    def client(number: int) -> None:
        rng = random.Random(number)
        conn = server.connection()
        own_latencies, own_finished = latencies[number], finished[number]
        barrier.wait()
        end = window[1]
        try:
            while True:
                started = time.perf_counter()
                if started >= end:
                    break
                body = bodies[rng.randrange(len(bodies))] if bodies else None
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (ConnectionError, http.client.HTTPException) as exc:
                    conn.close()
                    errors.append(repr(exc))
                    continue
                done = time.perf_counter()
                if response.status != 200:
                    errors.append(f"{response.status}: {data[:200]!r}")
                    continue
                own_latencies.append((done - started) * 1000)
                own_finished.append(done)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    window[:] = [start, start + duration]
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    client_cpu = _cpu_seconds() - cpu_before
    if errors:
        raise RuntimeError(
            f"{len(errors)} failed requests to {path} at c={concurrency}, e.g. {errors[:3]}\n"
            f"{server.log_tail()}"
        )
    all_latencies = [value for own in latencies for value in own]
    in_window = sum(done <= window[1] for own in finished for done in own)
    return {
        "rps": in_window / duration,
        "p50": statistics.median(all_latencies),
        "p95": _percentile(all_latencies, 0.95),
        "client_cpu_pct": 100 * client_cpu / wall,
    }


def burst(
    server: Gunicorn, method: str, path: str, bodies: list[bytes], headers: dict, concurrency: int
) -> None:
    """Send every body once, `concurrency` at a time; fail unless all answer 200."""
    headers = {"Content-Type": "application/json", **headers}
    queue = list(bodies)
    lock = threading.Lock()
    errors: list[str] = []

    def client() -> None:
        conn = server.connection()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    errors.append(f"{response.status}: {data[:200]!r}")
        except (ConnectionError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{path}: {errors[:3]}\n{server.log_tail()}")


# Runs of each endpoint at 16 clients, taking turns (see run()).
C16_TURNS = 5


def _record(line: dict, prefix: str, concurrency: int, result: dict) -> None:
    line[f"{prefix}rps_c{concurrency}"] = round(result["rps"], 1)
    line[f"{prefix}p50_ms_c{concurrency}"] = round(result["p50"], 1)
    line[f"{prefix}p95_ms_c{concurrency}"] = round(result["p95"], 1)


def parent_memory(server: Gunicorn) -> dict:
    """The master's resident memory (Rss, shared pages included) and peak (VmHWM), MB."""
    pid = server.process.pid
    rss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name == "Rss":
            rss = int(rest.split()[0])
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return {"rss_mb": rss / 1024, "peak_rss_mb": int(peak.split()[1]) / 1024}


def run(
    root: Path,
    database_url: str,
    *,
    homes: int,
    token: str,
    bodies: list[dict],
    survivor_ids: list[int],
    workers: int,
    duration: float,
) -> dict:
    """Start gunicorn, measure, always stop it. Returns the JSON line's server fields."""
    encoded = [json.dumps(body).encode() for body in bodies]
    auth = {"Authorization": f"Token {token}"}
    line: dict = {"workers": workers}
    with Gunicorn(root, database_url, workers) as server:
        status, data = _first_answer(server, "POST", MATCH, encoded[0], auth, 900)
        if status != 200:
            raise RuntimeError(f"first search answered {status}: {data[:500]!r}")
        line["cold_start_ms"] = round((time.perf_counter() - server.started) * 1000)
        # The parent as it forked (see the module's docstring).
        parent = parent_memory(server)
        line["parent_private_mb"] = round(parent["rss_mb"], 1)
        line["parent_bytes_per_home"] = round(parent["rss_mb"] * 2**20 / max(homes, 1))
        line["parent_peak_rss_mb"] = round(parent["peak_rss_mb"], 1)
        ready = _wait_workers_idle(server)
        line["workers_ready_ms"] = round((ready - server.started) * 1000)

        # Every worker serves a few searches before the memory is read.
        load(server, "POST", MATCH, encoded, auth, workers, min(duration, 1.0))
        memory = worker_memory(server)
        line["worker_private_mb"] = round(max(m["uss_mb"] for m in memory), 1)
        line["worker_pss_mb"] = round(max(m["pss_mb"] for m in memory), 1)

        # Excluded-list pages, `workers` at a time (a sync worker takes one at a time, so
        # each worker very likely serves some); the max over workers is reported.
        burst(server, "POST", EXCLUDED_PAGE, encoded[: workers * 3], auth, workers)
        memory = worker_memory(server)
        line["worker_private_after_excluded_mb"] = round(max(m["uss_mb"] for m in memory), 1)
        line["worker_pss_after_excluded_mb"] = round(max(m["pss_mb"] for m in memory), 1)
        # USS is what a worker holds now; the excluded list's transient peak shows here.
        line["worker_peak_rss_mb"] = round(max(m["peak_rss_mb"] for m in memory), 1)

        # The child's own search: GET with no body, one stored child per client thread.
        survivor_api = f"/api/v1/survivors/{survivor_ids[0]}/matches/"
        endpoints = (
            ("search", "POST", MATCH, encoded),
            ("survivor_api", "GET", survivor_api, None),
            ("trivial", "GET", TRIVIAL, None),
        )
        # The search and the trivial endpoint take turns, so that a change in the
        # machine's speed while the bench runs (two shared cores) falls on both alike.
        # At 16 clients, the comparison the throughput target reads, each gets
        # C16_TURNS runs and the median run is reported (all of them listed).
        for concurrency in (1, 4):
            for name, method, path, payload in endpoints:
                result = load(server, method, path, payload, auth, concurrency, duration)
                _record(line, f"{name}_", concurrency, result)
        turns: dict[str, list[dict]] = {name: [] for name, *_ in endpoints}
        for _ in range(C16_TURNS):
            for name, method, path, payload in endpoints:
                turns[name].append(load(server, method, path, payload, auth, 16, duration))
        for name, runs in turns.items():
            median = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
            _record(line, f"{name}_", 16, median)
            line[f"{name}_client_cpu_pct_c16"] = round(median["client_cpu_pct"])
            line[f"{name}_rps_c16_runs"] = [round(run["rps"], 1) for run in runs]
        memory = worker_memory(server)
        line["worker_private_after_load_mb"] = round(max(m["uss_mb"] for m in memory), 1)
        trivial = line["trivial_rps_c16"]
        line["survivor_api_rps_c16_share_of_trivial"] = round(
            line["survivor_api_rps_c16"] / trivial, 3
        )
        line["search_rps_c16_share_of_trivial"] = round(line["search_rps_c16"] / trivial, 3)
    return line
