"""A record encrypted with a key no longer configured answers 503 saying so, on a page as
in the API (where core.exceptions maps the same error), never a bare 500."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.errors import EncryptionKeyMissing


class EncryptionKeyMissingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, EncryptionKeyMissing):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": exc.reason, "code": exc.code}, status=503)
        return render(request, "503_key.html", {"reason": exc.reason}, status=503)
