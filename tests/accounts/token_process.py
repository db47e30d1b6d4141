"""A separate process answering API requests with a token, as a gunicorn worker does.

Line by line on stdin: `get KEY` -> the status of `GET /api/v1/homes/` with that token;
`logout KEY` -> the status of `POST /api/v1/auth/logout/` with it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    import django

    django.setup()
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    setup_test_environment()  # the test client's host name
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, key = line.strip().partition(" ")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        if command == "get":
            response = client.get("/api/v1/homes/")
        elif command == "logout":
            response = client.post("/api/v1/auth/logout/")
        else:
            print(f"unknown command {command!r}", flush=True)
            continue
        print(response.status_code, flush=True)


if __name__ == "__main__":
    main()
