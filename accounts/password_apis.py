"""`POST auth/password/`: a signed-in user changes their own password."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import AccountLocked
from accounts.lockout import account_failure, account_guard, account_locked
from accounts.models import ApiToken
from accounts.services import user_password_change
from audit.services import request_ip
from core.exceptions import ErrorSerializer, ValidationErrorSerializer


class PasswordChangeApi(APIView):
    """Change your password: the current one, and a new one that the password rules
    accept (at least 12 characters, not a common password, not only digits, not like
    your username). Every API token of yours ends with it, the one used here included:
    sign in again for a new one. A session used here stays signed in; others end."""

    class PasswordChangeSerializer(serializers.Serializer):
        old_password = serializers.CharField(
            max_length=1024, trim_whitespace=False, style={"input_type": "password"}
        )
        new_password = serializers.CharField(
            max_length=1024, trim_whitespace=False, style={"input_type": "password"}
        )

    @extend_schema(
        operation_id="auth_password_change",
        request=PasswordChangeSerializer,
        responses={
            204: None,
            429: OpenApiResponse(
                ErrorSerializer,
                description="The account is locked after 5 failed sign-ins or wrong current "
                "passwords within 15 minutes (`account_locked`).",
            ),
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="A missing field, a wrong current password (`old_password`) or a "
                "new password the rules refuse (`new_password`). Nothing changed.",
            ),
        },
        tags=["auth"],
    )
    def post(self, request):
        serializer = self.PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        refused: ValidationError | None = None
        # A stolen token must not give unlimited guesses at the password: a wrong current
        # password counts towards the account's lockout like a wrong one at the sign-in,
        # under the same guard (accounts.lockout), and a locked account is refused.
        with account_guard(user.username):
            if account_locked(request, username=user.username):
                raise AccountLocked()
            try:
                user_password_change(
                    actor=user,
                    user=user,
                    old_password=serializer.validated_data["old_password"],
                    new_password=serializer.validated_data["new_password"],
                    ip=request_ip(request),
                )
            except ValidationError as error:
                if "old_password" in error.message_dict:
                    account_failure(request, username=user.username)
                refused = error
        if refused is not None:
            raise refused
        if not isinstance(request.auth, ApiToken):
            update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)
