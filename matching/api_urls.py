from __future__ import annotations

from django.urls import path

from matching import apis

urlpatterns = [
    path("match/", apis.what_if_match, name="match-what-if"),
    path("survivors/<record_id:id>/matches/", apis.survivor_matches, name="survivor-matches"),
    path(
        "survivors/<record_id:id>/matches/excluded/",
        apis.survivor_matches_excluded,
        name="survivor-matches-excluded",
    ),
]
