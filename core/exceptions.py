"""The API's one exception handler, and the error shapes it documents in the schema.

Two body shapes, and only two:

- 400: `{"<field>": ["message", ...], ...}`, a list of messages per request field.
  A message about part of a field starts with that part's dotted path
  (`"exclusion_zones": ["0.zip_code: ZIP code 00000 does not exist."]`); problems
  with the request as a whole (malformed JSON, a rule across fields) are under
  `non_field_errors`.
- every other error (401, 403, 404, 405, 409, 415, 429): `{"detail": "...", "code": "..."}`.

Input never makes a 500: Django `ValidationError` from a service is a 400, a
`core.errors.DomainError` has its own status, a database constraint that
only a concurrent request could break is a 409, and a value the database cannot
hold is a 400. Anything else is a bug and is left to surface as one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.committed import committed
from core.errors import DomainError, RulesFailed
from core.requestlog import request_reference

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


# Messages in English here (msgids), answered in the request's language (Accept-Language).
SAVED_NOT_READ = gettext_noop(
    "Saved. The answer could not be read back afterwards (the database connection "
    "dropped): reload to see the result, and do not send the change again."
)


def exception_handler(exc: Exception, context: dict[str, Any]):
    """REST framework's EXCEPTION_HANDLER: see the module docstring for the shapes.

    A change that committed answers success even when reading it back fails (the
    connection dropped after the commit): a 200 saying so (`code: saved`), never a 500
    that would have the client send it again and get a 409."""
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    if (
        isinstance(exc, OperationalError | InterfaceError)
        and request is not None
        and request.method not in SAFE_METHODS
        and committed(django_request)
    ):
        return Response({"detail": gettext(SAVED_NOT_READ), "code": "saved"}, status=200)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is away (restarting, failing over): say so, and when to retry.
        return Response(
            {"detail": gettext(UNAVAILABLE), "code": "unavailable"},
            status=503,
            headers={"Retry-After": "30"},
        )
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None
    response = drf_exception_handler(api_exc, context)
    # DRF answers only its own exceptions (Django's 404 and 403 are mapped to them above).
    if response is None or not isinstance(api_exc, exceptions.APIException):
        return response
    exc = api_exc
    if isinstance(exc, exceptions.ValidationError | exceptions.ParseError):
        response.status_code = 400
        response.data = flatten_errors(exc.detail)
    else:
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else "error",
        }
        failed = getattr(exc, "failed", None)
        if failed is not None:
            response.data["failed"] = failed
    return response


SERVER_ERROR = gettext_noop(
    "Something went wrong on our side; it has been logged. If you were saving a change, "
    "check whether it was saved before trying again."
)


UNAVAILABLE = gettext_noop(
    "Harbor cannot reach its database for a moment; nothing was saved. Try again in a minute."
)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: under /api/ the error is JSON like every other API error
    (`{"detail", "code": "server_error", "reference"}`), never the HTML page a script
    cannot read. Both carry the request's id as their `reference`, the X-Request-ID the
    response and the logs carry too (core.requestlog)."""
    reference = request_reference(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": gettext(SERVER_ERROR), "code": "server_error", "reference": reference},
            status=500,
        )
    page = loader.get_template("500.html").render({"reference": reference})
    return HttpResponseServerError(page)


class _DomainApiException(exceptions.APIException):
    """A DomainError as REST framework's; a RulesFailed's rules ride along (`failed`)."""

    failed: list[dict[str, str]] | None = None


def _as_api_exception(exc: Exception) -> Exception | None:
    # Http404's message names the model (and a hidden record must not differ from a missing one).
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, DomainError):
        domain_exc = _DomainApiException(detail=exc.reason, code=exc.code)
        domain_exc.status_code = exc.status_code
        if isinstance(exc, RulesFailed):
            domain_exc.failed = exc.failed
        return domain_exc
    if isinstance(exc, IntegrityError):
        # Services validate first (full_clean), so only a concurrent write gets here.
        api_exc = exceptions.APIException(
            detail=gettext(
                "This change conflicts with another one made at the same time. "
                "Reload and try again."
            ),
            code="conflict",
        )
        api_exc.status_code = 409
        return api_exc
    if isinstance(exc, DataError):
        return exceptions.ValidationError(
            {NON_FIELD: [gettext("A value is out of range or not in a form Harbor can store.")]}
        )
    return exc


