"""Signing in and out over the API, and a user's own password and profile (under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from accounts.apis import LogoutApi, TokenCreateApi
from accounts.password_apis import PasswordChangeApi
from accounts.profile_apis import ProfileApi

urlpatterns = [
    path("auth/token/", TokenCreateApi.as_view(), name="auth-token"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/password/", PasswordChangeApi.as_view(), name="auth-password"),
    path("auth/profile/", ProfileApi.as_view(), name="auth-profile"),
]
