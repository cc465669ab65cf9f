"""Invoices (发票, MS-4.5, MS-5.5, UA-4.4): who issues to whom follows the sales mode."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from marketplace.money import MoneyField
from orders.models.orders import Order
from vendors.models import Vendor

__all__ = ["Invoice", "InvoiceDirection", "InvoiceType", "RefundHandling"]


class InvoiceDirection(models.TextChoices):
    """MS-4.5: issuer → recipient, and what the invoice is for."""

    VENDOR_TO_BUYER = "vendor_to_buyer", _("Vendor → buyer, sale price (platform mode)")
    PLATFORM_TO_VENDOR = "platform_to_vendor", _("Platform → vendor, service fee (platform mode)")
    PLATFORM_TO_BUYER = "platform_to_buyer", _("Platform → buyer, sale price (consignment)")
    VENDOR_TO_PLATFORM = (
        "vendor_to_platform",
        _("Vendor → platform, settled amount, VAT special invoice (consignment)"),
    )


# Invoices the buyer holds: the MS-5.5 branch applies to them on a refund.
BUYER_DIRECTIONS = (InvoiceDirection.VENDOR_TO_BUYER, InvoiceDirection.PLATFORM_TO_BUYER)


class InvoiceType(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary VAT invoice")
    SPECIAL = "special", _("VAT special invoice")


class RefundHandling(models.TextChoices):
    """MS-5.5: what a refund of the invoiced order required."""

    NONE = "", _("No refund")
    NOTHING_NEEDED = "nothing_needed", _("③ Not issued or delivered yet: nothing needed")
    VOID = "void", _("① Returned in its month, not certified: voided")
    RED_LETTER = "red_letter", _("② Certified or month passed: red-letter form and red invoice")
    VENDOR_BUYER_AFFAIR = (
        "vendor_buyer_affair",
        _("Platform mode: red invoice settled between vendor and buyer"),
    )


class Invoice(models.Model):
    """One invoice of an order in one direction; never deleted, reversed instead."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ISSUED = "issued", _("Issued")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Request cancelled")
        VOID = "void", _("Void")
        RED_LETTER_REQUIRED = "red_letter_required", _("Red-letter information form required")
        RED_LETTER_FORM_RECORDED = "red_form_recorded", _("Red-letter form recorded")
        REVERSED = "reversed", _("Reversed by a red invoice")

    # Invoices that still stand for their order (the unique constraint below).
    ACTIVE = (
        Status.REQUESTED,
        Status.ISSUED,
        Status.DELIVERED,
        Status.RED_LETTER_REQUIRED,
        Status.RED_LETTER_FORM_RECORDED,
    )

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="invoices"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="invoices"
    )
    external_id = models.CharField(_("external invoice request ID"), max_length=64)
    direction = models.CharField(_("direction"), max_length=24, choices=InvoiceDirection.choices)
    invoice_type = models.CharField(_("invoice type"), max_length=16, choices=InvoiceType.choices)
    amount = MoneyField(_("invoice amount (CNY)"))
    title = models.CharField(_("invoice title (buyer's company)"), max_length=200, blank=True)
    tax_id = models.CharField(_("taxpayer ID"), max_length=32, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    status = FSMField(
        _("status"), default=Status.REQUESTED, choices=Status.choices, protected=False
    )
    number = models.CharField(_("invoice number"), max_length=32, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    certified_at = models.DateTimeField(_("certified for tax deduction at"), null=True, blank=True)
    refund_handling = models.CharField(
        _("refund handling (MS-5.5)"),
        max_length=24,
        choices=RefundHandling.choices,
        blank=True,
        default=RefundHandling.NONE,
    )
    refunded_amount = MoneyField(_("refunded amount to reverse"), default=0)
    red_form_number = models.CharField(
        _("red-letter information form number"), max_length=32, blank=True
    )
    red_invoice_number = models.CharField(_("red invoice number"), max_length=32, blank=True)
    red_issued_on = models.DateField(_("red invoice issued on"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"], name="invoice_external_id_per_order"
            ),
            models.UniqueConstraint(
                fields=["order", "direction"],
                condition=Q(
                    status__in=[
                        "requested",
                        "issued",
                        "delivered",
                        "red_letter_required",
                        "red_form_recorded",
                    ]
                ),
                name="one_active_invoice_per_direction",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["status"],
                condition=Q(status__in=["red_letter_required", "red_form_recorded"]),
                name="invoice_red_letter_queue",
            ),
            models.Index(fields=["vendor", "status"], name="invoice_vendor_status"),
        ]
        permissions = [("process_invoice", _("Can issue, deliver and reverse invoices"))]

    def __str__(self) -> str:
        return self.number or f"{self.order.external_id} / {self.external_id}"

    @property
    def is_buyer_invoice(self) -> bool:
        return self.direction in BUYER_DIRECTIONS

    @property
    def issued_by_platform(self) -> bool:
        return self.direction in (
            InvoiceDirection.PLATFORM_TO_VENDOR,
            InvoiceDirection.PLATFORM_TO_BUYER,
        )

    @transition(
        field=status,
        source=Status.REQUESTED,
        target=Status.ISSUED,
        permission="orders.process_invoice",
    )
    def issue(self, *, number: str, issued_on: dt.date) -> None:
        self.number, self.issued_on = number, issued_on

    @transition(
        field=status,
        source=Status.ISSUED,
        target=Status.DELIVERED,
        permission="orders.process_invoice",
    )
    def deliver(self, *, at: dt.datetime) -> None:
        self.delivered_at = at

    @transition(field=status, source=Status.REQUESTED, target=Status.CANCELLED)
    def cancel(self) -> None:
        """MS-5.5 ③: the order was refunded in full before the invoice was issued."""

    @transition(field=status, source=[Status.ISSUED, Status.DELIVERED], target=Status.VOID)
    def void(self, *, at: dt.datetime) -> None:
        """MS-5.5 ①: returned in its month and not certified; returning it is enough."""
        self.voided_at = at

    @transition(
        field=status, source=[Status.ISSUED, Status.DELIVERED], target=Status.RED_LETTER_REQUIRED
    )
    def require_red_letter(self) -> None:
        """MS-5.5 ②: certified, or its month has passed."""

    @transition(
        field=status,
        source=Status.RED_LETTER_REQUIRED,
        target=Status.RED_LETTER_FORM_RECORDED,
        permission="orders.process_invoice",
    )
    def record_red_letter_form(self, *, form_number: str) -> None:
        self.red_form_number = form_number

    @transition(
        field=status,
        source=Status.RED_LETTER_FORM_RECORDED,
        target=Status.REVERSED,
        permission="orders.process_invoice",
    )
    def issue_red_invoice(self, *, number: str, issued_on: dt.date) -> None:
        self.red_invoice_number, self.red_issued_on = number, issued_on
