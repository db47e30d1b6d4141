"""`POST auth/password/`: a signed-in user changes their own password."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.services import user_password_change
from audit.services import request_ip
from core.exceptions import ValidationErrorSerializer


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
        user_password_change(
            actor=user,
            user=user,
            old_password=serializer.validated_data["old_password"],
            new_password=serializer.validated_data["new_password"],
            ip=request_ip(request),
        )
        if not isinstance(request.auth, ApiToken):
            update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)
