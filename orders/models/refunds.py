"""Refunds (退款, MS-5), vendors' own refund terms (MS-5.7.2) and clawbacks (MS-5.6)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from catalog.models import Product, ReviewPeriodRule
from marketplace.fields import HttpsURLField
from marketplace.money import MoneyField, format_cny
from orders.models.orders import Order
from vendors.models import Vendor
from vendors.validators import validate_document_file

__all__ = [
    "COUNTS_AGAINST_VENDOR",
    "Clawback",
    "FullRefundCase",
    "PlatformRefundGround",
    "Refund",
    "RefundBasis",
    "RefundEvidence",
    "RefundReason",
    "VendorRefundTerms",
]


class RefundReason(models.TextChoices):
    """The fixed list of refund reasons. MS-5.8: the first three count against the vendor."""

    NOT_AS_EXPECTED = "not_as_expected", _("Service or product not as expected")
    SLOW_OR_RUDE = "slow_or_rude", _("Vendor's service slow or attitude bad")
    NOT_RECEIVED = "not_received", _("Product or service not received")
    BOUGHT_BY_MISTAKE = "bought_by_mistake", _("Bought by mistake")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    BUYER_CHANGED_PLAN = "buyer_changed_plan", _("Buyer changed or ended the project")
    OTHER = "other", _("Other")
    # MS-8.4.1: the platform refunds in full when the vendor exits (no buyer request).
    VENDOR_EXIT = "vendor_exit", _("The vendor left the marketplace (MS-8.4.1)")


# MS-5.8: refunds whose reason is the product or service count in the vendor's refund rate.
COUNTS_AGAINST_VENDOR = frozenset(
    {RefundReason.NOT_AS_EXPECTED, RefundReason.SLOW_OR_RUDE, RefundReason.NOT_RECEIVED}
)


class PlatformRefundGround(models.TextChoices):
    """MS-5.2 ①–⑥: grounds on which the platform refunds directly outside the review period."""

    VENDOR_LATE = "1_vendor_late", _("① Vendor late or stalling")
    NOT_AS_DESCRIBED = "2_not_as_described", _("② Product or service differs from description")
    CANNOT_PERFORM = "3_cannot_perform", _("③ Vendor cannot meet the need or perform")
    BUSINESS_ENDED = "4_business_ended", _("④ Vendor's business ended")
    UNREACHABLE = "5_unreachable", _("⑤ Vendor cannot be reached")
    NOT_STARTED = "6_not_started", _("⑥ Buyer ends services not yet started")


class FullRefundCase(models.TextChoices):
    """MS-5.3 ①–③: cases in which a full refund is due whatever the review period."""

    QUALITY_LOSS = "1_quality_loss", _("① Service quality caused the buyer a loss")
    MISSED_DELIVERY = "2_missed_delivery", _("② Promised delivery time or completeness missed")
    OTHER = "3_other", _("③ Other such case")


class RefundBasis(models.TextChoices):
    """Which rule decided a refund's amount (shown to reviewers beside the inputs)."""

    REVIEW_PERIOD = "review_period", _("Full refund inside the review period (MS-5.1)")
    BEFORE_CONFIRMATION = (
        "before_confirmation",
        _("Full refund before service confirmation, less compensation (MS-5.4.1)"),
    )
    FULL_CASE = "full_case", _("Full refund case (MS-5.3)")
    PLATFORM_GROUND = "platform_ground", _("Direct platform refund of the unconsumed part (MS-5.2)")
    VENDOR_TERMS = "vendor_terms", _("Vendor's approved refund terms (MS-5.7.2)")
    PRO_RATA = "pro_rata", _("Unconsumed part, pro rata (MS-5.2)")
    VENDOR_AGREED = "vendor_agreed", _("Amount agreed by the vendor")
    NOT_REFUNDABLE = "not_refundable", _("Not refundable (tool product, MS-5.1)")
    VENDOR_EXIT = "vendor_exit", _("Full refund on the vendor's exit (MS-8.4.1)")


class VendorRefundTerms(models.Model):
    """MS-5.7.2: a vendor's own refund policy, used only once the platform approved it.

    After the review period it replaces the platform default (pro rata of the unconsumed part):
    the buyer gets `refund_percent` of the unconsumed part.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting platform approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="refund_terms"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund_terms",
        help_text=_("Empty: all the vendor's products."),
    )
    text = models.TextField(_("terms shown on the product page"))
    refund_percent = models.DecimalField(
        _("refund percent of the unconsumed part"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    effective_from = models.DateTimeField(_("effective from"))
    # Issue 13: when and by whom the terms were proposed (empty on terms recorded before).
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = FSMField(
        _("status"), default=Status.SUBMITTED, choices=Status.choices, protected=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor refund terms")
        verbose_name_plural = _("vendor refund terms")
        ordering = ["-effective_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_percent__gte=0, refund_percent__lte=100),
                name="terms_percent_range",
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "status", "effective_from"], name="terms_vendor_status")
        ]
        permissions = [("decide_vendorrefundterms", _("Can approve or reject refund terms"))]

    def __str__(self) -> str:
        return f"{self.vendor} {self.refund_percent}%"

    @transition(
        field=status,
        source=Status.SUBMITTED,
        target=Status.APPROVED,
        permission="orders.decide_vendorrefundterms",
    )
    def approve(self, *, by, at: dt.datetime) -> None:
        """MS-5.7.2: the platform's written approval."""
        self.decided_by, self.decided_at = by, at

    @transition(
        field=status,
        source=Status.SUBMITTED,
        target=Status.REJECTED,
        permission="orders.decide_vendorrefundterms",
    )
    def reject(self, *, by, at: dt.datetime) -> None:
        self.decided_by, self.decided_at = by, at

    @transition(field=status, source=[Status.SUBMITTED, Status.APPROVED], target=Status.WITHDRAWN)
    def withdraw(self) -> None:
        """Replaced by newer terms, or withdrawn by the vendor."""


