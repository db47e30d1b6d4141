"""The reports' API routes under /api/v1/ (DESIGN.md, public interface)."""

from __future__ import annotations

from django.urls import path

from reports import apis

urlpatterns = [
    path("reports/", apis.ReportListApi.as_view(), name="report-list"),
    path("reports/<str:name>/", apis.ReportDetailApi.as_view(), name="report-detail"),
]
