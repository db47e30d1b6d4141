"""The API's one pagination: `?limit=` and `?offset=`, with a `count`."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class HarborPagination(LimitOffsetPagination):
    """DRF's limit/offset, but a malformed or out-of-range value is a 400 instead of being
    silently replaced: a script asking for `limit=5O` should hear about it, not get 50 rows."""

    # Every survivor returned in a list writes an audit row: a page stays a page.
    max_limit = 200

    def get_limit(self, request) -> int | None:
        limit = self._whole_number(request, self.limit_query_param, minimum=1)
        if limit is not None and limit > self.max_limit:
            raise ValidationError({self.limit_query_param: [f"At most {self.max_limit}."]})
        return self.default_limit if limit is None else limit

    def get_offset(self, request) -> int:
        offset = self._whole_number(request, self.offset_query_param, minimum=0)
        return 0 if offset is None else offset

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters

    @staticmethod
    def _whole_number(request, name: str, *, minimum: int) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        raw = values[-1]
        if len(values) > 1 or not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
            raise ValidationError({name: [f"Give one whole number, at least {minimum}."]})
        return int(raw)
