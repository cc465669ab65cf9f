"""MS-8.4.3: once a vendor's exit has begun, its staff keep read access to the vendor pages
(statements, orders, cases) but can no longer act: every write to a `vendor:` page is refused
with a clear message, whatever app the page belongs to. A page that must stay writable to
finish the exit registers its URL name with `vendors.exit_progress.allow_write`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from vendors import exit_progress

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ExitedVendorReadOnlyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if request.method in SAFE_METHODS or match is None or match.namespace != "vendor":
            return None
        if exit_progress.writable_after_exit(match.view_name):
            return None
        user = getattr(request, "user", None)
        staff = (
            getattr(user, "vendor_staff", None)
            if getattr(user, "is_authenticated", False)
            else None
        )
        if staff is None:
            return None  # the view itself refuses non-vendor users
        from vendors.selectors import begun_exit

        exit_ = begun_exit(staff.vendor)
        if exit_ is None:
            return None
        return TemplateResponse(
            request,
            "vendor/exit_read_only.html",
            {"vendor": staff.vendor, "exit": exit_},
            status=403,
        )
