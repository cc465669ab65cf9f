"""Vendor-facing pages: the vendor's own orders (list, CSV, one order's timeline), refunds
(list, one refund with its answer), refund terms (MS-5.7.2) and invoices (MS-4.5).

Every view resolves the vendor from the user first and reads only through the scoping
selectors, so another vendor's IDs answer 404.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.selectors import products_for_vendor
from marketplace.exceptions import DomainError
from marketplace.money import format_cny
from marketplace.timeutils import start_of_day
from marketplace.workcalendar import WorkCalendar
from orders.admin.display import china
from orders.forms import InvoiceFilterForm, OrderFilterForm, RefundAnswerForm, RefundTermsForm
from orders.models import Invoice, Order, Refund, RefundBasis, RefundEvidence
from orders.selectors import (
    SALES_MODE_DIRECTIONS,
    invoices_for_vendor,
    order_for_vendor,
    order_timeline,
    orders_for_vendor,
    refund_decision_facts,
    refund_evidence,
    refund_for_vendor,
    refund_reply_deadline,
    refund_reply_working_days,
    refund_terms_for_vendor,
    refunds_for_vendor,
)
from orders.services import refund_vendor_agree, refund_vendor_dispute
from orders.services.refunds import vendor_terms_submit
from vendors.pages import vendor_page
from vendors.selectors import begun_exit

PER_PAGE = 50
# The CSV export refuses more rows than this (a setting): a file Excel opens in one go, and a
# request that ends in seconds; the vendor narrows the dates instead (docs/decisions/orders.md).
DEFAULT_EXPORT_MAX_ROWS = 100_000


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    """The list's filters as a query string, for the pager and the export link."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _order_filters(request: HttpRequest) -> OrderFilterForm:
    form = OrderFilterForm(request.GET or None, products=products_for_vendor(user=request.user))
    form.is_valid()
    return form


@vendor_page
def order_list(request: HttpRequest) -> HttpResponse:
    form = _order_filters(request)
    orders = orders_for_vendor(user=request.user)
    # Bad filters show their errors and no rows rather than a list that ignores them.
    orders = form.filter(orders) if form.is_bound and form.is_valid() else orders
    if form.is_bound and not form.is_valid():
        orders = orders.none()
    # The page is an OFFSET over the vendor's rows (index vendor, paid_at) and the count is
    # one vendor's: 9,073 rows for the busiest vendor of the 2,000,000-order benchmark.
    context = {
        "vendor": request.vendor,
        "form": form,
        "page": _page(request, orders.order_by("-paid_at", "-pk")),
        "query": _query_without_page(request),
        "now": timezone.now(),
        "exit": begun_exit(request.vendor),  # MS-8.4.3: the after-sales duty, on its orders
    }
    return render(request, "orders/order_list.html", context, status=400 if form.errors else 200)


