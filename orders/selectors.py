"""Reads of the orders app: scoping for vendor users and API callers, work queues."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Invoice, Order, Refund, ServiceAccount
from vendors.selectors import vendor_for_user

# --- vendor scoping (isolation): every vendor page goes through these ---------------------


def orders_for_vendor(*, user: Any) -> QuerySet[Order]:
    vendor = vendor_for_user(user=user)
    # Prefetched, not joined: a deep page (OFFSET 9,000 for the busiest vendor) joined to
    # products made PostgreSQL hash all 50,000 products and sort every row of the vendor
    # (100 ms); alone the orders read sorts one vendor's rows (10 ms), and two small
    # `IN` queries fetch the page's products and specifications (issue 11, vendor pages).
    return Order.objects.filter(vendor=vendor).prefetch_related("product", "specification")


def refunds_for_vendor(*, user: Any) -> QuerySet[Refund]:
    vendor = vendor_for_user(user=user)
    return Refund.objects.filter(vendor=vendor).select_related("order", "order__product")


def refund_for_vendor(*, user: Any, pk: int) -> Refund:
    """The vendor's own refund, or 404 (another vendor's ID looks like a missing one)."""
    refund = refunds_for_vendor(user=user).filter(pk=pk).first()
    if refund is None:
        raise Http404
    return refund


# --- API caller scoping: a service account sees its own channel only ----------------------


def orders_for_caller(*, caller: ServiceAccount) -> QuerySet[Order]:
    return Order.objects.filter(channel=caller.channel)


def order_for_caller(*, caller: ServiceAccount, pk: int) -> Order:
    order = orders_for_caller(caller=caller).filter(pk=pk).first()
    if order is None:
        raise Http404
    return order


def refund_for_caller(*, caller: ServiceAccount, pk: int) -> Refund:
    refund = (
        Refund.objects.filter(order__channel=caller.channel, pk=pk).select_related("order").first()
    )
    if refund is None:
        raise Http404
    return refund


def invoice_for_caller(*, caller: ServiceAccount, pk: int) -> Invoice:
    invoice = (
        Invoice.objects.filter(order__channel=caller.channel, pk=pk).select_related("order").first()
    )
    if invoice is None:
        raise Http404
    return invoice


# --- work queues ---------------------------------------------------------------------------


def refunds_awaiting_arbitration() -> QuerySet[Refund]:
    """Disputed requests and cases the platform took up (MS-5.1 arbitration)."""
    return Refund.objects.filter(
        status__in=[Refund.Status.VENDOR_DISPUTED, Refund.Status.ARBITRATION]
    ).select_related("order", "vendor")


def invoices_needing_red_letter() -> QuerySet[Invoice]:
    """MS-5.5 ②: invoices waiting for a red-letter form or the red invoice."""
    return Invoice.objects.filter(
        status__in=[Invoice.Status.RED_LETTER_REQUIRED, Invoice.Status.RED_LETTER_FORM_RECORDED]
    ).select_related("order", "vendor")


def review_period_passed_q(at: dt.datetime | None = None) -> Q:
    """Orders whose review period is over at `at` (or that never had one)."""
    at = at or timezone.now()
    return Q(review_rule="none") | Q(review_period_closed=True) | Q(review_period_ends_at__lt=at)


# --- exit checks (MS-3.1.5 ④, MS-8.4.1) ----------------------------------------------------


def vendor_outstanding_orders(vendor: Any) -> list[str]:
    """Registered with vendors.exit_checks: unfinished orders and open refund disputes."""
    reasons = []
    unfinished = Order.objects.filter(vendor=vendor, status__in=Order.UNFINISHED).count()
    if unfinished:
        reasons.append(
            _("%(n)s orders whose service is unfinished or not started (MS-8.4.1).")
            % {"n": unfinished}
        )
    disputes = Refund.objects.filter(vendor=vendor, status__in=Refund.OPEN).count()
    if disputes:
        reasons.append(_("%(n)s refund requests or disputes still open.") % {"n": disputes})
    return reasons


def refund_deduction_refusal(vendor: Any, reference: str, amount: Any) -> str | None:
    """MS-3.1.5 ② / MS-5.6: a deduction for a refund compensation names `refund:<id>`, a refund
    of this vendor that was agreed, approved or paid (a clawback deducts with it)."""
    prefix, _sep, number = (reference or "").partition(":")
    if prefix != "refund" or not number.isdigit() or len(number) > 18:
        return _("a refund deduction names its refund as refund:<number>.")
    if not Refund.objects.filter(
        pk=int(number), vendor_id=vendor.pk, status__in=Refund.COMMITTED
    ).exists():
        return _("there is no agreed, approved or paid refund %(reference)s of this vendor.") % {
            "reference": reference
        }
    return None
