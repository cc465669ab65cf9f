"""Data for the sweep tests, written straight to the tables (bulk where sizes matter).

The rules read state; how that state came about is the other apps' business and tested
there. Where a test is about the hand-over between apps (a top-up lifting a suspension, a
failure hiding a product) it goes through the other app's real service instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.core.management import call_command

from catalog.models import Product, ProductKind, ReviewPeriodRule
from marketplace.timeutils import CHINA_TZ
from orders.models import DeliveryFailure, Order, Refund, RefundBasis, RefundReason
from tests.factories import ProductFactory, SpecificationFactory, VendorFactory
from vendors.models import DepositEntry, DepositRefund, TopUpObligation, VendorDocument

_seq = itertools.count(1)


def at(text: str) -> dt.datetime:
    """A China-time moment from 'YYYY-MM-DD HH:MM[:SS]'."""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=CHINA_TZ)


def sweep(as_of: dt.datetime, *rules: str) -> str:
    """Run the command as of `as_of`; returns its output."""
    from io import StringIO

    out = StringIO()
    # Tests replay fixed moments, some after today's date (issue 9: refused without the flag).
    args = ["run_compliance_sweep", "--as-of", as_of.isoformat(), "--allow-future"]
    for rule in rules:
        args += ["--rule", rule]
    call_command(*args, stdout=out)
    return out.getvalue()


def vendor(**kwargs):
    return VendorFactory(**kwargs)


def product(v, *, saas: bool = False, **kwargs) -> Product:
    return ProductFactory(
        vendor=v,
        kind=ProductKind.SAAS if saas else ProductKind.SOFTWARE,
        saas_delivered=saas,
        status=Product.Status.LISTED,
        **kwargs,
    )


def orders(v, n: int, *, paid_at: dt.datetime, prod: Product | None = None) -> list[Order]:
    """`n` paid orders of vendor `v`, bulk-inserted."""
    prod = prod or product(v)
    spec = SpecificationFactory(product=prod)
    objs = [
        Order(
            channel="cn",
            external_id=f"SW-{next(_seq)}",
            buyer_account_id="200000000001",
            vendor=v,
            product=prod,
            specification=spec,
            kind=prod.kind,
            sales_mode=prod.sales_mode,
            saas_delivered=prod.saas_delivered,
            unit_price=Decimal("100.00"),
            billing_period="once",
            service_fee_rate=Decimal("0.1000"),
            amount=Decimal("100.00"),
            paid_at=paid_at,
            review_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
            review_days=5,
            review_period_ends_at=paid_at + dt.timedelta(days=5),
        )
        for _ in range(n)
    ]
    return Order.objects.bulk_create(objs)


def refund(
    order: Order,
    *,
    refunded_at: dt.datetime,
    reason: str = RefundReason.NOT_AS_EXPECTED,
    status: str = Refund.Status.REFUNDED,
) -> Refund:
    return Refund.objects.create(
        order=order,
        vendor_id=order.vendor_id,
        external_id=f"R-{next(_seq)}",
        reason_code=reason,
        counts_against_vendor=reason
        in (RefundReason.NOT_AS_EXPECTED, RefundReason.SLOW_OR_RUDE, RefundReason.NOT_RECEIVED),
        amount_requested=order.amount,
        requested_at=refunded_at - dt.timedelta(hours=1),
        paid_amount=order.amount,
        already_refunded=Decimal("0.00"),
        review_rule=order.review_rule,
        in_review_period=True,
        consumed_fraction=Decimal("0"),
        basis=RefundBasis.REVIEW_PERIOD,
        computed_amount=order.amount,
        approved_amount=order.amount,
        status=status,
        refunded_at=refunded_at if status == Refund.Status.REFUNDED else None,
    )


def failure(v, *, failed_at: dt.datetime, prod: Product | None = None) -> DeliveryFailure:
    prod = prod or product(v, saas=True)
    (order,) = orders(v, 1, paid_at=failed_at - dt.timedelta(hours=1), prod=prod)
    order.status = Order.Status.DELIVERY_FAILED
    order.save(update_fields=["status"])
    return DeliveryFailure.objects.create(
        order=order, vendor=v, product=prod, failed_at=failed_at, reason="licence server down"
    )


def obligation(v, *, due_at: dt.datetime, amount: str = "500.00") -> TopUpObligation:
    entry = DepositEntry(
        vendor=v,
        kind="deduction",
        amount=Decimal(amount),
        delta=-Decimal(amount),
        cause="violation",
        reference=f"case-{next(_seq)}",
        reason="test deduction",
        created_at=due_at - dt.timedelta(days=9),
    )
    entry.save()
    return TopUpObligation.objects.create(
        vendor=v,
        opened_by=entry,
        opened_at=entry.created_at,
        due_at=due_at,
        amount_due=Decimal(amount),
    )


def document(v, *, valid_until: dt.date, kind: str = "business_licence") -> VendorDocument:
    return VendorDocument.objects.create(
        vendor=v,
        kind=kind,
        file="vendor-documents/test.pdf",
        valid_from=valid_until - dt.timedelta(days=365),
        valid_until=valid_until,
    )


def deposit_refund(v, *, due_at: dt.datetime) -> DepositRefund:
    return DepositRefund.objects.create(
        vendor=v,
        status=DepositRefund.Status.RECEIPT_RECEIVED,
        requested_at=due_at - dt.timedelta(days=30),
        receipt_received_at=due_at - dt.timedelta(days=21),
        due_at=due_at,
    )
