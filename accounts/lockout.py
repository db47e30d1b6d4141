"""The 5-failure account lockout, exact under concurrency.

django-axes reads an account's failures before the password is checked and adds one
after, so thirty wrong passwords sent at once all read "fewer than 5" and all had
their password checked (11 to 15 were checked before the lock held). Every step that
checks a secret of an account (the web and API sign-in, the admin's, the current
password of a password change) runs inside `account_guard(username)`: a transaction
holding a database lock on that username, so the next attempt on the same account
reads the failures the previous one recorded. Attempts on different accounts do not
wait for each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.signals import user_login_failed
from django.db import connection, transaction
from django.http import HttpRequest

# A username longer than this is refused by the forms before it gets here; the lock
# key is a hash of the lower-cased name, so names that differ only in case share one.
_LOCK_NAMESPACE = 0x4841  # "HA": keeps these keys apart from other advisory locks


@contextmanager
def account_guard(username: str | None) -> Iterator[None]:
    """A transaction in which no other attempt on `username` checks a secret.

    PostgreSQL: a transaction-level advisory lock on the name's hash (an unknown name
    included: axes counts those too). SQLite (`make demo`) has one writer at a time
    anyway."""
    with transaction.atomic():
        if username and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(lower(%s)))",
                    [_LOCK_NAMESPACE, username],
                )
        yield


def account_locked(request: HttpRequest, *, username: str) -> bool:
    """Whether axes holds `username` locked (5 failures within the cool-off)."""
    from axes.handlers.proxy import AxesProxyHandler

    return not AxesProxyHandler.is_allowed(request, {"username": username})


def account_failure(request: HttpRequest, *, username: str) -> None:
    """Count a wrong secret towards the account's lockout (and the trail records it,
    audit.receivers), as a wrong password at the sign-in would."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
