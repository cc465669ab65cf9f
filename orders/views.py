"""Vendor-facing pages: the vendor's own orders and refunds, with agree/dispute actions.

Every view resolves the vendor from the user first and reads only through the scoping
selectors, so another vendor's IDs answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.exceptions import DomainError
from orders.models import Order, Refund
from orders.selectors import orders_for_vendor, refund_for_vendor, refunds_for_vendor
from orders.services import refund_vendor_agree, refund_vendor_dispute
from vendors.selectors import begun_exit, vendor_for_user

PER_PAGE = 50


def vendor_page(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.vendor = vendor_for_user(user=request.user)  # PermissionDenied -> 403
        return view(request, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


@vendor_page
def order_list(request: HttpRequest) -> HttpResponse:
    orders = orders_for_vendor(user=request.user)
    status = request.GET.get("status", "")
    if status in Order.Status.values:
        orders = orders.filter(status=status)
    q = request.GET.get("q", "").strip()[:64].replace("\x00", "")
    if q:  # a statement line's link: one order by its external ID
        orders = orders.filter(external_id__exact=q)
    context = {
        "vendor": request.vendor,
        "page": _page(request, orders.order_by("-paid_at", "-pk")),
        "statuses": Order.Status.choices,
        "status": status,
        "now": timezone.now(),
        "exit": begun_exit(request.vendor),  # MS-8.4.3: the after-sales duty, on its orders
    }
    return render(request, "orders/order_list.html", context)


@vendor_page
def refund_list(request: HttpRequest) -> HttpResponse:
    refunds = refunds_for_vendor(user=request.user)
    status = request.GET.get("status", "")
    if status in Refund.Status.values:
        refunds = refunds.filter(status=status)
    q = request.GET.get("q", "").strip()[:64].replace("\x00", "")
    if q:  # a statement line's link: one refund by its external ID
        refunds = refunds.filter(external_id__exact=q)
    context = {
        "vendor": request.vendor,
        "page": _page(request, refunds.order_by("-requested_at", "-pk")),
        "statuses": Refund.Status.choices,
        "status": status,
    }
    return render(request, "orders/refund_list.html", context)


@require_POST
@vendor_page
def refund_agree(request: HttpRequest, pk: int) -> HttpResponse:
    refund = refund_for_vendor(user=request.user, pk=pk)  # 404 for another vendor's refund
    try:
        refund_vendor_agree(refund=refund, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You agreed to refund %(ref)s.") % {"ref": refund})
    return redirect("vendor:refunds")


@require_POST
@vendor_page
def refund_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    refund = refund_for_vendor(user=request.user, pk=pk)
    try:
        refund_vendor_dispute(refund=refund, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("You disputed %(ref)s; the platform will arbitrate.") % {"ref": refund}
        )
    return redirect("vendor:refunds")