# Excel runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@vendor_page
def order_export(request: HttpRequest) -> HttpResponse:
    """The filtered orders as CSV for Excel: UTF-8 with a BOM (Excel in China reads a CSV
    without one as GB18030), translated headers, money as plain decimals, China time."""
    form = _order_filters(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Fix the filters before downloading."))
        return order_list(request)
    orders = orders_for_vendor(user=request.user)
    if form.is_bound:
        orders = form.filter(orders)
    limit = int(getattr(settings, "VENDOR_ORDER_EXPORT_MAX_ROWS", DEFAULT_EXPORT_MAX_ROWS))
    total = orders.count()
    if total > limit:
        messages.error(
            request,
            _("%(n)s orders match: more than %(limit)s for one file. Narrow the dates.")
            % {"n": f"{total:,}", "limit": f"{limit:,}"},
        )
        return redirect(f"{reverse('vendor:orders')}?{_query_without_page(request)}")
    rows = (
        orders.order_by("-paid_at", "-pk")
        .values_list(
            "external_id",
            "buyer_account_id",
            "product__title",
            "specification__name",
            "sales_mode",
            "amount",
            "paid_at",
            "status",
            "review_period_ends_at",
            "delivered_at",
            "service_confirmed_at",
            "settled_at",
            "settled_amount",
        )
        .iterator(chunk_size=2000)
    )
    statuses = dict(Order.Status.choices)
    modes = {"platform": _("Platform mode"), "consignment": _("Consignment")}
    header = [
        _("External order ID"),
        _("Buyer account"),
        _("Product"),
        _("Specification"),
        _("Sales mode"),
        _("Amount (CNY)"),
        _("Paid at (China time)"),
        _("Status"),
        _("Review period ends (China time)"),
        _("Delivered at (China time)"),
        _("Service confirmed at (China time)"),
        _("Settled at (China time)"),
        _("Settled amount (CNY)"),
    ]

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            (
                ext,
                buyer,
                title,
                spec,
                mode,
                amount,
                paid,
                status,
                review,
                deliv,
                conf,
                settled,
                s_amount,
            ) = row
            yield writer.writerow(
                [
                    _cell(ext),
                    _cell(buyer),
                    _cell(title),
                    _cell(spec),
                    modes.get(mode, mode),
                    f"{amount:f}",
                    china(paid),
                    statuses.get(status, status),
                    china(review) if review else "",
                    china(deliv) if deliv else "",
                    china(conf) if conf else "",
                    china(settled) if settled else "",
                    f"{s_amount:f}" if s_amount is not None else "",
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"orders-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@vendor_page
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for_vendor(user=request.user, pk=pk)  # 404 for another vendor's order
    return render(
        request,
        "orders/order_detail.html",
        {"vendor": request.vendor, "order": order, "timeline": order_timeline(order)},
    )


@vendor_page
def refund_list(request: HttpRequest) -> HttpResponse:
    refunds = refunds_for_vendor(user=request.user)
    status = request.GET.get("status", "")
    if status in Refund.Status.values:
        refunds = refunds.filter(status=status)
    q = request.GET.get("q", "").strip()[:64].replace("\x00", "")
    if q:  # a statement line's link: one refund by its external ID
        refunds = refunds.filter(external_id__exact=q)
    page = _page(request, refunds.order_by("-requested_at", "-pk"))
    calendar = WorkCalendar()  # one calendar for the page's deadlines (two queries)
    rows = [(refund, refund_reply_deadline(refund, calendar)) for refund in page]
    context = {
        "vendor": request.vendor,
        "page": page,
        "rows": rows,
        "statuses": Refund.Status.choices,
        "status": status,
        "query": _query_without_page(request),
        "reply_days": refund_reply_working_days(),
    }
    return render(request, "orders/refund_list.html", context)


def _refund_page(
    request: HttpRequest, refund: Refund, form: RefundAnswerForm | None = None, status: int = 200
) -> HttpResponse:
    from orders.admin.decision import why

    facts = refund_decision_facts(refund)
    context = {
        "vendor": request.vendor,
        "refund": refund,
        "order": refund.order,
        "facts": facts,
        # The same sentence the arbitrator reads (orders/admin/decision.py): one source.
        "why": why(facts),
        "basis_label": RefundBasis(facts.quote.basis).label,
        "remaining_text": format_cny(facts.remaining),
        "buyer_evidence": refund_evidence(refund),
        "vendor_evidence": RefundEvidence.objects.filter(refund=refund),
        "deadline": refund_reply_deadline(refund),
        "reply_days": refund_reply_working_days(),
        "form": form or RefundAnswerForm(),
        "now": timezone.now(),
    }
    return render(request, "orders/refund_detail.html", context, status=status)


@vendor_page
def refund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    refund = refund_for_vendor(user=request.user, pk=pk)  # 404 for another vendor's refund
    return _refund_page(request, refund)


def _answer(request: HttpRequest, pk: int, *, disputing: bool) -> HttpResponse:
    refund = refund_for_vendor(user=request.user, pk=pk)
    form = RefundAnswerForm(request.POST, request.FILES, disputing=disputing)
    if not form.is_valid():
        return _refund_page(request, refund, form, status=400)
    data = form.cleaned_data
    service = refund_vendor_dispute if disputing else refund_vendor_agree
    try:
        service(
            refund=refund,
            actor=request.user,
            note=data["note"],
            evidence_urls=[data["evidence_url"]] if data.get("evidence_url") else [],
            evidence_files=[data["evidence_file"]] if data.get("evidence_file") else [],
        )
    except DomainError as exc:
        # A state the answer no longer fits (answered twice, in another tab): said, not a 500.
        messages.error(request, str(exc))
        return redirect("vendor:refund", pk=refund.pk)
    if disputing:
        messages.success(
            request, _("You disputed %(ref)s; the platform will arbitrate.") % {"ref": refund}
        )
    else:
        messages.success(request, _("You agreed to refund %(ref)s.") % {"ref": refund})
    return redirect("vendor:refund", pk=refund.pk)


@require_POST
@vendor_page
def refund_agree(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, disputing=False)


@require_POST
@vendor_page
def refund_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(request, pk, disputing=True)


@vendor_page
def refund_terms(request: HttpRequest) -> HttpResponse:
    """MS-5.7.2: the vendor proposes its own refund terms and sees their approval state."""
    products = products_for_vendor(user=request.user)
    form = RefundTermsForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            vendor_terms_submit(
                vendor=request.vendor,
                product=data["product"],
                text=data["text"],
                refund_percent=data["refund_percent"],
                effective_from=start_of_day(data["effective_from"]),
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Your refund terms were sent to the platform for approval.")
            )
            return redirect("vendor:refund_terms")
    terms = refund_terms_for_vendor(user=request.user).order_by("-pk")[:100]
    return render(
        request,
        "orders/refund_terms.html",
        {"vendor": request.vendor, "form": form, "terms": terms},
        status=400 if form.errors else 200,
    )


@vendor_page
def invoice_list(request: HttpRequest) -> HttpResponse:
    """MS-4.5: the invoices of the vendor's orders by sales mode, with MS-5.5 red-letter state."""
    form = InvoiceFilterForm(request.GET or None)
    invoices = invoices_for_vendor(user=request.user)
    if form.is_bound and form.is_valid():
        invoices = form.filter(invoices)
    elif form.is_bound:
        invoices = invoices.none()
    modes = {
        direction: mode
        for mode, directions in SALES_MODE_DIRECTIONS.items()
        for direction in directions
    }
    page = _page(request, invoices.order_by("-requested_at", "-pk"))
    return render(
        request,
        "orders/invoice_list.html",
        {
            "vendor": request.vendor,
            "form": form,
            "page": page,
            "rows": [(invoice, modes.get(invoice.direction, "")) for invoice in page],
            "query": _query_without_page(request),
            "red_states": (
                Invoice.Status.RED_LETTER_REQUIRED,
                Invoice.Status.RED_LETTER_FORM_RECORDED,
            ),
        },
        status=400 if form.errors else 200,
    )
