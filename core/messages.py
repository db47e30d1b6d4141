"""Field errors as messages on the page a form post returns to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib import messages
from django.http import HttpRequest


def form_error_messages(request: HttpRequest, errors: Mapping[str, Iterable[object]]) -> None:
    """One message per field, naming it ("Staff on duty: Ensure this value ...")."""
    for field, texts in errors.items():
        label = "" if field == "__all__" else f"{field.replace('_', ' ').capitalize()}: "
        messages.error(request, label + " ".join(str(text) for text in texts))
