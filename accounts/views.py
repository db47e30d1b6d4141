"""Signing in (password, then the second factor), enrolling an authenticator, and a
user's own password and recovery codes."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import (
    EnrolForm,
    LanguageForm,
    PasswordChangePageForm,
    RecoveryCodesRenewForm,
    SecondFactorForm,
    SignInForm,
)
from accounts.lockout import account_failure, account_guard, account_locked
from accounts.mfa import (
    WRONG_CODE,
    confirmed_device,
    has_second_factor,
    mfa_enrol_begin,
    mfa_enrol_confirm,
    recovery_codes_left,
    recovery_codes_renew,
    second_factor_verify,
    second_factor_wait,
    totp_secret_display,
    wait_message,
)
from accounts.models import Authenticator
from accounts.services import password_change_refused, user_language_set, user_password_set
from audit.services import request_ip
from core.types import Actor, AuthedHttpRequest

# The enrolment a session has begun: the same secret while the user scans and types.
PENDING_DEVICE_KEY = "harbor_mfa_pending_device"


def _next_url(request: HttpRequest) -> str:
    """Where to go once signed in: `next` when it is a path on this site, else home."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(path: str, next_url: str) -> str:
    return f"{path}?{urlencode({'next': next_url})}"


def _is_verified(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def _second_factor_done(request: HttpRequest, device: Authenticator | None) -> None:
    """Bind the session to the authenticator, under a new session key (the privilege
    grew: a key seen before it must not carry it)."""
    django_otp.login(request, device)
    request.session.cycle_key()


class SignInView(auth_views.LoginView):
    """The password step. With MFA_REQUIRED it leads on to the second factor (or, at a
    first sign-in, to enrolment); until then the session reaches nothing else."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        next_url = super().get_success_url()
        user = self.request.user  # signed in by the form just now
        if not settings.MFA_REQUIRED or not user.is_authenticated or _is_verified(self.request):
            return next_url
        step = "login-verify" if has_second_factor(user) else "login-enrol"
        return _with_next(reverse(step), next_url)


@require_http_methods(["GET", "HEAD", "POST"])
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The Django admin's own sign-in form is not used: it would take passwords outside
    the sign-in limits and the second factor. It sends to Harbor's sign-in (a POST's
    password is dropped unread), and back to the admin after."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    return redirect_to_login(next_url)


@require_http_methods(["GET", "POST"])
def second_factor_page(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next_url(request)
    if not settings.MFA_REQUIRED or _is_verified(request):
        return HttpResponseRedirect(next_url)
    if not has_second_factor(request.user):
        return HttpResponseRedirect(_with_next(reverse("login-enrol"), next_url))
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        user = request.user
        # Asked first: a code sent while django-otp makes a guesser wait is not checked.
        wait = second_factor_wait(user) if form.field_name == "code" else 0
        if second_factor_verify(user=user, code=form.submitted_code, ip=request_ip(request)):
            _second_factor_done(request, confirmed_device(user))
            left = recovery_codes_left(user)
            if form.field_name == "recovery_code":
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. If your phone is "
                    "lost, ask an administrator to reset your second factor.",
                )
            return HttpResponseRedirect(next_url)
        form.add_error(
            form.field_name,
            wait_message(wait)
            if wait
            else WRONG_CODE
            if form.field_name == "code"
            else "That recovery code did not work, or it was used already.",
        )
    return render(
        request,
        "registration/verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


def _pending_device(request: HttpRequest, user: Actor) -> Authenticator:
    """The enrolment this session began, or a new one (a new secret)."""
    device_id = request.session.get(PENDING_DEVICE_KEY)
    device = (
        Authenticator.objects.filter(pk=device_id, user=user, confirmed=False).first()
        if isinstance(device_id, int)
        else None
    )
    if device is None:
        device = mfa_enrol_begin(user)
        request.session[PENDING_DEVICE_KEY] = device.pk
    return device


def _qr_svg(device: Authenticator) -> str:
    """The otpauth:// link as inline SVG markup: no script, no style, no request."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title="QR code to scan with your authenticator app"
    )


