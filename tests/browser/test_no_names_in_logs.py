"""Issue 29, finding 7: no child's name in any log.

A case worker's whole run in a real browser against Harbor as production runs it (gunicorn
with gunicorn.conf.py: its access log and error log; the app's JSON log lines; a Celery
worker): she records an intake with the child's names, finds the case by name ("Find a
case"), opens it, and asks the API for it by name (`GET /api/v1/survivors/?search=`), and
the same searches go wrong on purpose (signed out, a bad filter, an unknown id, a name in
the URL of the home page), so every kind of line the logs write for a request is written.
Then every log of the run is read, and none may hold the names, in any case or encoding.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.browser.conftest import DESKTOP, PASSWORD
from tests.factories import TeamFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
FIRST, LAST = "Zephyrine", "Quillfeather"  # in no word list, no code, no log format
ALIAS = "Wrenna Blue"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The test database, committed rows and all, for the server's own connections."""
    conf = connection.settings_dict
    user = urllib.parse.quote(conf["USER"] or "")
    password = f":{urllib.parse.quote(conf['PASSWORD'])}" if conf["PASSWORD"] else ""
    return f"postgres://{user}{password}@{conf['HOST']}:{conf['PORT']}/{conf['NAME']}"


class Production:
    """gunicorn (config.wsgi, gunicorn.conf.py) and a Celery worker, each in its own process
    group, with production's log settings; every line they write goes to a file in `logs`."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.port = _free_port()
        self.url = f"http://localhost:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DEBUG": "false",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "4",
            "GUNICORN_ACCESSLOG": str(logs / "access.log"),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "MFA_REQUIRED": "false",
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: list[subprocess.Popen] = []

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        )

    def __enter__(self) -> Production:
        venv = ROOT / ".venv/bin"
        self._start("gunicorn", [str(venv / "gunicorn"), "config.wsgi:application",
                                 "--config", "gunicorn.conf.py"])  # fmt: skip
        self._start("worker", [str(venv / "celery"), "-A", "config", "worker", "--pool",
                               "solo", "--loglevel", "INFO", "--without-gossip"])  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                self.stop()
                raise RuntimeError("gunicorn did not start:\n" + self.text()[-3000:])
            time.sleep(0.5)

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Both stopped as in production (TERM, then KILL): their logs flushed and closed."""
        for process in self.processes:
            for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
                try:
                    os.killpg(process.pid, sig)
                    process.wait(wait)
                    break
                except ProcessLookupError:
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.processes = []

    def files(self) -> dict[str, str]:
        return {
            path.name: path.read_bytes().decode(errors="replace")
            for path in sorted(self.logs.iterdir())
        }

    def text(self) -> str:
        return "\n".join(self.files().values())


def _forms_of(name: str) -> list[str]:
    """The name as a log could hold it: as typed, upper or lower case, URL-encoded."""
    forms = {name, name.lower(), name.upper()}
    forms |= {urllib.parse.quote(f) for f in list(forms)}
    forms |= {urllib.parse.quote_plus(f) for f in list(forms)}
    return sorted(forms)


def names_in(text: str, names: list[str]) -> list[str]:
    return [form for name in names for form in _forms_of(name) if form in text]


@pytest.fixture
def production(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    with Production(logs) as running:
        yield running


@pytest.fixture
def worker_account():
    team = TeamFactory()
    return UserFactory(username="rosa", role="case_worker", agency=team.agency, team=team)


def test_a_whole_run_writes_no_childs_name_in_any_log(chromium, production, worker_account):
    names = [FIRST, LAST, *ALIAS.split()]
    context = chromium.new_context(viewport=DESKTOP, base_url=production.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        # --- She signs in and records the intake with the child's names.
        page.goto("/login/")
        page.fill("#id_username", "rosa")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.click("nav >> text=New intake")
        page.wait_for_selector("h1:has-text('New intake')")
        page.fill("#id_first_name", FIRST)
        page.fill("#id_last_name", LAST)
        page.fill("#id_alias", ALIAS)
        page.fill("#id_date_of_birth", "2011-03-14")
        page.select_option("#id_gender", "female")
        page.select_option("#id_guardianship", "state")
        page.select_option("#id_custody_state", "KS")
        page.fill("#id_residence_zip", "66102")
        page.select_option("#id_urgency", "crisis")
        page.fill("#id_primary_language", "es")
        page.click("text=Save intake")
        page.wait_for_selector(f"h1:has-text('{FIRST} {LAST}')")
        case_url = page.url

        # --- She finds the case by name on the home page ("Find a case") and opens it.
        for typed in (FIRST, f"{FIRST} {LAST}", ALIAS, LAST.lower()):
            page.goto("/")
            page.fill("#id_search", typed)
            page.click("form[role=search] button[type=submit]")
            page.wait_for_load_state()
            assert f"{FIRST} {LAST}" in page.content(), typed
        case_path = urllib.parse.urlsplit(case_url).path
        page.locator(f"main a[href='{case_path}']").first.click()
        page.wait_for_url(case_url)
        assert page.url == case_url
        assert f"{FIRST} {LAST}" in page.inner_text("h1")

        # --- And through the API, by name, signed in (the session) ...
        found = page.request.get(f"/api/v1/survivors/?search={urllib.parse.quote(FIRST)}")
        assert found.status == 200
        assert [s["last_name"] for s in found.json()["results"]] == [LAST]
        for query in (f"search={LAST}", f"search={FIRST}+{LAST}", f"search={FIRST}&status=x"):
            page.request.get(f"/api/v1/survivors/?{query}")  # 200 or a 400 naming `status`
        page.request.get(f"/api/v1/survivors/99999999/?search={FIRST}")  # 404
        page.request.get(f"/?search={FIRST}")  # a name in the home page's URL: ignored
        page.request.get(f"/survivors/?search={LAST}")
        # ... and signed out: refusals are logged too.
        stranger = chromium.new_context(base_url=production.url)
        for path in (f"/api/v1/survivors/?search={FIRST}", f"/?search={LAST}"):
            stranger.request.get(path)
        stranger.close()
    finally:
        context.close()
    time.sleep(2)  # the worker's jobs for the intake (duties, notices) run
    production.stop()

    files = production.files()
    # The logs are there and hold this run's requests: a test of empty files proves nothing.
    access, app = files["access.log"], files["gunicorn.log"]
    assert re.search(r'"POST /survivors/new/ HTTP/1\.1" 302', access), access[-2000:]
    assert '"GET /api/v1/survivors/ HTTP/1.1" 200' in access
    assert '"GET /api/v1/survivors/ HTTP/1.1" 403' in access or " 401 " in access
    assert '"route": "/api/v1/survivors/"' in app and '"logger": "django.request"' in app
    assert "celery@" in files["worker.log"]
    assert names_in("\n".join(files.values()), names) == [], {
        name: [line for line in text.splitlines() if names_in(line, names)][:5]
        for name, text in files.items()
        if names_in(text, names)
    }
