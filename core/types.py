"""Who is asking: the types every app names the user by, instead of `Any`.

`Actor` is the signed-in user a service acts for (the AUTH_USER_MODEL class,
accounts.models.User); `RequestUser` is whoever sent a request, signed in or not
(Django's AnonymousUser), which is what a policy question or a permission class gets.
Pages behind `@login_required` take an `AuthedHttpRequest`, whose user is an Actor;
an API behind `IsAuthenticated` an `AuthedRequest` (a function view, which DRF's
`api_view` types with a plain Request, asks `actor_of(request)`).

django-stubs' plugin resolves its `_User` alias from the settings' AUTH_USER_MODEL, so
this module, on the floor below accounts, names the user model without importing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

if TYPE_CHECKING:
    from django.contrib.auth.models import _AnyUser as RequestUser
    from django.contrib.auth.models import _User as Actor
    from django_htmx.middleware import HtmxDetails
else:
    # Names for annotations, which every module postpones: at run time they need only exist.
    Actor = RequestUser = Any


class AuthedHttpRequest(HttpRequest):
    """A page's request once `@login_required` let it through: its user is signed in.
    (`htmx` is set on every request by django-htmx's middleware.)"""

    user: Actor
    htmx: HtmxDetails


class AuthedRequest(Request):
    """An API's request once its permission classes (`IsAuthenticated` at least) let it
    through: its user is signed in."""

    user: Actor


def actor_of(request: Request) -> Actor:
    """The signed-in user of an API request its permission classes let through; 401 if
    there is none (never, behind IsAuthenticated: the check only tells mypy so)."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated()
    return user


__all__ = ["Actor", "AuthedHttpRequest", "AuthedRequest", "RequestUser", "actor_of"]
