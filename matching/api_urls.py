from __future__ import annotations

from django.urls import path

from matching import apis

urlpatterns = [
    path("match/", apis.what_if_match, name="match-what-if"),
]
