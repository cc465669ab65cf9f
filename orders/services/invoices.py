"""Invoice services (MS-4.5, MS-5.5, UA-4.4). Invoices are never deleted, only reversed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import SalesMode
from marketplace.audit import save_audited
from marketplace.exceptions import StateConflict, ValidationFailed
from marketplace.money import ZERO, to_money
from marketplace.service_helpers import lock_row, run_transition
from marketplace.timeutils import china_date
from orders.exceptions import ExternalIdConflict
from orders.models import (
    Invoice,
    InvoiceDirection,
    InvoiceType,
    Order,
    RefundHandling,
)
from orders.services.common import reason_with_caller, split_api_caller

__all__ = [
    "InvoicePurpose",
    "invoice_deliver",
    "invoice_direction",
    "invoice_issue",
    "invoice_issue_red",
    "invoice_mark_certified",
    "invoice_record_red_letter_form",
    "invoice_request",
    "invoices_apply_refund",
]


class InvoicePurpose:
    SALE = "sale"  # the buyer's invoice for the price
    SERVICE_FEE = "service_fee"  # platform mode: platform → vendor
    SETTLEMENT = "settlement"  # consignment: vendor → platform, VAT special
    ALL = (SALE, SERVICE_FEE, SETTLEMENT)


def invoice_direction(*, sales_mode: str, purpose: str) -> str:
    """MS-4.5: who invoices whom follows the sales mode."""
    table = {
        (SalesMode.PLATFORM, InvoicePurpose.SALE): InvoiceDirection.VENDOR_TO_BUYER,
        (SalesMode.PLATFORM, InvoicePurpose.SERVICE_FEE): InvoiceDirection.PLATFORM_TO_VENDOR,
        (SalesMode.CONSIGNMENT, InvoicePurpose.SALE): InvoiceDirection.PLATFORM_TO_BUYER,
        (SalesMode.CONSIGNMENT, InvoicePurpose.SETTLEMENT): InvoiceDirection.VENDOR_TO_PLATFORM,
    }
    direction = table.get((sales_mode, purpose))
    if direction is None:
        raise ValidationFailed(
            _("No such invoice in this order's sales mode (MS-4.5)."), code="no_such_invoice"
        )
    return direction


def _amount(order: Order, direction: str) -> Decimal:
    fee = to_money(order.amount * order.service_fee_rate)
    if direction == InvoiceDirection.PLATFORM_TO_VENDOR:
        return fee
    if direction == InvoiceDirection.VENDOR_TO_PLATFORM:
        return order.amount - fee  # the settled amount after platform fees
    refunded = order.refunds.filter(status="refunded").aggregate(s=Sum("approved_amount"))["s"]
    return order.amount - to_money(refunded or ZERO)


@transaction.atomic
def invoice_request(
    *,
    order: Order,
    external_id: str,
    purpose: str,
    invoice_type: str,
    title: str = "",
    tax_id: str = "",
    actor: Any = None,
) -> tuple[Invoice, bool]:
    """Request an invoice of an order; idempotent on (order, external ID)."""
    caller, actor = split_api_caller(actor)
    if invoice_type not in InvoiceType.values:
        raise ValidationFailed(_("Unknown invoice type."), code="unknown_invoice_type")
    direction = invoice_direction(sales_mode=order.sales_mode, purpose=purpose)
    if direction == InvoiceDirection.VENDOR_TO_PLATFORM and invoice_type != InvoiceType.SPECIAL:
        # MS-4.5: consignment settlement is invoiced with a VAT special invoice.
        raise ValidationFailed(
            _("The vendor invoices the platform with a VAT special invoice (MS-4.5)."),
            code="special_invoice_required",
        )
    if invoice_type == InvoiceType.SPECIAL and not tax_id.strip():
        raise ValidationFailed(
            _("A VAT special invoice needs the taxpayer ID."), code="tax_id_required"
        )
    order = lock_row(Order, order.pk)
    existing = Invoice.objects.filter(order=order, external_id=external_id).first()
    if existing is not None:
        same = (existing.direction, existing.invoice_type, existing.title, existing.tax_id) == (
            direction,
            invoice_type,
            title,
            tax_id,
        )
        if not same:
            raise ExternalIdConflict(external_id=external_id)
        return existing, False
    if Invoice.objects.filter(order=order, direction=direction, status__in=Invoice.ACTIVE).exists():
        raise StateConflict(
            _("This order already has an invoice of this kind."), code="invoice_exists"
        )
    if order.status == Order.Status.REFUNDED:
        raise StateConflict(_("A refunded order is not invoiced."), code="order_refunded")
    amount = _amount(order, direction)
    if amount <= 0:
        raise StateConflict(_("Nothing is left to invoice."), code="nothing_to_invoice")
    invoice = Invoice(
        order=order,
        vendor_id=order.vendor_id,
        external_id=external_id,
        direction=direction,
        invoice_type=invoice_type,
        amount=amount,
        title=title,
        tax_id=tax_id,
        requested_at=timezone.now(),
    )
    save_audited(invoice, actor=actor, reason=reason_with_caller("invoice requested", caller))
    return invoice, True


def _require(text: str, code: str, message: Any) -> None:
    if not (text or "").strip():
        raise ValidationFailed(message, code=code)


@transaction.atomic
def invoice_issue(
    *, invoice: Invoice, number: str, issued_on: dt.date, actor: Any, reason: str = "issued"
) -> Invoice:
    _require(number, "number_required", _("The invoice number is required."))
    invoice = lock_row(Invoice, invoice.pk)
    run_transition(invoice, "issue", actor=actor, number=number, issued_on=issued_on)
    save_audited(
        invoice, actor=actor, reason=reason, update_fields=["status", "number", "issued_on"]
    )
    return invoice


@transaction.atomic
def invoice_deliver(
    *, invoice: Invoice, actor: Any, at: dt.datetime | None = None, reason: str = "delivered"
) -> Invoice:
    invoice = lock_row(Invoice, invoice.pk)
    run_transition(invoice, "deliver", actor=actor, at=at or timezone.now())
    save_audited(invoice, actor=actor, reason=reason, update_fields=["status", "delivered_at"])
    return invoice


@transaction.atomic
def invoice_mark_certified(
    *,
    invoice: Invoice,
    actor: Any,
    at: dt.datetime | None = None,
    reason: str = "certified for tax",
) -> Invoice:
    """The recipient certified the invoice for tax deduction (decides MS-5.5 ① vs ②)."""
    invoice = lock_row(Invoice, invoice.pk)
    if invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.DELIVERED):
        raise StateConflict(_("Only an issued invoice can be certified."), code="not_issued")
    invoice.certified_at = at or timezone.now()
    save_audited(invoice, actor=actor, reason=reason, update_fields=["certified_at"])
    return invoice


def invoices_apply_refund(
    *, order: Order, amount: Decimal, fully: bool, at: dt.datetime, actor: Any
) -> list[Invoice]:
    """MS-5.5: what a refund of `amount` requires of the buyer's invoices of `order`.

    Called inside the refund's transaction with the order locked. Platform mode: the vendor
    and buyer settle red invoices between themselves (recorded only). Where the platform
    issued: not issued → nothing needed (a pending request shrinks or is cancelled); issued
    but not yet delivered → voided, nothing needed of the buyer; delivered, in its month and
    not certified → ① void; certified or its month passed → ② red-letter form, red invoice.
    """
    touched = []
    invoices = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(
            order=order,
            direction__in=[InvoiceDirection.VENDOR_TO_BUYER, InvoiceDirection.PLATFORM_TO_BUYER],
            status__in=Invoice.ACTIVE,
        )
        .order_by("pk")
    )
    for invoice in invoices:
        fields = ["refund_handling", "refunded_amount"]
        invoice.refunded_amount += amount
        if invoice.direction == InvoiceDirection.VENDOR_TO_BUYER:
            invoice.refund_handling = RefundHandling.VENDOR_BUYER_AFFAIR
        elif invoice.status == Invoice.Status.REQUESTED:
            invoice.refund_handling = RefundHandling.NOTHING_NEEDED  # ③
            if fully:
                run_transition(invoice, "cancel", actor=actor)
                fields.append("status")
            else:
                invoice.amount = max(invoice.amount - amount, to_money("0.01"))
                fields.append("amount")
        elif invoice.status == Invoice.Status.ISSUED:
            invoice.refund_handling = RefundHandling.NOTHING_NEEDED  # ③ never reached the buyer
            run_transition(invoice, "void", actor=actor, at=at)
            fields += ["status", "voided_at"]
        elif invoice.status == Invoice.Status.DELIVERED:
            same_month = invoice.issued_on is not None and (
                china_date(at).replace(day=1) == invoice.issued_on.replace(day=1)
            )
            if same_month and invoice.certified_at is None:
                invoice.refund_handling = RefundHandling.VOID  # ①
                run_transition(invoice, "void", actor=actor, at=at)
                fields += ["status", "voided_at"]
            else:
                invoice.refund_handling = RefundHandling.RED_LETTER  # ②
                run_transition(invoice, "require_red_letter", actor=actor)
                fields.append("status")
        # Already awaiting a red-letter form: the larger refunded amount is all that changes.
        save_audited(
            invoice, actor=actor, reason="MS-5.5 refund of an invoiced order", update_fields=fields
        )
        touched.append(invoice)
    return touched


@transaction.atomic
def invoice_record_red_letter_form(
    *, invoice: Invoice, form_number: str, actor: Any, reason: str = "red-letter form"
) -> Invoice:
    """MS-5.5 ②: the red-letter invoice information form (红字发票信息表) was filed."""
    _require(form_number, "number_required", _("The form number is required."))
    invoice = lock_row(Invoice, invoice.pk)
    run_transition(invoice, "record_red_letter_form", actor=actor, form_number=form_number)
    save_audited(invoice, actor=actor, reason=reason, update_fields=["status", "red_form_number"])
    return invoice


@transaction.atomic
def invoice_issue_red(
    *, invoice: Invoice, number: str, issued_on: dt.date, actor: Any, reason: str = "red invoice"
) -> Invoice:
    """MS-5.5 ②: the red invoice reverses the original, which stays on record."""
    _require(number, "number_required", _("The red invoice number is required."))
    invoice = lock_row(Invoice, invoice.pk)
    run_transition(invoice, "issue_red_invoice", actor=actor, number=number, issued_on=issued_on)
    save_audited(
        invoice,
        actor=actor,
        reason=reason,
        update_fields=["status", "red_invoice_number", "red_issued_on"],
    )
    return invoice
