"""A URL map with a view that fails, for the 500-page test."""

from __future__ import annotations

from django.urls import include, path


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("boom/", boom),
    path("api/v1/boom/", boom),
    path("", include("config.urls")),
]
handler500 = "core.exceptions.server_error"
