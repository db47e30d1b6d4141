"""The homes app's pages: the directory import and a home's profile."""

from __future__ import annotations

from django.urls import path

from homes import import_views, views

urlpatterns = [
    path("homes/import/", import_views.home_import, name="home-import"),
    path("homes/import/template/", import_views.home_import_template, name="home-import-template"),
    path("homes/import/<int:import_id>/", import_views.home_import_detail, name="home-import-job"),
    path(
        "homes/import/<int:import_id>/apply/",
        import_views.home_import_apply,
        name="home-import-apply",
    ),
    path("homes/<int:home_id>/profile/", views.home_profile, name="home-profile"),
    path(
        "homes/<int:home_id>/profile/confirm/",
        views.home_profile_confirm,
        name="home-profile-confirm",
    ),
]
