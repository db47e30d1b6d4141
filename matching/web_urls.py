from __future__ import annotations

from django.urls import path

from matching import views

urlpatterns = [
    path("search/", views.what_if_search, name="what-if-search"),
    path("survivors/<int:survivor_id>/search/", views.survivor_search, name="survivor-search"),
]
