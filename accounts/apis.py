"""Signing in and out of the API: `POST auth/token/` and `POST auth/logout/`."""

from __future__ import annotations

from django.contrib.auth import authenticate, logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.tokens import token_issue, token_revoke
from core.exceptions import ERROR_RESPONSES, ValidationErrorSerializer


class AccountLocked(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = (
        "This account is locked after too many failed sign-ins. "
        "Try again in 15 minutes or ask an administrator to release it."
    )
    default_code = "account_locked"


class TokenCreateApi(APIView):
    """Exchange a username and password for an API token.

    Goes through django-axes like the web sign-in: 5 failures within 15 minutes lock
    the account (even against the right password) until the cool-off ends or an
    admin runs `manage.py axes_reset_username`. Every failure is audited.
    """

    # No authentication: a stale token or session must not stand in the way of signing in,
    # and no session means no CSRF check on a request that carries no cookie's authority.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Axes locks one account; this slows one address trying many accounts.
    throttle_classes = [AnonRateThrottle]

    class TokenCredentialsSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(
            max_length=1024, trim_whitespace=False, style={"input_type": "password"}
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
                description="Missing fields, or a wrong username or password "
                "(under `non_field_errors`). No token is issued.",
            ),
            429: ERROR_RESPONSES["429"],
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = self.TokenCredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lockout: dict[str, str] = {}
        # The DRF request goes to axes, which flags it; AxesMiddleware only rewrites responses
        # for the Django request, so this view answers a lockout in the API's own shape.
        user = authenticate(
            request=request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
            response_context=lockout,
        )
        if lockout.get("error"):
            raise AccountLocked()
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to sign in with this username and password."]}
            )
        key, token = token_issue(user=user)
        return Response({"token": key, "expires": token.expires_at})


class LogoutApi(APIView):
    """End the credential this request used: delete the token, or end the session."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_logout", request=None, responses={204: None}, tags=["auth"])
    def post(self, request):
        if isinstance(request.auth, ApiToken):
            token_revoke(token=request.auth, reason=ApiToken.RevokeReason.LOGOUT)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
