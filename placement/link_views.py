"""The page behind a referral's single-use answer link (`/r/<token>/`), for a home with
no Harbor user: the on-call person sees the referral de-identified and accepts or
declines without an account. The service (placement.services.answer_links) decides and
audits; this page is rate-limited per client address, and says nothing of a link that
is unknown, used or expired: the same page for each."""

from __future__ import annotations

import math
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from accounts.throttling import SignInRateThrottle
from audit.services import request_ip
from core.errors import DomainError, NotFound
from core.vocab import STATE_TIME_ZONES, phone_uri
from placement.forms import AnswerByPhoneForm
from placement.models import Referral
from placement.serializers import child_of
from placement.services.answer_links import answer_link_open, referral_answer_by_link


class AnswerLinkThrottle(SignInRateThrottle):
    """ANSWER_LINK_RATE per client address, over every open and answer of any link, so
    guessing tokens is as slow as guessing passwords (and the token has 256 bits)."""

    scope = "answer_link"

    def get_rate(self) -> str:
        return settings.ANSWER_LINK_RATE


def _throttled(request: HttpRequest) -> HttpResponse | None:
    throttle = AnswerLinkThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    wait = math.ceil(throttle.wait() or 60)
    response = render(
        request, "429.html", {"throttled": True, "retry_after_seconds": wait}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: never send it on to another site. (Not "no-referrer":
    # the browser would then post the form with `Origin: null`, which CSRF refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _home_time(referral: Referral) -> None:
    """Nobody is signed in: the page's times read in the home's own zone."""
    timezone.activate(zoneinfo.ZoneInfo(STATE_TIME_ZONES.get(referral.home.state, "UTC")))


def _gone(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "placement/answer_link_gone.html", status=404))


@require_http_methods(["GET", "POST"])
def answer_link_page(request: HttpRequest, token: str) -> HttpResponse:
    refused = _throttled(request)
    if refused is not None:
        return _private(refused)
    ip = request_ip(request)
    form = AnswerByPhoneForm(request.POST or None)
    # The same fields as the case worker's record of a call, asked of the person answering.
    form.fields["answered_by"].label = _("Your name")
    form.fields["answered_by_phone"].label = _("Your phone number")
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_answer_by_link(token=token, ip=ip, **form.cleaned_data)
        except NotFound:
            return _gone(request)
        except DomainError as exc:
            problem = exc.reason
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            _home_time(referral)
            return _private(
                render(request, "placement/answer_link_done.html", {"referral": referral})
            )
    try:
        link = answer_link_open(token=token, ip=ip)
    except NotFound:
        return _gone(request)
    referral = link.referral
    _home_time(referral)
    return _private(
        render(
            request,
            "placement/answer_link.html",
            {
                "referral": referral,
                "home": referral.home,
                "child": child_of(referral.survivor),
                "worker": referral.referred_by,
                "worker_tel": phone_uri(referral.referred_by.phone),
                "form": form,
                "problem": problem,
            },
        )
    )
