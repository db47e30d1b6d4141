"""Signing in and out of the API: `POST auth/token/` and `POST auth/logout/`."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import account_failure, account_guard
from accounts.mfa import has_second_factor, second_factor_verify
from accounts.models import ApiToken
from accounts.throttling import SignInRateThrottle
from accounts.tokens import token_issue, token_revoke
from audit.services import audit_record, request_ip
from core.exceptions import ERROR_RESPONSES, ValidationErrorSerializer

OTP_MISSING = "Enter the 6-digit code from your authenticator app (or a recovery code)."
OTP_WRONG = "This code is wrong, expired or already used: enter the current one."
OTP_NOT_ENROLLED = (
    "This account has no authenticator app yet: sign in once on the web to set one up, "
    "then ask for a token."
)


class AccountLocked(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = (
        "This account is locked after too many failed sign-ins. "
        "Try again in 15 minutes or ask an administrator to release it."
    )
    default_code = "account_locked"


class TokenCreateApi(APIView):
    """Exchange a username, password and (with MFA_REQUIRED) a one-time code for a token.

    Goes through django-axes like the web sign-in: 5 failures within 15 minutes (a
    wrong password or a wrong code) lock the account, even against the right ones,
    until the cool-off ends or an admin runs `manage.py axes_reset_username`. Every
    failure is audited; so is every token issued. One address is also limited to the
    sign-in rate across all accounts (accounts.throttling), shared with the web sign-in.
    Each call issues a new token (one per device); the others keep working.
    """

    # No authentication: a stale token or session must not stand in the way of signing in,
    # and no session means no CSRF check on a request that carries no cookie's authority.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SignInRateThrottle]

    class TokenCredentialsSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(
            max_length=1024, trim_whitespace=False, style={"input_type": "password"}
        )
        otp = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=64,
            help_text="The current code from the user's authenticator app, or one of their "
            "recovery codes. Required when multi-factor sign-in is on (the default).",
        )
        name = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            default="",
            help_text="The device or client this token is for, to tell a user's tokens apart.",
        )

    class TokenSerializer(serializers.Serializer):
        token = serializers.CharField(
            help_text="Send as `Authorization: Token <token>`. Shown only now: Harbor "
            "keeps a digest of it, never the token."
        )
        expires = serializers.DateTimeField(help_text="When the token stops working.")

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenCredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="Missing fields, a wrong username or password (under "
                "`non_field_errors`), or a missing or wrong one-time code (under `otp`). "
                "No token is issued.",
            ),
            429: OpenApiResponse(
                ERROR_RESPONSES["429"].response,
                description="The account is locked after 5 failed sign-ins within 15 "
                "minutes (`account_locked`), or this address made too many sign-in "
                "attempts (`throttled`, with `Retry-After`).",
            ),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = self.TokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mfa_required = settings.MFA_REQUIRED
        otp = data.get("otp", "").strip()
        if mfa_required and not otp:
            raise exceptions.ValidationError({"otp": [OTP_MISSING]})
        lockout: dict[str, str] = {}
        refusal: exceptions.APIException | None = None
        # No other attempt on this account checks a secret meanwhile (accounts.lockout),
        # so the fifth failure locks it whatever the concurrency. Refusals are raised
        # after the guard, whose transaction keeps axes' count and the trail's entry.
        with account_guard(data["username"]):
            # The DRF request goes to axes, which flags it; AxesMiddleware only rewrites
            # responses for the Django request, so this view answers a lockout in the
            # API's own shape.
            user = authenticate(
                request=request,
                username=data["username"],
                password=data["password"],
                response_context=lockout,
            )
            if lockout.get("error"):
                refusal = AccountLocked()
            elif user is None:
                refusal = exceptions.ValidationError(
                    {"non_field_errors": ["Unable to sign in with this username and password."]}
                )
            elif mfa_required:
                if not has_second_factor(user):
                    refusal = exceptions.ValidationError({"otp": [OTP_NOT_ENROLLED]})
                elif not second_factor_verify(user=user, code=otp, ip=request_ip(request)):
                    # A failed sign-in like a wrong password: axes counts it towards the
                    # account's lockout, and the trail records it (audit.receivers).
                    account_failure(request, username=data["username"])
                    refusal = exceptions.ValidationError({"otp": [OTP_WRONG]})
        if refusal is not None:
            raise refusal
        assert user is not None
        with transaction.atomic():
            key, token = token_issue(user=user, name=data["name"])
            audit_record(
                actor=user,
                action="token.issued",
                obj=token,
                after={"name": token.name, "expires_at": token.expires_at.isoformat()},
                ip=request_ip(request),
            )
            # As Django's login() would: axes clears the account's failures, the trail
            # records the sign-in, `last_login` moves.
            user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response({"token": key, "expires": token.expires_at})


class LogoutApi(APIView):
    """End the credential this request used: revoke the token, or end the session.

    The user's tokens on other devices keep working.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_logout", request=None, responses={204: None}, tags=["auth"])
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            user = request.user
            with transaction.atomic():
                token_revoke(
                    token=request.auth,
                    reason=ApiToken.RevokeReason.LOGOUT,
                    actor=user,
                    ip=request_ip(request),
                )
                user_logged_out.send(sender=user.__class__, request=request, user=user)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