class Refund(models.Model):
    """A buyer's refund request (MS-5) and the inputs its amount was computed from.

    The amount comes from `orders.refund_amount.compute_refund` over the inputs stored here
    (paid, already refunded, review period, consumed fraction, MS-5.2 ground, MS-5.3 case,
    compensation, vendor terms), so a reviewer sees why.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        VENDOR_AGREED = "vendor_agreed", _("Vendor agreed")
        VENDOR_DISPUTED = "vendor_disputed", _("Vendor disputed")
        ARBITRATION = "arbitration", _("In platform arbitration")
        APPROVED = "approved", _("Approved by the platform")
        REJECTED = "rejected", _("Rejected")
        REFUNDED = "refunded", _("Refunded")

    OPEN = (Status.REQUESTED, Status.VENDOR_DISPUTED, Status.ARBITRATION)
    # Amounts in these states are committed against what is left to refund on the order.
    COMMITTED = (Status.VENDOR_AGREED, Status.APPROVED, Status.REFUNDED)

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="refunds"
    )
    external_id = models.CharField(_("external refund request ID"), max_length=64)
    # The buyer's reason, one of a fixed list (`reason` is the audit reason everywhere else).
    reason_code = models.CharField(_("reason"), max_length=32, choices=RefundReason.choices)
    # MS-5.8: fixed from the reason when requested.
    counts_against_vendor = models.BooleanField(_("counts against the vendor"), default=False)
    amount_requested = MoneyField(_("amount requested (CNY)"))
    description = models.TextField(_("description"), blank=True)
    evidence = models.JSONField(_("evidence (links or file references)"), default=list, blank=True)
    requested_at = models.DateTimeField(_("requested at"))

    # Inputs of the amount computation, snapshotted / recorded as the case proceeds.
    paid_amount = MoneyField(_("order amount paid"))
    already_refunded = MoneyField(_("already refunded or committed on the order"))
    review_rule = models.CharField(
        _("review period rule"), max_length=32, choices=ReviewPeriodRule.choices
    )
    in_review_period = models.BooleanField(_("requested inside the review period"))
    consumed_fraction = models.DecimalField(
        _("consumed fraction of the service"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    compensation = MoneyField(_("agreed compensation withheld (MS-5.4.1)"), default=0)
    platform_ground = models.CharField(
        _("MS-5.2 ground for a direct platform refund"),
        max_length=32,
        choices=PlatformRefundGround.choices,
        blank=True,
    )
    full_refund_case = models.CharField(
        _("MS-5.3 full refund case"), max_length=32, choices=FullRefundCase.choices, blank=True
    )
    vendor_terms = models.ForeignKey(
        VendorRefundTerms,
        verbose_name=_("vendor refund terms applied"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
    )
    vendor_terms_percent = models.DecimalField(
        _("vendor terms refund percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    basis = models.CharField(_("basis"), max_length=24, choices=RefundBasis.choices)
    computed_amount = MoneyField(_("amount due by the rules (CNY)"))
    approved_amount = MoneyField(_("amount approved (CNY)"), null=True, blank=True)

    status = FSMField(
        _("status"), default=Status.REQUESTED, choices=Status.choices, protected=False
    )
    vendor_note = models.TextField(_("vendor's note"), blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    # Issue 14: billing's reference of the payment back to the buyer (blank when finance
    # marked it paid by hand); a report with the same reference again is a retry.
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "external_id"], name="refund_external_id_per_order"
            ),
            # One request in negotiation per order at a time; the cap is checked under lock.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=["requested", "vendor_disputed", "arbitration"]),
                name="one_open_refund_per_order",
            ),
            models.CheckConstraint(
                condition=Q(amount_requested__gt=0), name="refund_requested_positive"
            ),
            models.CheckConstraint(
                condition=Q(computed_amount__gte=0), name="refund_computed_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gte=0),
                name="refund_approved_not_negative",
            ),
        ]
        indexes = [
            # MS-5.8 refund rate: refunded, counting refunds per vendor over a window.
            models.Index(
                fields=["vendor", "refunded_at"],
                condition=Q(status="refunded", counts_against_vendor=True),
                name="refund_rate_counting",
            ),
            models.Index(fields=["status", "requested_at"], name="refund_queue"),
            # The admin: its default order (newest first) and search by refund ID.
            models.Index(fields=["requested_at", "id"], name="refund_requested"),
            models.Index(fields=["external_id"], name="refund_external"),
            models.Index(fields=["vendor", "status"], name="refund_vendor_status"),
        ]
        permissions = [
            ("arbitrate_refund", _("Can arbitrate refunds")),
            ("pay_refund", _("Can mark refunds as paid")),
        ]

    def __str__(self) -> str:
        return f"{self.order.external_id} / {self.external_id}"

    @property
    def payable_amount(self):
        """What the buyer gets back: the approved amount, else what the rules compute."""
        return self.approved_amount if self.approved_amount is not None else self.computed_amount

    @transition(field=status, source=Status.REQUESTED, target=Status.VENDOR_AGREED)
    def vendor_agree(self) -> None:
        """MS-5.1: the vendor accepts the buyer's request."""

    @transition(field=status, source=Status.REQUESTED, target=Status.VENDOR_DISPUTED)
    def vendor_dispute(self) -> None:
        """MS-5.1: the vendor does not agree; the platform may arbitrate."""

    @transition(
        field=status,
        source=[Status.REQUESTED, Status.VENDOR_DISPUTED],
        target=Status.ARBITRATION,
        permission="orders.arbitrate_refund",
    )
    def open_arbitration(self) -> None:
        """The platform takes the case up (after a dispute, or when the vendor stalls)."""

    @transition(
        field=status,
        source=[Status.REQUESTED, Status.VENDOR_DISPUTED, Status.ARBITRATION],
        target=Status.APPROVED,
        permission="orders.arbitrate_refund",
    )
    def approve(self) -> None:
        """MS-5.1 / MS-5.2: the platform approves (directly, on a recorded ground)."""

    @transition(
        field=status,
        source=[Status.VENDOR_DISPUTED, Status.ARBITRATION],
        target=Status.REJECTED,
        permission="orders.arbitrate_refund",
    )
    def reject(self) -> None:
        """The platform refuses the request, with a reason."""

    @transition(field=status, source=list(OPEN), target=Status.REJECTED)
    def supersede_on_exit(self) -> None:
        """MS-8.4.1: the vendor exits; a full refund of what is left replaces this request."""

    @transition(
        field=status,
        source=[Status.VENDOR_AGREED, Status.APPROVED],
        target=Status.REFUNDED,
        permission="orders.pay_refund",
    )
    def mark_refunded(self, *, at: dt.datetime) -> None:
        self.refunded_at = at


