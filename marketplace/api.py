"""API plumbing shared by every app: error bodies with a stable code and translated message."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.exceptions import DomainError


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error is `{"code", "message", "details"?}` with the right status."""
    if isinstance(exc, DomainError):
        # A domain error about one input names it: details {field: [message]} (issue 9 §1).
        field = exc.params.get("field")
        details = {str(field): [str(exc)]} if field else None
        return Response(error_body(exc.code, str(exc), details), status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response(error_body("invalid", str(exc.messages[0]), details), status=400)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = error_body("invalid", _first_message(exc.detail), exc.detail)
    elif isinstance(exc, drf_exceptions.Throttled):
        # Issue 8 §3: DRF has set Retry-After; the body says the same in words.
        wait = math.ceil(exc.wait) if exc.wait is not None else None
        message = (
            gettext("Too many requests from this service account. Retry in %(seconds)s s.")
            % {"seconds": wait}
            if wait is not None
            else gettext("Too many requests from this service account. Retry later.")
        )
        response.data = error_body("throttled", message, {"retry_after_seconds": wait})
        if wait is not None:
            response["Retry-After"] = str(max(wait, 1))  # whole seconds, rounded up
    elif isinstance(exc, drf_exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), str(exc.detail))
    return response


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)
