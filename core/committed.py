"""Whether a request has committed a change: set after the commit of every audited change
(audit.services), read by the API's exception handler (core.exceptions), so a change
that committed is answered as saved even if reading it back then fails."""

from __future__ import annotations

from typing import Any

_FLAG = "harbor_committed"


def mark_committed(request: Any) -> None:
    setattr(request, _FLAG, True)


def committed(request: Any) -> bool:
    return bool(getattr(request, _FLAG, False))
