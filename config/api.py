"""The REST API's URL map under /api/v1/ (names as DESIGN.md's "Public interface")."""

from __future__ import annotations

import re

from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated

from accounts.apis import LogoutApi, TokenCreateApi
from accounts.password_apis import PasswordChangeApi
from homes.apis import (
    HomeAvailabilityApi,
    HomeAvailabilityHistoryApi,
    HomeDetailApi,
    HomeExportApi,
    HomeListCreateApi,
)
from homes.import_apis import HomeImportApi, HomeImportDetailApi
from placement.apis import SurvivorDetailApi
from survivors.apis import SurvivorListCreateApi
from survivors.audit_apis import AuditListApi


class RecordIdConverter:
    """Any path segment; the view gets an int id, or None for one that cannot be an id.

    So `/survivors/abc/` reaches the view and gets the API's JSON 404 (the same body
    as for a hidden or missing record) instead of Django's HTML page. The schema
    shows it as a positive integer (SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]).
    """

    regex = "[^/]+"
    _ID = re.compile(r"[0-9]{1,18}")  # fits PostgreSQL's bigint

    def to_python(self, value: str) -> int | None:
        return int(value) if self._ID.fullmatch(value) else None

    def to_url(self, value: int | str) -> str:
        return str(value)


register_converter(RecordIdConverter, "record_id")


class SignedInDocsView(SpectacularSwaggerSplitView):
    """The docs page, for signed-in users (session or token); a browser without either
    is sent to sign in, as by any page."""

    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


urlpatterns = [
    # The schema and its docs map every route: for signed-in users only (401 here; the
    # docs page sends a browser to sign in).
    path(
        "schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"
    ),
    # The split view serves Swagger UI's start-up script as a file (`?script`), and
    # api/docs.html has no inline <style>: the page runs under the strict CSP.
    path(
        "docs/",
        SignedInDocsView.as_view(url_name="schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    # Auth
    path("auth/token/", TokenCreateApi.as_view(), name="auth-token"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/password/", PasswordChangeApi.as_view(), name="auth-password"),
    # Homes and bed availability
    path("homes/", HomeListCreateApi.as_view(), name="home-list"),
    # Before homes/{id}/, whose converter takes any segment.
    path("homes/export/", HomeExportApi.as_view(), name="home-export"),
    path("homes/import/", HomeImportApi.as_view(), name="home-import-api"),
    path(
        "homes/import/<record_id:id>/", HomeImportDetailApi.as_view(), name="home-import-detail-api"
    ),
    path("homes/<record_id:id>/", HomeDetailApi.as_view(), name="home-detail"),
    path(
        "homes/<record_id:id>/availability/",
        HomeAvailabilityApi.as_view(),
        name="home-availability",
    ),
    path(
        "homes/<record_id:id>/availability/history/",
        HomeAvailabilityHistoryApi.as_view(),
        name="home-availability-history",
    ),
    # Survivors
    path("survivors/", SurvivorListCreateApi.as_view(), name="survivor-list"),
    path("survivors/<record_id:id>/", SurvivorDetailApi.as_view(), name="survivor-detail"),
    # Every route added here needs its rows in tests/api/permission_matrix.py: the
    # meta-test fails until it has them.
    path("", include("matching.urls")),  # match/, survivors/{id}/matches/
    path("", include("placement.urls")),  # the workflow
    path("", include("notifications.urls")),
    path("", include("reports.urls")),  # reports/, reports/{name}/
    # Audit
    path("audit/", AuditListApi.as_view(), name="audit-list"),
]
