"""Audit entries for events Django announces by signal: sign-ins (successful or failed)
and sign-outs, web or API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from audit.models import Outcome
from audit.services import audit_record, request_ip


def _channel(request: HttpRequest | None) -> str:
    """`api` for the token sign-in and logout (which send Django's signals too), else `web`."""
    path = getattr(request, "path", "") if request is not None else ""
    return "api" if path.startswith("/api/") else "web"


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


@receiver(user_logged_in, dispatch_uid="audit.logged_in")
def record_logged_in(sender: Any, request=None, user=None, **kwargs) -> None:
    """A password accepted: the web sign-in (before its second step, which the MFA
    pages audit on their own) or a token issued by `POST /api/v1/auth/token/`."""
    if user is None:
        return
    audit_record(
        actor=user,
        action="auth.login",
        obj=user,
        after={"channel": _channel(request)},
        ip=request_ip(request),
    )


@receiver(user_logged_out, dispatch_uid="audit.logged_out")
def record_logged_out(sender: Any, request=None, user=None, **kwargs) -> None:
    """A session ended at `/logout/`, or the token of `POST /api/v1/auth/logout/`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return  # Django's logout() of a session that was never signed in
    audit_record(
        actor=user,
        action="auth.logout",
        obj=user,
        after={"channel": _channel(request)},
        ip=request_ip(request),
    )
