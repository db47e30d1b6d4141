"""The home directory's API under /api/v1/. One home's profile and beds
(`homes/{id}/`, `homes/{id}/availability/`) are the workflow's routes
(placement/api_urls.py): a change there re-checks the waitlist."""

from __future__ import annotations

from django.urls import path

from homes.apis import HomeAvailabilityHistoryApi, HomeExportApi, HomeListCreateApi
from homes.import_apis import HomeImportApi, HomeImportDetailApi

# Included before the workflow's homes/{id}/, whose converter takes any segment.
urlpatterns = [
    path("homes/", HomeListCreateApi.as_view(), name="home-list"),
    path("homes/export/", HomeExportApi.as_view(), name="home-export"),
    path("homes/import/", HomeImportApi.as_view(), name="home-import-api"),
    path(
        "homes/import/<record_id:id>/", HomeImportDetailApi.as_view(), name="home-import-detail-api"
    ),
    path(
        "homes/<record_id:id>/availability/history/",
        HomeAvailabilityHistoryApi.as_view(),
        name="home-availability-history",
    ),
]
