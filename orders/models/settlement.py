"""Settlement statements (结算单, MS-2.6, MS-4.5, MS-5.5, MS-5.6): what the platform owes each
vendor (or is owed) for a China-time month and one sales mode.

A statement is made by `run_settlement` from the sources not yet on any statement: orders
(gross paid, platform service fee at the rate snapshot taken at purchase, MS-2.6/MS-2.7),
refunds paid (the fee on them returned), open clawbacks (MS-5.6) and adjustments settling an
earlier statement's dispute. Each source is on at most one line (unique constraints), so
nothing is counted twice, and a source that lands after its period's statement was made goes
on the next one, so nothing is lost.

Rounding (stated once, docs/decisions/orders.md "Settlement statements"): the fee of a line
is its amount × the snapshot rate rounded half-up to the cent, once per line; every total is
a plain sum of lines.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from catalog.models import SalesMode
from marketplace.money import MoneyField, format_cny
from orders.models.invoices import RefundHandling
from orders.models.orders import Order
from orders.models.refunds import Clawback, Refund
from vendors.models import Vendor

__all__ = ["Statement", "StatementAdjustment", "StatementLine"]


class Statement(models.Model):
    """One vendor's settlement for one China month and one sales mode."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued to the vendor")
        CONFIRMED = "confirmed", _("Confirmed by the vendor")
        DISPUTED = "disputed", _("Disputed by the vendor")
        APPROVED = "approved", _("Approved for payment")
        PAID = "paid", _("Paid")

    # Not yet settled: the deposit refund waits for these (MS-3.1.5 ④).
    UNSETTLED = (Status.DRAFT, Status.ISSUED, Status.CONFIRMED, Status.DISPUTED, Status.APPROVED)

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="statements"
    )
    period = models.DateField(_("month"), help_text=_("The first day of the China-time month."))
    sales_mode = models.CharField(_("sales mode"), max_length=16, choices=SalesMode.choices)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=False)
    # Totals: plain sums of the lines (set by the run, never edited).
    gross_amount = MoneyField(_("gross paid (CNY)"), default=0)
    fee_amount = MoneyField(_("platform service fee (CNY)"), default=0)
    refund_amount = MoneyField(_("refunds paid (CNY)"), default=0)
    fee_returned = MoneyField(_("service fee returned on refunds (CNY)"), default=0)
    clawback_amount = MoneyField(_("clawbacks netted (CNY)"), default=0)
    adjustment_amount = MoneyField(_("adjustments of earlier statements (CNY)"), default=0)
    net_amount = MoneyField(
        _("net payable to the vendor (CNY)"),
        default=0,
        help_text=_("Negative: the vendor owes the platform (receivable)."),
    )
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    generated_at = models.DateTimeField(_("generated at"))
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("vendor answered at"), null=True, blank=True)
    dispute_reason = models.TextField(_("dispute reason"), blank=True)
    dispute_resolution = models.TextField(_("dispute resolution"), blank=True)
    dispute_resolved_at = models.DateTimeField(_("dispute resolved at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved for payment at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    # Consignment (MS-4.5): the vendor's VAT special invoice (增值税专用发票) to the platform.
    vat_invoice_number = models.CharField(
        _("VAT special invoice number"), max_length=32, blank=True
    )
    vat_invoice_date = models.DateField(_("VAT special invoice date"), null=True, blank=True)
    vat_invoice_amount = MoneyField(_("VAT special invoice amount (CNY)"), null=True, blank=True)
    vat_invoice_recorded_at = models.DateTimeField(
        _("VAT invoice recorded at"), null=True, blank=True
    )
    # Platform mode (MS-4.5): the platform's invoice of the service fee to the vendor.
    fee_invoice_requested_at = models.DateTimeField(
        _("service fee invoice requested at"), null=True, blank=True
    )
    fee_invoice_number = models.CharField(
        _("service fee invoice number"), max_length=32, blank=True
    )
    fee_invoice_issued_on = models.DateField(
        _("service fee invoice issued on"), null=True, blank=True
    )
    fee_invoice_amount = MoneyField(_("service fee invoice amount (CNY)"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        ordering = ["-period", "vendor_id", "sales_mode"]
        constraints = [
            # One statement per vendor, month and mode: two concurrent runs cannot both insert.
            models.UniqueConstraint(
                fields=["vendor", "period", "sales_mode"], name="statement_vendor_period_mode"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "period"], name="statement_status_period"),
            models.Index(fields=["period", "generated_at"], name="statement_run"),
        ]
        permissions = [
            ("issue_statement", _("Can issue settlement statements")),
            ("approve_statement", _("Can approve settlement statements for payment")),
            ("pay_statement", _("Can record settlement statements as paid")),
            ("resolve_statement_dispute", _("Can resolve statement disputes")),
            ("issue_fee_invoice", _("Can issue service fee invoices of statements")),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.period:%Y-%m} {self.get_sales_mode_display()}"

    @property
    def is_consignment(self) -> bool:
        return self.sales_mode == SalesMode.CONSIGNMENT

    @property
    def is_receivable(self) -> bool:
        return self.net_amount < 0

    @property
    def needs_vat_invoice(self) -> bool:
        """MS-4.5 consignment: the vendor invoices the platform for what it is paid."""
        return self.is_consignment and self.net_amount > 0

    @property
    def vat_invoice_recorded(self) -> bool:
        return bool(self.vat_invoice_number)

    @property
    def net_fee(self):
        """The service fee this statement charges, net of fees returned (MS-2.6)."""
        return self.fee_amount - self.fee_returned

    def _payment_ready(self) -> bool:
        # Consignment: payment waits for the vendor's VAT special invoice (MS-4.5).
        if self.needs_vat_invoice and not self.vat_invoice_recorded:
            return False
        # A dispute is first settled (by an adjustment on the next statement, or refused).
        return not (self.status == self.Status.DISPUTED and self.dispute_resolved_at is None)

    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.ISSUED,
        permission="orders.issue_statement",
    )
    def issue(self, *, at: dt.datetime) -> None:
        self.issued_at = at

    @transition(field=status, source=Status.ISSUED, target=Status.CONFIRMED)
    def vendor_confirm(self, *, at: dt.datetime) -> None:
        self.answered_at = at

    @transition(field=status, source=Status.ISSUED, target=Status.DISPUTED)
    def vendor_dispute(self, *, at: dt.datetime, reason: str) -> None:
        self.answered_at, self.dispute_reason = at, reason

    @transition(
        field=status,
        source=[Status.CONFIRMED, Status.DISPUTED],
        target=Status.APPROVED,
        conditions=[_payment_ready],
        permission="orders.approve_statement",
    )
    def approve(self, *, by, at: dt.datetime) -> None:
        self.approved_by, self.approved_at = by, at

    @transition(
        field=status,
        source=Status.APPROVED,
        target=Status.PAID,
        permission="orders.pay_statement",
    )
    def mark_paid(self, *, at: dt.datetime, reference: str) -> None:
        self.paid_at, self.payment_reference = at, reference


class StatementAdjustment(models.Model):
    """An amount settling an earlier statement (its dispute), carried by the vendor's NEXT
    statement of the same mode: an issued statement is never edited."""

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="+"
    )
    sales_mode = models.CharField(_("sales mode"), max_length=16, choices=SalesMode.choices)
    source_statement = models.ForeignKey(
        Statement,
        verbose_name=_("statement adjusted"),
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    amount = MoneyField(
        _("amount (CNY)"), help_text=_("Positive: owed to the vendor; negative: owed by it.")
    )
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("statement adjustment")
        verbose_name_plural = _("statement adjustments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.source_statement} · {format_cny(self.amount)}"


class StatementLine(models.Model):
    """One source of a statement. Written by the run in one INSERT … SELECT per kind and never
    changed afterwards (the statement's history records the run); hence no history of its own.

    Signs: gross and fee are negative on refunds and clawbacks (the fee returned); net =
    gross − fee, except adjustments, which carry only a net amount.
    """

    class Kind(models.TextChoices):
        ORDER = "order", _("Order")
        REFUND = "refund", _("Refund paid")
        CLAWBACK = "clawback", _("Clawback (MS-5.6)")
        ADJUSTMENT = "adjustment", _("Adjustment of an earlier statement")

    # The run writes millions of lines in one INSERT … SELECT joined to the statements and
    # orders it reads, so they exist by construction, and neither is ever deleted (PROTECT,
    # no delete in the admin; the run deletes only statements left without lines): no
    # database FK check per row (2,000,000 trigger lookups at benchmark scale).
    statement = models.ForeignKey(
        Statement,
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        related_name="lines",
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The order of every order, refund and clawback line (links); unique for order lines.
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial unique index below serves the lookups
        db_constraint=False,
    )
    # Unique where set (partial indexes: order lines carry no NULL entries in them).
    refund = models.ForeignKey(
        Refund,
        verbose_name=_("refund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        db_index=False,
    )
    clawback = models.ForeignKey(
        Clawback,
        verbose_name=_("clawback"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        db_index=False,
    )
    adjustment = models.ForeignKey(
        StatementAdjustment,
        verbose_name=_("adjustment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    fee_rate = models.DecimalField(
        _("service fee rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    gross_amount = MoneyField(_("gross (CNY)"))
    fee_amount = MoneyField(_("service fee (CNY)"))
    net_amount = MoneyField(_("net (CNY)"))
    # Platform mode, MS-5.5: what a fee returned on a refund needs of the fee invoice.
    fee_invoice_handling = models.CharField(
        _("service fee invoice handling (MS-5.5)"),
        max_length=24,
        choices=RefundHandling.choices,
        blank=True,
        default=RefundHandling.NONE,
    )

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement_id", "kind", "occurred_at", "pk"]
        constraints = [
            # Nothing is counted twice: an order is on one statement only.
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="order"), name="statement_line_order_once"
            ),
            models.UniqueConstraint(
                fields=["refund"],
                condition=Q(refund__isnull=False),
                name="statement_line_refund_once",
            ),
            models.UniqueConstraint(
                fields=["clawback"],
                condition=Q(clawback__isnull=False),
                name="statement_line_clawback_once",
            ),
            models.UniqueConstraint(
                fields=["adjustment"],
                condition=Q(adjustment__isnull=False),
                name="statement_line_adjustment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {format_cny(self.net_amount)}"
