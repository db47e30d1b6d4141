from __future__ import annotations

from django.urls import path

from homes import views

urlpatterns = [
    path(
        "homes/<int:home_id>/availability/",
        views.home_availability_update,
        name="home-availability-update",
    ),
    path("homes/<int:home_id>/profile/", views.home_profile, name="home-profile"),
    path(
        "homes/<int:home_id>/profile/confirm/",
        views.home_profile_confirm,
        name="home-profile-confirm",
    ),
]
