from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_safe

from accounts.views import admin_sign_in

# Browsers ask for /favicon.ico whatever the page links: answer it, not with a 404.
_FAVICON = (settings.BASE_DIR / "static" / "favicon.ico").read_bytes()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        _FAVICON, content_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


urlpatterns = [
    # First: an API request then tries its own routes, not every page's pattern before
    # them (no page route starts with api/v1/; tests/config/test_urls.py).
    path("api/v1/", include("config.api")),
    path("favicon.ico", favicon, name="favicon"),
    # Sign-in (password, then the second factor) and a user's own password: accounts.urls.
    path("", include("accounts.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Each app's pages are its urls.py, its API its api_urls.py (config/api.py).
    path("", include("desk.urls")),  # the role home pages, the case page, the home's page
    path("", include("survivors.urls")),
    path("", include("homes.urls")),
    path("", include("matching.urls")),
    path("", include("placement.urls")),
    path("", include("notifications.urls")),
    path("", include("reports.urls")),
    # The admin signs in through Harbor's sign-in (its limits and second factor).
    path("admin/login/", admin_sign_in, name="admin-sign-in"),
    path("admin/", admin.site.urls),
]

# An unexpected error: the styled 500 page, or JSON under /api/.
handler500 = "core.exceptions.server_error"
