"""Sign-in and session protection shared by the admin, the vendor pages and the API docs.

Issue 8 §3: idle sessions end after a working day (sliding), the OpenAPI schema and Swagger
UI need a staff login or an API token in production, the sign-in lockout page (django-axes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

LAST_SEEN_KEY = "_last_seen"


def _now() -> int:
    return int(time.time())


def idle_limit_seconds(user: Any) -> int:
    if user.is_staff:
        return settings.STAFF_SESSION_IDLE_SECONDS
    return settings.VENDOR_SESSION_IDLE_SECONDS


def restamp_interval(limit: int) -> int:
    """How often a visit re-stamps the session: a tenth of the idle limit, 1 to 5 minutes.

    A session may so end up to that much before the full idle limit; in exchange ordinary
    browsing writes the session once every few minutes, not on every request.
    """
    return max(1, min(300, max(60, limit // 10), limit))


def stamp_session(request: HttpRequest, user: Any) -> None:
    limit = idle_limit_seconds(user)
    request.session[LAST_SEEN_KEY] = _now()
    request.session.set_expiry(limit)


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Stamp the session at sign-in, so the first page after it writes nothing."""
    if request is not None and hasattr(request, "session"):
        stamp_session(request, user)


class IdleSessionMiddleware:
    """Ends a session idle for longer than the user's limit; each visit slides the limit.

    The server checks the last visit itself (a kept cookie does not extend a session). The
    session is stamped at sign-in and re-stamped at most every `restamp_interval`, so
    ordinary browsing writes the session rarely.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            limit = idle_limit_seconds(user)
            now = _now()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, int) and now - last_seen > limit:
                logout(request)
                messages.info(
                    request,
                    gettext("You were signed out after %(hours)s hours without activity.")
                    % {"hours": _hours(limit)},
                )
            elif not isinstance(last_seen, int) or now - last_seen >= restamp_interval(limit):
                stamp_session(request, user)
        return self.get_response(request)


def _hours(seconds: int) -> str:
    hours = seconds / 3600
    return f"{hours:g}" if hours >= 1 else f"{hours:.2f}"


class ApiDocsAccess(BasePermission):
    """The schema and Swagger UI: anyone in development; in production a signed-in staff
    user (session) or a caller with a valid API token."""

    message = _("A staff login or a valid API token is required.")

    def has_permission(self, request: Any, view: Any) -> bool:
        if not getattr(settings, "PRODUCTION", False):
            return True
        authenticator = request.successful_authenticator
        if authenticator is None:
            return False
        if isinstance(authenticator, SessionAuthentication):
            return bool(request.user.is_active and request.user.is_staff)
        return True  # a token authenticator accepted the caller's token


def docs_login_redirect(view: Any, exc: Exception) -> HttpResponse | None:
    """A browser without a session reaching the docs is sent to the admin sign-in."""
    request = view.request
    if (
        isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.PermissionDenied)
        and request.successful_authenticator is None
        and "text/html" in request.headers.get("Accept", "")
    ):
        return redirect_to_login(request.get_full_path(), "admin:login")
    return None


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the translated lockout page (429), in the admin's look for
    `/admin/` sign-ins and the vendor centre's look for `/accounts/login/`."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.contrib import admin
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else 0,
        "title": gettext("Sign-in locked"),
    }
    if request.path.startswith("/admin/"):
        context.update(admin.site.each_context(request))
        template = "admin/locked_out.html"
    else:
        template = "registration/locked_out.html"
    response = render(request, template, context, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
