"""The REST API's URL map under /api/v1/ (names as DESIGN.md's "Public interface")."""

from __future__ import annotations

import re

from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated


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
    # Each app's API is its api_urls.py. Every route added to one needs its rows in
    # tests/api/permission_matrix.py: the meta-test fails until it has them. homes
    # before placement: the workflow serves homes/{id}/, whose converter would take
    # homes/export/ too.
    path("", include("accounts.api_urls")),  # auth/
    path("", include("homes.api_urls")),  # homes/, export, import, availability history
    path("", include("survivors.api_urls")),  # survivors/, audit/
    path("", include("matching.api_urls")),  # match/
    path("", include("placement.api_urls")),  # the workflow; survivors/{id}/(matches/), homes/{id}/
    path("", include("notifications.api_urls")),
    path("", include("reports.api_urls")),  # reports/, reports/{name}/
]
