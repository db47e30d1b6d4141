"""Text messages, through the backend named by `SMS_BACKEND` (as Django's email backends):
`ConsoleBackend` prints them (the default, for a laptop), `HttpBackend` posts them to a
provider's HTTP API, `LocmemBackend` keeps them in `outbox` (tests). A backend raises
SmsError when a message did not go; the caller records that and says so."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The message was not sent (no provider configured, refused, timed out)."""


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class ConsoleBackend:
    """Prints each message to standard output, as the console email backend does."""

    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"--- text message to {to} ---\n{body}\n---\n")
        sys.stdout.flush()


class LocmemBackend:
    """Keeps each message in `LocmemBackend.outbox`, as Django's locmem email backend."""

    outbox: list[dict[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        LocmemBackend.outbox.append({"to": to, "body": body})


class HttpBackend:
    """A provider's HTTP API: POST `{"to", "from", "body"}` as JSON to `SMS_HTTP_URL`
    with `Authorization: Bearer SMS_HTTP_TOKEN`; any 2xx is sent. Waits at most
    `SMS_HTTP_TIMEOUT_SECONDS`: a provider that hangs must not hold a referral."""

    def __init__(self) -> None:
        if not settings.SMS_HTTP_URL:
            raise SmsError("SMS_HTTP_URL is not set.")
        self.url = settings.SMS_HTTP_URL
        self.token = settings.SMS_HTTP_TOKEN
        self.timeout = settings.SMS_HTTP_TIMEOUT_SECONDS

    def send(self, *, to: str, body: str) -> None:
        data = json.dumps({"to": to, "from": settings.SMS_FROM, "body": body}).encode()
        request = urllib.request.Request(self.url, data=data, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"The SMS provider answered {exc.code}.") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            # The class only: the text may carry the provider's URL.
            raise SmsError(f"The SMS provider did not answer ({type(exc).__name__}).") from None
        if not 200 <= status < 300:
            raise SmsError(f"The SMS provider answered {status}.")


def sms_send(*, to: str, body: str) -> None:
    """Send one text message through the configured backend; SmsError if it did not go."""
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(to=to, body=body)
