"""Every time on a page is shown in the signed-in user's zone (their agency's), named, and
in the user's language (their profile's, else their browser's)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone, translation
from django_otp import middleware as otp_middleware
from django_otp.middleware import is_verified as otp_verified
from django_otp.models import Device

from accounts.mfa import has_second_factor
from accounts.models import Authenticator, Role, User, agency_zone_name
from core.types import Actor, RequestUser
from core.vocab import STATE_TIME_ZONES


def user_zone_name(user: RequestUser) -> str:
    """The IANA zone a user's pages use.

    Case workers and supervisors: their agency's. MDT members: their team's agency's.
    Home administrators: the state of their first home (a home has a state, not a zone).
    Anyone else (an administrator without an agency, a visitor): settings.TIME_ZONE.
    """
    if not user.is_authenticated:
        return settings.TIME_ZONE
    if user.role == Role.MDT_MEMBER and user.team is not None:
        return user.team.agency.zone_name
    if user.agency_id is not None:
        return _agency_zone_name(user)
    if user.role == Role.HOME_ADMIN:
        state = _first_home_state(user)
        if state in STATE_TIME_ZONES:
            return STATE_TIME_ZONES[state]
    return settings.TIME_ZONE


# Every page asks its user's zone: the two columns it comes from, in SQL written once,
# rather than the whole agency through the ORM's query compiled on each request.
_AGENCY_ZONE_SQL = 'SELECT "time_zone", "state" FROM "accounts_agency" WHERE "id" = %s'


def _agency_zone_name(user: Actor) -> str:
    """`user.agency.zone_name`, without reading the rest of the agency."""
    agency = user.agency if User.agency.is_cached(user) else None
    if agency is not None:
        return agency.zone_name
    with connection.cursor() as cursor:
        cursor.execute(_AGENCY_ZONE_SQL, [user.agency_id])
        time_zone, state = cursor.fetchone()
    return agency_zone_name(time_zone=time_zone, state=state)


def _first_home_state(user: Actor) -> str | None:
    # Homes sit on a floor above accounts: reach them through the permission guardian
    # keeps for them ("homes.change_home" on each of the user's homes), not an import.
    from guardian.shortcuts import get_objects_for_user

    homes: QuerySet[Any] = get_objects_for_user(
        user, "homes.change_home", accept_global_perms=False
    )
    return homes.order_by("pk").values_list("state", flat=True).first()


class TimeZoneMiddleware:
    """Activates the signed-in user's zone for the pages (after AuthenticationMiddleware).

    The API is left in UTC: its clients are other systems, and its timestamps carry
    their offset anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            timezone.deactivate()
            return self.get_response(request)
        try:
            zone = zoneinfo.ZoneInfo(user_zone_name(request.user))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None  # a zone saved before its name was checked: UTC, never a 500
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserLanguageMiddleware:
    """Activates a signed-in user's chosen language for the pages (after
    AuthenticationMiddleware; LocaleMiddleware has already chosen the browser's).

    A user with no choice keeps the browser's. The API follows Accept-Language only:
    a token is authenticated inside the view, and a script says what it wants per request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        language = getattr(user, "language", "") if user.is_authenticated else ""
        if not language or request.path.startswith("/api/"):
            return self.get_response(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


# The paths a user signed in with a password alone may reach: the sign-in pages (the
# second-factor steps live under /login/), sign-out, and public files.
# The token endpoint asks for the code itself (a browser's half-signed-in cookie must not
# stand in the way of a script signing in).
SECOND_FACTOR_OPEN = ("/login/", "/logout/", "/favicon.ico", "/api/v1/auth/token/")
MFA_VERIFY_PATH = "/login/verify/"
MFA_ENROL_PATH = "/login/enrol/"


class SecondFactorMiddleware:
    """With MFA_REQUIRED, a session signed in with a password alone is not signed in yet.

    Pages send it to the second-factor step (enrolment first, if the user has no
    authenticator yet); the API answers 403. Token requests carry no session: a token
    is only issued against a one-time code (accounts.apis). After OTPMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.MFA_REQUIRED:
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated or otp_verified(user):
            return self.get_response(request)
        path = request.path
        if path.startswith(SECOND_FACTOR_OPEN) or path.startswith(
            "/" + settings.STATIC_URL.lstrip("/")
        ):
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse(
                {
                    "code": "second_factor_required",
                    "detail": "Finish signing in: enter the code from your authenticator app.",
                },
                status=403,
            )
        target = MFA_VERIFY_PATH if has_second_factor(user) else MFA_ENROL_PATH
        if request.method in ("GET", "HEAD"):
            # Back to the page asked for once the second factor is in (the views check it).
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


# The session's row is written when the idle deadline would move by more than this.
SESSION_TOUCH_SECONDS = 60
SESSION_TOUCHED_KEY = "_harbor_touched"


class SessionIdleMiddleware:
    """Moves a signed-in session's idle deadline (SESSION_COOKIE_AGE after the last
    request) without writing the session's row on every request: only when the last
    write is more than a minute old, so the deadline is at most a minute early and a
    page's requests cost one UPDATE a minute instead of one each. Runs after
    SessionMiddleware (which saves a session marked modified on the way out)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or response.status_code >= 500:
            return response
        now = int(timezone.now().timestamp())
        touched = session.get(SESSION_TOUCHED_KEY, 0)
        if not isinstance(touched, int) or now - touched >= SESSION_TOUCH_SECONDS:
            session[SESSION_TOUCHED_KEY] = now  # marks it modified: saved, deadline moved
        return response


# The columns a page's request reads of the session's authenticator: all but the secret,
# which only checking a code needs (read then, when first touched, as a deferred field).
_DEVICE_COLUMNS = [f for f in Authenticator._meta.concrete_fields if f.attname != "key"]
_DEVICE_FIELDS = [f.attname for f in _DEVICE_COLUMNS]
_DEVICE_SQL = "SELECT {} FROM {} WHERE {} = %s".format(
    ", ".join(f'"{field.column}"' for field in _DEVICE_COLUMNS),
    f'"{Authenticator._meta.db_table}"',
    f'"{Authenticator._meta.pk.column}"',
)
_DEVICE_LABEL = Authenticator.model_label() + "/"


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's: `request.user.is_verified()`, true when the session's second factor
    is a confirmed device of the user's own. Every page asks it, so the session's
    authenticator is read in SQL written once rather than through the ORM's query built
    and compiled on each request, and without decrypting its secret, which nothing but
    checking a code reads (issue 30). The same row, as the same model; django-otp still
    decides (the device must be the user's and confirmed, else the session forgets it).
    Other devices (recovery codes), and the demo's SQLite, go through django-otp's own."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        persistent_id = self._normalize_persistent_id(persistent_id)
        if connection.vendor != "postgresql" or not persistent_id.startswith(_DEVICE_LABEL):
            return super()._device_from_persistent_id(persistent_id)
        device_id = persistent_id[len(_DEVICE_LABEL) :]
        if not device_id.isascii() or not device_id.isdigit() or len(device_id) > 18:
            return None  # as django-otp answers an id int() refuses: no device
        with connection.cursor() as cursor:
            cursor.execute(_DEVICE_SQL, [int(device_id)])
            row = cursor.fetchone()
        if row is None:
            return None
        return Authenticator.from_db(connection.alias, _DEVICE_FIELDS, row)
