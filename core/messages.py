"""Field errors as messages on the page a form post returns to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext

from core.vocab import FIELD_LABELS, HOME_FIELD_LABELS


def form_error_messages(request: HttpRequest, errors: Mapping[str, Iterable[object]]) -> None:
    """One message per field, naming it as the vocabulary does, in the page's language
    ("Staff on duty: Ensure this value ...")."""
    for field, texts in errors.items():
        text = " ".join(str(text) for text in texts)
        if field == "__all__":
            messages.error(request, text)
            continue
        name = FIELD_LABELS.get(field) or HOME_FIELD_LABELS.get(field)
        shown = str(name) if name else field.replace("_", " ").capitalize()
        messages.error(request, gettext("%(field)s: %(error)s") % {"field": shown, "error": text})
