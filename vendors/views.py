"""Vendor-facing pages of this app: home, deposit ledger, onboarding (namespace `vendor`).

Every view resolves the user's vendor with `vendor_for_user` first (403 for anyone who is not
vendor staff) and reads only through the scoping selectors, so another vendor's IDs give 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from vendors import dashboard
from vendors.checklist import application_missing_items
from vendors.models import DepositRefund, OnboardingApplication
from vendors.selectors import (
    applications_for_vendor,
    deposit_entries_for_vendor,
    deposit_position,
    documents_expiring,
    documents_for_vendor,
    open_obligations,
    vendor_for_user,
)

ENTRIES_PER_PAGE = 50


def vendor_page(view: Callable) -> Callable:
    """Log-in required; the request gets `request.vendor`, the only vendor it may see."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.vendor = vendor_for_user(user=request.user)  # PermissionDenied -> 403
        return view(request, *args, **kwargs)

    return wrapper


def _latest_application(request: HttpRequest) -> OnboardingApplication | None:
    return applications_for_vendor(user=request.user).order_by("-pk").first()


@vendor_page
def home(request: HttpRequest) -> HttpResponse:
    vendor = request.vendor
    application = _latest_application(request)
    context = {
        "vendor": vendor,
        "store": getattr(vendor, "store", None),
        "position": deposit_position(vendor),
        "obligations": list(open_obligations(vendor)),
        "expiring": list(documents_expiring().filter(vendor=vendor)),
        "application": application,
        "missing": application_missing_items(application)
        if application and application.status != OnboardingApplication.Status.APPROVED
        else [],
        "panels": dashboard.panels(request, vendor),
    }
    return render(request, "vendor/home.html", context)


@vendor_page
def deposit(request: HttpRequest) -> HttpResponse:
    vendor = request.vendor
    page = Paginator(deposit_entries_for_vendor(user=request.user), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "vendor": vendor,
        "position": deposit_position(vendor),
        "obligations": list(open_obligations(vendor)),
        "page": page,
        "refund": DepositRefund.objects.filter(vendor=vendor).first(),
    }
    return render(request, "vendor/deposit.html", context)


@vendor_page
def onboarding(request: HttpRequest) -> HttpResponse:
    application = _latest_application(request)
    return _application_page(request, application)


@vendor_page
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(applications_for_vendor(user=request.user), pk=pk)
    return _application_page(request, application)


def _application_page(
    request: HttpRequest, application: OnboardingApplication | None
) -> HttpResponse:
    context = {
        "vendor": request.vendor,
        "application": application,
        "applications": applications_for_vendor(user=request.user).order_by("-pk"),
        "missing": application_missing_items(application) if application else [],
        "documents": documents_for_vendor(user=request.user).filter(replaced_at__isnull=True),
        "expiring_ids": set(
            documents_expiring().filter(vendor=request.vendor).values_list("pk", flat=True)
        ),
    }
    return render(request, "vendor/onboarding.html", context)


@vendor_page
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    document = get_object_or_404(documents_for_vendor(user=request.user), pk=pk)
    return FileResponse(document.file.open("rb"), as_attachment=False)
