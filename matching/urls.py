"""The what-if search page (a stored survivor's search is on their case: desk)."""

from __future__ import annotations

from django.urls import path

from matching import views

urlpatterns = [
    path("search/", views.what_if_search, name="what-if-search"),
]
