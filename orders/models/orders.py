"""Orders (订单) and SaaS delivery failures (发货失败, MS-4.2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from catalog.models import Product, ProductKind, ReviewPeriodRule, SalesMode, Specification
from marketplace.money import MoneyField
from vendors.models import Vendor

__all__ = ["DeliveryFailure", "Order", "RenewalPart"]


class RenewalPart(models.TextChoices):
    """MS-8.4.2: which part of a sold product a renewal is for."""

    VENDOR = "vendor", _("The vendor's product or service")
    CLOUD = "cloud", _("The cloud's own (self-operated) part")


class Order(models.Model):
    """A buyer's paid purchase of one specification, created by the storefront over the API.

    Kind, sales mode, price and service-fee rate are snapshots taken at purchase, so later
    catalog changes never rewrite what was sold (MS-9.2: judged by the rules then in force).
    """

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        DELIVERING = "delivering", _("Delivering")
        DELIVERED = "delivered", _("Delivered")
        DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
        IN_SERVICE = "in_service", _("In service")
        SERVICE_CONFIRMED = "service_confirmed", _("Service confirmed complete")
        COMPLETED = "completed", _("Completed")
        REFUNDED = "refunded", _("Refunded in full")
        CLOSED = "closed", _("Closed")

    # States in which the buyer's service is unfinished or not started (MS-8.4.1).
    UNFINISHED = (
        Status.PAID,
        Status.DELIVERING,
        Status.DELIVERED,
        Status.DELIVERY_FAILED,
        Status.IN_SERVICE,
    )
    TERMINAL = (Status.REFUNDED, Status.CLOSED)

    channel = models.CharField(
        _("sales channel"),
        max_length=40,
        help_text=_("The storefront channel that sold it; API callers see only their channel."),
    )
    external_id = models.CharField(_("external order ID"), max_length=64)
    created_by = models.ForeignKey(
        "orders.ServiceAccount",
        verbose_name=_("created by service account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # UA-4.3: the paying account; never changed after creation (see save()).
    buyer_account_id = models.CharField(_("buyer cloud account ID"), max_length=64)
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="orders"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="orders"
    )
    specification = models.ForeignKey(
        Specification,
        verbose_name=_("specification"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    # Snapshots at purchase.
    kind = models.CharField(_("product kind"), max_length=16, choices=ProductKind.choices)
    sales_mode = models.CharField(_("sales mode"), max_length=16, choices=SalesMode.choices)
    saas_delivered = models.BooleanField(_("delivered as SaaS"), default=False)
    unit_price = MoneyField(_("specification price at purchase"))
    billing_period = models.CharField(_("billing period"), max_length=8)
    service_fee_rate = models.DecimalField(
        _("service fee rate"), max_digits=5, decimal_places=4, help_text=_("0.1000 = 10%")
    )
    amount = MoneyField(_("amount paid (CNY)"))
    # MS-2.7: the amount is the specification's price unless the storefront states a discount.
    discount_amount = MoneyField(_("discount (CNY)"), default=0)
    discount_reason = models.CharField(_("discount reason"), max_length=200, blank=True)
    paid_at = models.DateTimeField(_("paid at"))
    review_rule = models.CharField(
        _("review period rule"), max_length=32, choices=ReviewPeriodRule.choices
    )
    review_days = models.PositiveSmallIntegerField(_("review period days"), null=True, blank=True)
    refundable = models.BooleanField(_("refundable"), default=True)
    # MS-2.8: the end of the review period; for ops/manual set when the service is confirmed.
    review_period_ends_at = models.DateTimeField(_("review period ends at"), null=True, blank=True)
    # Set by the compliance sweep once the period is over (or at once for kinds without one).
    review_period_closed = models.BooleanField(_("review period closed"), default=False)

    status = FSMField(_("status"), default=Status.PAID, choices=Status.choices, protected=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    service_confirmed_at = models.DateTimeField(_("service confirmed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # MS-5.6: money settled to the vendor must be clawed back on a later refund.
    settled_at = models.DateTimeField(_("settled to vendor at"), null=True, blank=True)
    settled_amount = MoneyField(_("amount settled to vendor"), null=True, blank=True)
    # MS-8.4.2: after a vendor's exit only the cloud's own (self-operated) part of a sold
    # product may be renewed; such an order names the order it renews and the part.
    renewal_of = models.ForeignKey(
        "self",
        verbose_name=_("renews order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    renewal_part = models.CharField(
        _("part renewed"), max_length=16, choices=RenewalPart.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-paid_at", "-pk"]
        constraints = [
            # The API's idempotency key (a retried POST never creates twice).
            models.UniqueConstraint(fields=["channel", "external_id"], name="order_external_id"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(
                condition=Q(service_fee_rate__gte=0, service_fee_rate__lte=1),
                name="order_fee_rate_range",
            ),
        ]
        indexes = [
            # Set-based sweeps per vendor over time (refund rate, exit checks).
            models.Index(fields=["vendor", "paid_at"], name="order_vendor_paid"),
            models.Index(fields=["vendor", "status"], name="order_vendor_status"),
            models.Index(fields=["buyer_account_id"], name="order_buyer"),
            # The admin: its default order (newest first), search by order ID, status filter.
            models.Index(fields=["paid_at", "id"], name="order_paid"),
            models.Index(fields=["external_id"], name="order_external"),
            models.Index(fields=["status", "paid_at"], name="order_status_paid"),
            models.Index(fields=["product", "paid_at"], name="order_product_paid"),
            # The sweep closes review periods that ended: only open ones are scanned.
            models.Index(
                fields=["review_period_ends_at"],
                condition=Q(review_period_closed=False),
                name="order_open_review_period",
            ),
        ]
        permissions = [
            ("confirm_service_order", _("Can confirm an order's service complete")),
            ("complete_order", _("Can complete an order")),
            ("close_order", _("Can close an order")),
            ("settle_order", _("Can record an order's settlement to the vendor")),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.buyer_account_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        loaded = getattr(self, "_loaded_buyer", None)
        if loaded is not None and loaded != self.buyer_account_id:
            # UA-4.3: an order serves the account that paid for it; never moved to another.
            raise ValueError("UA-4.3: an order's buyer account can never be changed")
        super().save(*args, **kwargs)
        self._loaded_buyer = self.buyer_account_id

    # UA-4.3: remember the account loaded from the database so save() can refuse a move.
    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Order:
        instance = super().from_db(db, field_names, values)
        instance._loaded_buyer = instance.__dict__.get("buyer_account_id")
        return instance

    # --- review period (MS-2.8) -------------------------------------------------------

    @property
    def billing_period_label(self) -> str:
        """The snapshot code ("month") as people read it, in the request's language."""
        return str(dict(Specification.BillingPeriod.choices).get(self.billing_period, "-"))

    @property
    def has_review_period(self) -> bool:
        return self.review_rule != ReviewPeriodRule.NONE

    def in_review_period(self, at: dt.datetime) -> bool:
        """MS-2.8: whether `at` falls inside this order's review period (复议期)."""
        if self.review_rule == ReviewPeriodRule.NONE:
            return False
        if self.review_rule == ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED:
            # Ops/manual: from payment until the service is confirmed complete.
            return self.service_confirmed_at is None or at <= self.service_confirmed_at
        return self.review_period_ends_at is not None and at <= self.review_period_ends_at

    # --- transitions (state only; services save) ---------------------------------------

    def _is_saas(self) -> bool:
        return self.saas_delivered or self.kind == ProductKind.SAAS

    def _is_service_kind(self) -> bool:
        return self.review_rule == ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED

    @transition(field=status, source=Status.PAID, target=Status.DELIVERING)
    def start_delivery(self) -> None:
        """The product is being delivered (instance launched, licence sent, access opened)."""

    @transition(
        field=status,
        source=[Status.PAID, Status.DELIVERING],
        target=Status.DELIVERED,
    )
    def deliver(self, *, at: dt.datetime) -> None:
        self.delivered_at = at

    @transition(
        field=status,
        source=[Status.PAID, Status.DELIVERING],
        target=Status.DELIVERY_FAILED,
        conditions=[_is_saas],
    )
    def fail_delivery(self) -> None:
        """MS-4.2: only SaaS-delivered orders record a delivery failure."""

    @transition(field=status, source=Status.DELIVERY_FAILED, target=Status.DELIVERED)
    def repair_delivery(self, *, at: dt.datetime) -> None:
        """MS-4.2: the vendor repaired the failed delivery."""
        self.delivered_at = at

    @transition(
        field=status,
        source=[Status.PAID, Status.DELIVERED],
        target=Status.IN_SERVICE,
        conditions=[_is_service_kind],
    )
    def start_service(self) -> None:
        """Ops/manual services: the vendor started performing the service."""

    @transition(
        field=status,
        source=[Status.PAID, Status.DELIVERED, Status.IN_SERVICE],
        target=Status.SERVICE_CONFIRMED,
        conditions=[_is_service_kind],
        permission="orders.confirm_service_order",
    )
    def confirm_service(self, *, at: dt.datetime) -> None:
        """MS-2.8 / MS-5.4.1: confirmation ends the ops/manual review period."""
        self.service_confirmed_at = at
        self.review_period_ends_at = at
        self.review_period_closed = True

    @transition(
        field=status,
        source=[Status.DELIVERED, Status.IN_SERVICE, Status.SERVICE_CONFIRMED],
        target=Status.COMPLETED,
        permission="orders.complete_order",
    )
    def complete(self, *, at: dt.datetime) -> None:
        self.completed_at = at

    @transition(
        field=status,
        source=[
            Status.PAID,
            Status.DELIVERING,
            Status.DELIVERED,
            Status.DELIVERY_FAILED,
            Status.IN_SERVICE,
            Status.SERVICE_CONFIRMED,
            Status.COMPLETED,
        ],
        target=Status.REFUNDED,
    )
    def mark_refunded(self) -> None:
        """Everything paid has been refunded: the order ends."""

    @transition(
        field=status,
        source=[Status.COMPLETED, Status.REFUNDED],
        target=Status.CLOSED,
        permission="orders.close_order",
    )
    def close(self) -> None:
        """Archived: nothing more may happen to it."""


class DeliveryFailure(models.Model):
    """MS-4.2: a failed delivery of a SaaS-delivered order, open until repaired.

    `vendor` and `product` are denormalised so the compliance sweep can count open failures
    per vendor with one set-based query.
    """

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="delivery_failures"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    failed_at = models.DateTimeField(_("failed at"))
    reason = models.TextField(_("reason"))
    repaired_at = models.DateTimeField(_("repaired at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SaaS delivery failure")
        verbose_name_plural = _("SaaS delivery failures")
        ordering = ["-failed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(repaired_at__isnull=True),
                name="one_open_failure_per_order",
            ),
        ]
        indexes = [
            # MS-4.2 sweep: the oldest open failure per vendor (7 / 30 days).
            models.Index(
                fields=["vendor", "failed_at"],
                condition=Q(repaired_at__isnull=True),
                name="open_failure_vendor",
            ),
            models.Index(
                fields=["product"],
                condition=Q(repaired_at__isnull=True),
                name="open_failure_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} @ {self.failed_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.repaired_at is None
