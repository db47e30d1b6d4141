from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import SignInForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("survivors.urls")),
    path("", include("homes.urls")),
    path("", include("matching.web_urls")),
    path("", include("placement.web_urls")),
    path("", include("notifications.web_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
]
