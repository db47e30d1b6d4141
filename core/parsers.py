"""The API's one request parser: JSON, refusing what the json module cannot parse safely."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class HarborJSONParser(JSONParser):
    """DRF's JSON parser; a body nested deeper than Python's recursion limit (say
    `"[" * 50000`) is malformed JSON, a 400, instead of a RecursionError and a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
