"""No names in the access log (issue 29 finding 7): "Find a case" is a GET, so
`GET /?search=<name>` reached gunicorn's access log word for word, and the next page's
Referer carried it again."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parents[2]
NAME = "Mariana Quintero"


def access_line(path: str, query: str, referer: str) -> str:
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("access_log_format", settings["access_log_format"])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "Mozilla/5.0")])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[], response_length=512)
    atoms = Logger(config).atoms(response, request, environ, _Elapsed())
    return config.access_log_format % atoms


class _Elapsed:
    seconds = 0
    microseconds = 42_000


def test_it_logs_the_path_but_not_the_query_or_the_page_before():
    query = "search=" + NAME.replace(" ", "+")
    line = access_line("/", query, f"https://harbor.example.org/?{query}")

    assert '"GET / HTTP/1.1" 200' in line
    assert "Mariana" not in line and "Quintero" not in line
    assert "search=" not in line
    assert "42ms" in line
