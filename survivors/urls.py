from __future__ import annotations

from django.urls import path

from survivors import views

urlpatterns = [
    path("survivors/<int:survivor_id>/audit/", views.survivor_audit, name="survivor-audit"),
    path(
        "survivors/<int:survivor_id>/assign/",
        views.survivor_assign_page,
        name="survivor-assign-page",
    ),
]
