"""`GET`/`PATCH auth/profile/`: a signed-in user's own profile (today: their language)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import PROFILE_LANGUAGE_CHOICES
from accounts.services import user_language_set
from audit.services import request_ip
from core.exceptions import ValidationErrorSerializer


class ProfileSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    # The language of the user's pages and emails: "en", "es", or "" for the browser's.
    # The API itself answers in the language of each request's Accept-Language.
    language = serializers.ChoiceField(choices=PROFILE_LANGUAGE_CHOICES, allow_blank=True)


class ProfileApi(APIView):
    """Your own profile. `language` is the language of your pages and emails (`en`, `es`,
    or empty to follow your browser); the API's own messages follow each request's
    `Accept-Language` header."""

    @extend_schema(operation_id="auth_profile_retrieve", responses=ProfileSerializer, tags=["auth"])
    def get(self, request):
        return Response(ProfileSerializer(request.user).data)

    @extend_schema(
        operation_id="auth_profile_update",
        request=ProfileSerializer,
        responses={
            200: ProfileSerializer,
            400: OpenApiResponse(ValidationErrorSerializer, description="A language not offered."),
        },
        tags=["auth"],
    )
    def patch(self, request):
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = request.user
        if "language" in serializer.validated_data:
            user_language_set(
                actor=user,
                user=user,
                language=serializer.validated_data["language"],
                ip=request_ip(request),
            )
        return Response(ProfileSerializer(user).data)