@require_http_methods(["GET", "POST"])
def second_factor_enrol_page(request: HttpRequest) -> HttpResponse:
    """First sign-in: add Harbor to an authenticator app, confirm with a code, and read
    the recovery codes once."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next_url(request)
    if not settings.MFA_REQUIRED or _is_verified(request):
        return HttpResponseRedirect(next_url)
    if has_second_factor(request.user):
        return HttpResponseRedirect(_with_next(reverse("login-verify"), next_url))
    device = _pending_device(request, request.user)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            codes = mfa_enrol_confirm(
                user=request.user,
                device=device,
                code=form.cleaned_data["code"],
                ip=request_ip(request),
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("code", exc.messages):
                form.add_error("code", message)
        else:
            request.session.pop(PENDING_DEVICE_KEY, None)
            device.refresh_from_db()
            _second_factor_done(request, device)
            # Shown in this answer only (no redirect): the codes are kept nowhere in clear.
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": next_url, "first_time": True},
            )
    secret = totp_secret_display(device)
    return render(
        request,
        "registration/enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": _qr_svg(device),
            # On the phone itself: an otpauth: link opens the authenticator app with the key.
            "setup_url": device.config_url,
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_page(request: AuthedHttpRequest) -> HttpResponse:
    """A user's own account: the language of their pages and emails, and links to the
    password and recovery codes pages."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    form = LanguageForm(data, initial={"language": user.language})
    if form.is_bound and form.is_valid():
        try:
            user_language_set(
                actor=user,
                user=user,
                language=form.cleaned_data["language"],
                ip=request_ip(request),
            )
        except ValidationError as exc:  # the form offers the same choices: never in practice
            for message in exc.message_dict.get("language", exc.messages):
                form.add_error("language", message)
        else:
            # The message is written in the language just chosen.
            translation.activate(user.language or translation.get_language_from_request(request))
            messages.success(request, _("Your language is saved."))
            return redirect("account")
    return render(
        request, "registration/account.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def password_change_page(request: AuthedHttpRequest) -> HttpResponse:
    """A user's own password: the current one, then the new one twice."""
    form = PasswordChangePageForm(request.user, request.POST if request.method == "POST" else None)
    if form.is_bound:
        username = request.user.username
        with account_guard(username):
            # A wrong current password counts towards the lockout, as at the sign-in.
            locked = account_locked(request, username=username)
            valid = not locked and form.is_valid()
            if not valid and not locked and "old_password" in form.errors:
                account_failure(request, username=username)
        if locked:
            return render(
                request,
                "429.html",
                {"throttled": False, "retry_after_seconds": 15 * 60},
                status=429,
            )
        if valid:
            try:
                user_password_set(
                    actor=request.user,
                    user=request.user,
                    new_password=form.cleaned_data["new_password1"],
                    ip=request_ip(request),
                )
            except ValidationError as exc:  # the form ran the same validators: a race at most
                for message in exc.message_dict.get("new_password", exc.messages):
                    form.add_error("new_password1", message)
            else:
                # This session stays signed in; the user's other sessions and API tokens end.
                update_session_auth_hash(request, request.user)
                messages.success(
                    request,
                    "Your password is changed. Other sessions are signed out and your API "
                    "tokens have stopped working.",
                )
                return redirect("dashboard")
        elif "old_password" in form.errors:
            password_change_refused(actor=request.user, user=request.user, ip=request_ip(request))
    return render(
        request,
        "registration/password_change.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes_page(request: AuthedHttpRequest) -> HttpResponse:
    """How many recovery codes are left, and new ones against a code from the app."""
    user = request.user
    enrolled = has_second_factor(user)
    form = RecoveryCodesRenewForm(request.POST if request.method == "POST" else None)
    if form.is_bound and not enrolled:
        messages.error(request, "You have no authenticator app set up, so no recovery codes.")
        return redirect("recovery-codes")
    if form.is_bound and form.is_valid():
        ip = request_ip(request)
        wait = second_factor_wait(user)
        if second_factor_verify(user=user, code=form.cleaned_data["code"], ip=ip):
            codes = recovery_codes_renew(user, ip=ip)
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": resolve_url(settings.LOGIN_REDIRECT_URL)},
            )
        form.add_error("code", wait_message(wait) if wait else WRONG_CODE)
    return render(
        request,
        "registration/recovery_codes_renew.html",
        {"form": form, "enrolled": enrolled, "left": recovery_codes_left(user)},
        status=400 if form.errors else 200,
    )
