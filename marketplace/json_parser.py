"""The API's JSON parser: bounded size and nesting, storable text (issue 9 §4).

DRF's own parser hands `json.load` any body: 10,000 nested arrays raise `RecursionError`
(a 500, not the `ValueError` DRF turns into 400), and a body of any size is read whole. This
parser reads at most `API_JSON_MAX_BYTES` (413 beyond), refuses nesting deeper than
`API_JSON_MAX_DEPTH` and text holding NUL or lone surrogates (400), each as
`{code, message, details}` through `marketplace.api.exception_handler`.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from marketplace.request_values import has_unstorable, unstorable_message

DEFAULT_MAX_DEPTH = 32


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def max_bytes() -> int:
    return int(getattr(settings, "API_JSON_MAX_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


def max_depth() -> int:
    return int(getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = max_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(
                gettext("The request body is larger than %(limit)s bytes.") % {"limit": limit}
            )
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(
                gettext("The request body is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from exc
        _check_depth(text)
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(gettext("JSON parse error: %(error)s") % {"error": exc}) from exc
        if _holds_unstorable(data):
            raise ParseError(unstorable_message(), code="invalid_characters")
        return data


# A JSON string (escapes included) and the brackets that remain once strings are blanked.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than the limit before `json` recurses into it."""
    limit = max_depth()
    depth = 0
    for match in _BRACKETS.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            raise ParseError(
                gettext("JSON nested deeper than %(limit)s levels is not accepted.")
                % {"limit": limit},
                code="too_deep",
            )


def _holds_unstorable(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_unstorable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
