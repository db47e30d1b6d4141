from __future__ import annotations

from django.urls import path

from reports import views

urlpatterns = [
    path("reports/", views.report_index, name="report-index"),
    path("reports/<slug:name>/", views.report_page, name="report-page"),
    path("reports/<slug:name>/download.csv", views.report_download, name="report-download"),
]
