"""Refuse request values the database cannot store, in one place (issue 9 §4).

PostgreSQL refuses NUL (U+0000) in text, and a lone surrogate (U+D800-U+DFFF) cannot be
encoded as UTF-8 for any database: such a value in a changelist filter, a search box, a form
field or a note reaches a query and answers 500. No person types either, so the request is
refused before any view runs: a 400 with a translated message (`{code, message, details}`
under the API), and nothing is read from or written to the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

# Characters no text column takes: NUL (PostgreSQL) and lone UTF-16 surrogates (UTF-8).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
CODE = "invalid_characters"
logger = logging.getLogger(__name__)


def has_unstorable(value: str) -> bool:
    return UNSTORABLE.search(value) is not None


def unstorable_message() -> str:
    return gettext(
        "The request contains a character that cannot be stored (a NUL byte or an invalid "
        "Unicode character). Remove it and try again."
    )


def _offending(request: HttpRequest) -> str | None:
    """Name of the first parameter whose name or value holds an unstorable character."""
    if has_unstorable(request.path):
        return "path"
    sources: list[Iterable[tuple[str, list]]] = [request.GET.lists(), request.COOKIES.items()]
    if request.method not in ("GET", "HEAD", "OPTIONS") and _is_form(request):
        # Reading POST here is safe for DRF too: it reuses the parsed form (request.POST).
        sources += [request.POST.lists(), request.FILES.lists()]
    for source in sources:
        for key, values in source:
            items = values if isinstance(values, list) else [values]
            if has_unstorable(key):
                return "parameter name"
            for item in items:
                text = getattr(item, "name", item)  # an uploaded file: its name
                if isinstance(text, str) and has_unstorable(text):
                    return key
    return None


def _is_form(request: HttpRequest) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "")
    return content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))


class UnstorableCharactersMiddleware:
    """Answer 400 to a request carrying NUL or a lone surrogate in any parameter.

    Also turns `OverflowError` (a number past the column, a date past `datetime`'s range
    once moved to UTC, e.g. an admin date filter `?paid_at__gte=0001-01-01T00:00+08:00`)
    into the same kind of 400: a value out of range is the caller's input, not a crash.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _offending(request)
        if field is None:
            return self.get_response(request)
        return _refusal(request, CODE, unstorable_message(), field)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OverflowError):
            return None
        logger.warning("value out of range in %s: %s", request.path, exception)
        message = gettext("A number or date in the request is out of the range that can be stored.")
        return _refusal(request, "out_of_range", message, "value")


def _refusal(request: HttpRequest, code: str, message: str, field: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        from marketplace.api import error_body

        return JsonResponse(error_body(code, message, {field: [message]}), status=400)
    html = render_to_string(
        "marketplace/bad_request.html", {"errors": [message], "field": field}, request=None
    )
    return HttpResponse(html, status=400)
