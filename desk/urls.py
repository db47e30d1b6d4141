"""The pages that gather several apps (names and paths as DESIGN.md's public interface)."""

from __future__ import annotations

from django.urls import path

from desk import cases, homes, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # A child's case: the intake, the page, the edit, the search and the proposal from it.
    path("survivors/new/", cases.intake_new, name="intake-create"),
    path("on-call/", views.on_call, name="on-call"),
    path("survivors/<int:survivor_id>/", cases.survivor_page, name="survivor-page"),
    path("survivors/<int:survivor_id>/edit/", cases.survivor_edit, name="survivor-edit"),
    path("survivors/<int:survivor_id>/search/", cases.survivor_search, name="survivor-search"),
    path("survivors/<int:survivor_id>/propose/", cases.propose, name="survivor-propose"),
    # The home admin's page and its taps.
    path("homes/<int:home_id>/manage/", homes.home_manage, name="home-manage"),
    path(
        "homes/<int:home_id>/availability/",
        homes.home_availability_update,
        name="home-availability-update",
    ),
]