def flatten_errors(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail as `{"field": ["message", ...]}`, one key per request field.

    A message about part of a field (an item of a list, a key of an object) is
    prefixed with that part's dotted path: `"0.radius_miles: Ensure this value ..."`.
    """
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD if key in (NON_FIELD_ERRORS, NON_FIELD) else str(key)
            _collect(value, "", out.setdefault(name, []))
    else:
        _collect(detail, "", out.setdefault(NON_FIELD, []))
    return {name: messages for name, messages in out.items() if messages} or {
        NON_FIELD: [gettext("Invalid input.")]
    }


def _collect(detail: Any, path: str, messages: list[str]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            part = NON_FIELD if key in (NON_FIELD_ERRORS, NON_FIELD) else str(key)
            _collect(value, f"{path}.{part}" if path else part, messages)
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                _collect(item, f"{path}.{index}" if path else str(index), messages)
            else:
                messages.append(f"{path}: {item}" if path else str(item))
    else:
        messages.append(f"{path}: {detail}" if path else str(detail))


# --- The error shapes, as the schema shows them -------------------------------------------


class FailedRuleSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The rule's code, as in the match response.")
    reason = serializers.CharField(help_text="Why it fails, in a sentence.")


class ErrorSerializer(serializers.Serializer):
    """Every error other than invalid input."""

    detail = serializers.CharField(help_text="A sentence saying what went wrong.")
    code = serializers.CharField(
        help_text="Stable machine-readable code: not_authenticated, authentication_failed, "
        "permission_denied, not_found, method_not_allowed, conflict, unsupported_media_type, "
        "account_locked, rules_failed, ..."
    )
    failed = FailedRuleSerializer(
        many=True,
        required=False,
        help_text="With rules_failed (409): each matching rule the live survivor and home "
        "rows now fail.",
    )


class ValidationErrorSerializer(serializers.Serializer):
    """Invalid input: messages per field (documented by the extension below)."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "Invalid input. Each key is a request field, or `non_field_errors` "
            "for the request as a whole (malformed JSON, a rule across fields); each value "
            "lists its messages. A message about part of a field starts with that part's "
            'dotted path, e.g. `"exclusion_zones": ["0.zip_code: ZIP code 00000 does not '
            'exist."]`.',
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"available_beds": ["Must be between 0 and the 6 licensed beds."]},
        }


ERROR_RESPONSES: dict[str, OpenApiResponse] = {
    "400": OpenApiResponse(ValidationErrorSerializer, description="Invalid input."),
    "401": OpenApiResponse(
        ErrorSerializer,
        description="Not signed in: no credentials, an unknown token, or a session that "
        "expired after 30 minutes idle.",
    ),
    "403": OpenApiResponse(
        ErrorSerializer, description="Signed in, but this role may not do this."
    ),
    "404": OpenApiResponse(
        ErrorSerializer,
        description="No such record, or one you may not see: the two answers are identical.",
    ),
    "409": OpenApiResponse(
        ErrorSerializer, description="The current state does not allow this change."
    ),
    "415": OpenApiResponse(ErrorSerializer, description="Send application/json."),
    "429": OpenApiResponse(
        ErrorSerializer,
        description="The account is locked after 5 failed sign-ins within 15 minutes.",
    ),
}


class HarborAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error responses each operation can give.

    Views only declare their success response (and any unusual error, like 429);
    the errors that follow from authentication, path ids, request bodies and query
    parameters are added here, so no endpoint can forget them.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(ERROR_RESPONSES[code], code)
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        requires_auth = not any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        has_body = "requestBody" in operation
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        codes = []
        if has_body or has_query:
            codes.append("400")
        if requires_auth:
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if has_body and requires_auth:
            codes.append("409")
        if has_body:
            codes.append("415")
        return codes