class Clawback(models.Model):
    """MS-5.6: money already settled to the vendor that a refund takes back.

    Recovered by a deposit deduction (MS-3.1.5 ②, cause refund) or netted off the next
    settlement; `deposit_entry_id` keeps the ledger entry's id (vendors' ledger owns the row).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DEDUCTED = "deducted", _("Deducted from the deposit")
        NETTED = "netted", _("Netted off the next settlement")

    refund = models.OneToOneField(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, related_name="clawback"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="clawbacks"
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="clawbacks"
    )
    amount = MoneyField(_("amount to claw back (CNY)"))
    status = FSMField(_("status"), default=Status.OPEN, choices=Status.choices, protected=False)
    created_at = models.DateTimeField(_("created at"))
    recovered_at = models.DateTimeField(_("recovered at"), null=True, blank=True)
    deposit_entry_id = models.BigIntegerField(_("deposit ledger entry"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("clawback")
        verbose_name_plural = _("clawbacks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clawback_amount_positive"),
        ]
        indexes = [models.Index(fields=["vendor", "status"], name="clawback_vendor_status")]
        permissions = [("recover_clawback", _("Can recover clawbacks"))]

    def __str__(self) -> str:
        return f"{self.vendor} {format_cny(self.amount)}"

    @transition(
        field=status,
        source=Status.OPEN,
        target=Status.DEDUCTED,
        permission="orders.recover_clawback",
    )
    def mark_deducted(self, *, at: dt.datetime, entry_id: int | None) -> None:
        self.recovered_at, self.deposit_entry_id = at, entry_id

    @transition(
        field=status, source=Status.OPEN, target=Status.NETTED, permission="orders.recover_clawback"
    )
    def mark_netted(self, *, at: dt.datetime) -> None:
        self.recovered_at = at


class RefundEvidence(models.Model):
    """The vendor's evidence when it answers a refund request (MS-5.1: agree or dispute).

    A file (PDF, JPG or PNG checked by content, the MS-3.1.3 document rule) served only by
    the authenticated file view (`orders/private_files.py`), or an https link.
    """

    refund = models.ForeignKey(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, related_name="vendor_evidence"
    )
    file = models.FileField(
        _("file"),
        upload_to="orders/refund-evidence/%Y/%m/",
        blank=True,
        validators=[validate_document_file],
    )
    url = HttpsURLField(_("link"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor's refund evidence")
        verbose_name_plural = _("vendor's refund evidence")
        ordering = ["refund", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="", url=""), name="refund_evidence_file_or_url"
            ),
        ]

    def __str__(self) -> str:
        return self.url or self.file.name.rsplit("/", 1)[-1]
