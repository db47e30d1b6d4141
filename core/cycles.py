"""An API answer is freed when it has been sent, not at the collector's next pass.

Django REST framework ties every response to its view in a reference cycle: the
response's `renderer_context` names the view, and the view keeps `response`
(encode/django-rest-framework#5826, #7250). Objects in a cycle outlive the request
until Python's cyclic collector finds them, so the answer's whole tree of dicts and
lists (a search's ranked homes with their breakdowns, its near misses; an excluded
page of a thousand homes) stays in memory, is walked by every collection meanwhile,
and is freed long after it left the processor's cache. Measured on a what-if search
at 250,000 homes: the collector's time per search fell from 0.30 to 0.15 ms.

Django renders a response before the middlewares see it, and nothing reads the
context or the view's copy after that, so this middleware cuts both; reference
counting then frees the answer once the server has sent it. `response.data` stays
(API tests read it).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ResponseCycleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        context = getattr(response, "renderer_context", None)
        if context:
            view = context.get("view")
            if getattr(view, "response", None) is response:
                del view.response
            # DRF's own attribute (APIView.finalize_response sets it); its stubs omit it.
            response.renderer_context = {}  # type: ignore[attr-defined]
        return response
