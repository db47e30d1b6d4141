"""Which address a request came from, behind a known number of proxies.

Everything that needs the client's address (the sign-in throttles, django-axes, the
audit trail) reads `REMOTE_ADDR`; this middleware, first in the chain, puts the right
address there. `X-Forwarded-For` is believed only as far as `TRUSTED_PROXY_COUNT`
proxies of our own appended to it: with 1 (one TLS proxy in front), the client is the
last entry, which that proxy wrote; anything a client sent before it is ignored. With
0 the header is ignored altogether. The peer's own address stays in `HARBOR_PEER_ADDR`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def client_address(meta: dict, trusted_proxies: int) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry our nearest trusted proxy saw."""
    remote = meta.get("REMOTE_ADDR")
    if trusted_proxies > 0:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            # Our proxies appended the last `trusted_proxies` entries; the one furthest
            # from us is the client as the outermost proxy saw it. Fewer entries than
            # proxies: take the first, which a proxy of ours still wrote.
            candidate = forwarded[-min(trusted_proxies, len(forwarded))]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        meta["HARBOR_PEER_ADDR"] = meta.get("REMOTE_ADDR", "")
        address = client_address(meta, settings.TRUSTED_PROXY_COUNT)
        meta["REMOTE_ADDR"] = address or ""
        # Nothing downstream may read the raw header as if it were the client.
        meta.pop("HTTP_X_FORWARDED_FOR", None)
        return self.get_response(request)
