"""Invoices (MS-4.5, MS-5.5, UA-4.4): issuer by sales mode, refund branches, reversal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from catalog.models import SalesMode
from marketplace.exceptions import StateConflict, ValidationFailed
from marketplace.timeutils import CHINA_TZ
from orders.exceptions import TransitionNotAllowed
from orders.models import Invoice, InvoiceDirection, RefundHandling
from orders.services import (
    InvoicePurpose,
    invoice_deliver,
    invoice_issue,
    invoice_issue_red,
    invoice_mark_certified,
    invoice_record_red_letter_form,
    invoice_request,
    refund_mark_refunded,
    refund_request,
    refund_vendor_agree,
)
from tests.orders.factories import PAID_AT, make_order

pytestmark = pytest.mark.django_db


def request(order, purpose=InvoicePurpose.SALE, kind="ordinary", ext="I-1", **kw):
    invoice, _created = invoice_request(
        order=order, external_id=ext, purpose=purpose, invoice_type=kind, **kw
    )
    return invoice


def refund(order, amount, at):
    r, _ = refund_request(
        order=order,
        external_id=f"R-{amount}-{at:%d}",
        reason_code="no_longer_needed",
        amount_requested=amount,
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),  # seeded history: received when it was asked
    )
    r = refund_vendor_agree(refund=r, actor=None)
    return refund_mark_refunded(refund=r, actor=None, reason="paid", at=at)


def test_ms_4_5_platform_mode_vendor_invoices_buyer_and_platform_invoices_fee():
    order = make_order(sales_mode=SalesMode.PLATFORM, amount="200.00")
    sale = request(order)
    fee = request(order, InvoicePurpose.SERVICE_FEE, ext="I-2")
    assert (sale.direction, sale.amount) == (InvoiceDirection.VENDOR_TO_BUYER, Decimal("200.00"))
    assert (fee.direction, fee.amount) == (InvoiceDirection.PLATFORM_TO_VENDOR, Decimal("20.00"))
    with pytest.raises(ValidationFailed) as err:
        request(order, InvoicePurpose.SETTLEMENT, kind="special", tax_id="9131", ext="I-3")
    assert err.value.code == "no_such_invoice"


def test_ms_4_5_consignment_platform_invoices_buyer_vendor_issues_special_for_settled():
    order = make_order(sales_mode=SalesMode.CONSIGNMENT, amount="200.00")
    sale = request(order)
    assert sale.direction == InvoiceDirection.PLATFORM_TO_BUYER
    with pytest.raises(ValidationFailed) as err:
        request(order, InvoicePurpose.SETTLEMENT, ext="I-2")
    assert err.value.code == "special_invoice_required"
    settled = request(order, InvoicePurpose.SETTLEMENT, kind="special", tax_id="9131", ext="I-3")
    assert settled.direction == InvoiceDirection.VENDOR_TO_PLATFORM
    assert settled.amount == Decimal("180.00")


def test_one_active_invoice_per_direction_and_idempotent_retry():
    order = make_order()
    first = request(order)
    assert request(order).pk == first.pk
    with pytest.raises(StateConflict) as err:
        request(order, ext="I-2")
    assert err.value.code == "invoice_exists"
    assert Invoice.objects.count() == 1


def _issued_and_delivered(order, issued_on):
    invoice = request(order)
    invoice = invoice_issue(invoice=invoice, number="No.0001", issued_on=issued_on, actor=None)
    return invoice_deliver(invoice=invoice, actor=None)


def test_ms_5_5_platform_mode_refund_is_the_vendor_and_buyers_affair():
    order = make_order(sales_mode=SalesMode.PLATFORM)
    invoice = _issued_and_delivered(order, dt.date(2026, 7, 1))
    refund(order, "100.00", dt.datetime(2026, 7, 3, tzinfo=CHINA_TZ))
    invoice.refresh_from_db()
    assert invoice.refund_handling == RefundHandling.VENDOR_BUYER_AFFAIR
    assert invoice.status == Invoice.Status.DELIVERED


def test_ms_5_5_1_returned_in_its_month_not_certified_is_voided():
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    invoice = _issued_and_delivered(order, dt.date(2026, 7, 1))
    refund(order, "100.00", dt.datetime(2026, 7, 31, 23, 0, tzinfo=CHINA_TZ))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert invoice.refund_handling == RefundHandling.VOID


def test_ms_5_5_2_month_passed_needs_red_letter_form_then_red_invoice():
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    invoice = _issued_and_delivered(order, dt.date(2026, 7, 1))
    refund(order, "100.00", dt.datetime(2026, 8, 1, 0, 30, tzinfo=CHINA_TZ))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.RED_LETTER_REQUIRED
    with pytest.raises(TransitionNotAllowed):  # the form comes first
        invoice_issue_red(invoice=invoice, number="R1", issued_on=dt.date(2026, 8, 2), actor=None)
    invoice = invoice_record_red_letter_form(invoice=invoice, form_number="F-77", actor=None)
    invoice = invoice_issue_red(
        invoice=invoice, number="R1", issued_on=dt.date(2026, 8, 2), actor=None
    )
    assert invoice.status == Invoice.Status.REVERSED
    assert Invoice.objects.filter(pk=invoice.pk).exists()  # never deleted


def test_ms_5_5_2_certified_in_the_same_month_also_needs_red_letter():
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    invoice = _issued_and_delivered(order, dt.date(2026, 7, 1))
    invoice_mark_certified(invoice=invoice, actor=None)
    refund(order, "40.00", dt.datetime(2026, 7, 10, tzinfo=CHINA_TZ))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.RED_LETTER_REQUIRED
    assert invoice.refunded_amount == Decimal("40.00")


def test_ms_5_5_3_not_issued_yet_nothing_needed():
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    partial = request(order)
    refund(order, "30.00", dt.datetime(2026, 7, 3, tzinfo=CHINA_TZ))
    partial.refresh_from_db()
    assert partial.refund_handling == RefundHandling.NOTHING_NEEDED
    assert partial.status == Invoice.Status.REQUESTED and partial.amount == Decimal("70.00")
    refund(order, "70.00", dt.datetime(2026, 7, 4, tzinfo=CHINA_TZ))
    partial.refresh_from_db()
    assert partial.status == Invoice.Status.CANCELLED


def test_invoice_transitions_refused_from_the_wrong_state():
    order = make_order()
    invoice = request(order)
    with pytest.raises(TransitionNotAllowed):
        invoice_deliver(invoice=invoice, actor=None)
    with pytest.raises(ValidationFailed) as err:
        invoice_issue(invoice=invoice, number=" ", issued_on=dt.date(2026, 7, 1), actor=None)
    assert err.value.code == "number_required"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.REQUESTED and invoice.number == ""


def test_ms_5_5_3_issued_but_not_delivered_is_voided_nothing_needed_of_the_buyer():
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    invoice = invoice_issue(
        invoice=request(order), number="No.2", issued_on=dt.date(2026, 7, 1), actor=None
    )
    refund(order, "100.00", dt.datetime(2026, 9, 3, tzinfo=CHINA_TZ))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert invoice.refund_handling == RefundHandling.NOTHING_NEEDED
