from __future__ import annotations

from django.urls import path

from homes import views

urlpatterns = [
    path(
        "homes/<int:home_id>/availability/",
        views.home_availability_update,
        name="home-availability-update",
    ),
]
