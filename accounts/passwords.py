"""Password rules beyond Django's: no password that is one short piece repeated, none
that contains the username, and not the demo's published password (issue 29 finding 9:
"aaaaaaaaaaaa", "harbor-demo-2026" and "cw_a2cw_a2cw_a2" were accepted). In
AUTH_PASSWORD_VALIDATORS, so every form, the API and `add_user` apply them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# Printed by `seed_demo` and in the README: anyone may know it.
DEMO_PASSWORD = "harbor-demo-2026"
_demo_allowed: ContextVar[bool] = ContextVar("demo_password_allowed", default=False)


@contextmanager
def demo_password_allowed() -> Iterator[None]:
    """Only `seed_demo` sets the demo's own accounts to the published password."""
    token = _demo_allowed.set(True)
    try:
        yield
    finally:
        _demo_allowed.reset(token)


def _repeats_a_piece(password: str) -> bool:
    """Whether the password is a piece of at most half its length repeated (the last
    copy may be cut short): "aaaaaaaaaaaa", "abcabcabcabc", "cw_a2cw_a2cw_a2"."""
    n = len(password)
    return any(
        all(password[i] == password[i % period] for i in range(n))
        for period in range(1, n // 2 + 1)
    )


class RepetitionValidator:
    """Refuses a password that repeats one piece, or has fewer than 5 different characters."""

    def validate(self, password: str, user: Any = None) -> None:
        if _repeats_a_piece(password.lower()) or len(set(password.lower())) < 5:
            raise ValidationError(
                gettext("This password repeats itself: use a phrase of a few different words."),
                code="password_repetitive",
            )

    def get_help_text(self) -> str:
        return gettext("Your password can't be one short piece repeated.")


class UsernameValidator:
    """Refuses a password that contains the username (Django's similarity check misses
    it once the name is repeated or padded)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = str(getattr(user, "username", "") or "").lower()
        if len(username) >= 3 and username in password.lower():
            raise ValidationError(
                gettext("This password contains your username."), code="password_has_username"
            )

    def get_help_text(self) -> str:
        return gettext("Your password can't contain your username.")


class KnownPasswordValidator:
    """Refuses the demo's published password (and the product's name with a year)."""

    def validate(self, password: str, user: Any = None) -> None:
        if _demo_allowed.get() and password == DEMO_PASSWORD:
            return
        folded = password.lower().replace(" ", "-").replace("_", "-")
        if folded == DEMO_PASSWORD or folded.startswith("harbor-demo"):
            raise ValidationError(
                gettext("This is the demo's published password: choose your own."),
                code="password_published",
            )

    def get_help_text(self) -> str:
        return gettext("Your password can't be the demo's published password.")
