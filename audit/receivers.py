"""Audit entries for events Django announces by signal: failed sign-ins, web or API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from audit.models import Outcome
from audit.services import audit_record, request_ip


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def record_login_failed(sender: Any, credentials: dict[str, Any], request=None, **kwargs) -> None:
    """A wrong password, an unknown user, or an attempt on an account axes has locked.

    Only the attempted username is kept; `credentials` also carries the password
    (masked by Django), which never reaches the trail.
    """
    username = credentials.get("username")
    audit_record(
        actor=None,
        action="auth.login_failed",
        outcome=Outcome.FAILED,
        object_type="accounts.user",
        after={
            "username": str(username)[:150] if username is not None else None,
            # axes flags the request once the account is locked (by this attempt or before).
            "locked": bool(getattr(request, "axes_locked_out", False)),
        },
        ip=request_ip(request),
    )
