"""Response headers every Harbor response carries (ASVS 5.0 14.3.2, 3.4).

`Cache-Control: no-store` on everything that is not a public static file: a page, an
API answer or a print packet may carry a child's data, and no browser cache, proxy or
"back" button may keep a copy. Static files (WhiteNoise) and the favicon say
`public` themselves and keep their caching. `Permissions-Policy` refuses the browser
features no page uses.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PrivateResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "public" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
            response["Expires"] = "0"
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
