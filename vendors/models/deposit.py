"""The deposit (保证金, MS-3.1.5): tiers, the append-only ledger, top-up obligations, refunds.

The balance is never stored: it is the sum of the entries' signed `delta` (one aggregate
query). What a deduction could not take from the deposit is recorded as owed (`owed_delta`),
and the vendor's outstanding owed amount is likewise the sum of `owed_delta`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from marketplace.money import MoneyField, format_cny
from vendors.models.core import Category, Vendor


class DepositTier(models.Model):
    """The deposit a category requires from a date on (MS-3.1.5 ①; ASSUMPTION tiers are data).

    A vendor owes the highest tier in force among the categories it sells in.
    """

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="deposit_tiers"
    )
    amount = MoneyField(_("deposit amount (CNY)"))
    effective_from = models.DateField(_("effective from"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deposit tier")
        verbose_name_plural = _("deposit tiers")
        ordering = ["category__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "effective_from"], name="vendors_tier_one_per_day"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="vendors_tier_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {format_cny(self.amount)} ({self.effective_from})"


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    DEDUCTION = "deduction", _("Deduction")
    TOP_UP = "top_up", _("Top-up")
    REFUND = "refund", _("Refund")
    REVERSAL = "reversal", _("Reversal")


class DeductionCause(models.TextChoices):
    """MS-3.1.5 ②: why the platform takes money from the deposit."""

    VIOLATION = "violation", _("Violation")
    REFUND = "refund", _("Refund compensation to a user")


class AppendOnlyError(Exception):
    """A ledger entry was about to be changed or deleted."""


class DepositEntry(models.Model):
    """One movement of a vendor's deposit. Append-only: saved once, never changed or deleted.

    `amount` is what the operator entered (always positive). `delta` is the signed effect on
    the balance; `owed_delta` the signed effect on what the vendor owes beyond its deposit.
    """

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="deposit_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    amount = MoneyField(_("amount (CNY)"))
    delta = MoneyField(_("effect on balance (CNY)"))
    owed_delta = MoneyField(_("effect on amount owed (CNY)"), default=0)
    cause = models.CharField(
        _("deduction cause"), max_length=16, choices=DeductionCause.choices, blank=True
    )
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("Penalty case or refund the deduction pays for."),
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deposit ledger entry")
        verbose_name_plural = _("deposit ledger entries")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("record_depositentry", _("Can record deposit payments, top-ups and deductions")),
            ("reverse_depositentry", _("Can reverse a deposit ledger entry")),
        ]
        indexes = [models.Index(fields=["vendor", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="vendors_entry_amount"),
            # MS-3.1.5 ②: a deduction names its cause.
            models.CheckConstraint(
                condition=~models.Q(kind="deduction") | ~models.Q(cause=""),
                name="vendors_deduction_has_cause",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="reversal") | models.Q(reverses__isnull=False),
                name="vendors_reversal_names_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_cny(self.amount)} · {self.vendor}"

    def save(self, *args, **kwargs) -> None:
        # The ledger is append-only (MS-3.1.5): an entry is written once, corrections reverse it.
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("deposit ledger entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("deposit ledger entries cannot be deleted")


class TopUpObligation(models.Model):
    """MS-3.1.5 ③: after a deduction leaves the deposit short, top up within 7 working days.

    Closed when top-ups (or a reversal) make the deposit whole: balance at least the required
    amount and nothing owed. Enforcement of an overdue obligation is the sweep's work.
    """

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="obligations"
    )
    opened_by = models.OneToOneField(
        DepositEntry,
        verbose_name=_("opened by entry"),
        on_delete=models.PROTECT,
        related_name="obligation",
    )
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("due at"))
    provisional = models.BooleanField(
        _("provisional due date"),
        default=False,
        help_text=_("The due date lies in a year whose working calendar is not confirmed."),
    )
    amount_due = MoneyField(_("amount to top up (CNY)"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        DepositEntry,
        verbose_name=_("closed by entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("top-up obligation")
        verbose_name_plural = _("top-up obligations")
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=models.Q(closed_at=None), name="vendors_obl_open_due"
            )
        ]

    def __str__(self) -> str:
        return _("Top up %(amount)s for %(vendor)s") % {
            "amount": format_cny(self.amount_due),
            "vendor": self.vendor,
        }

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class DepositRefund(models.Model):
    """MS-3.1.5 ④: the refund of the deposit at the end of the term; at most one per vendor."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        RECEIPT_RECEIVED = "receipt_received", _("Deposit receipt received")
        COMPLETED = "completed", _("Refunded")

    vendor = models.OneToOneField(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="deposit_refund"
    )
    status = FSMField(
        _("status"), default=Status.REQUESTED, choices=Status.choices, protected=False
    )
    requested_at = models.DateTimeField(_("requested at"))
    receipt_received_at = models.DateTimeField(_("receipt received at"), null=True, blank=True)
    due_at = models.DateTimeField(_("refund due at"), null=True, blank=True)
    provisional = models.BooleanField(_("provisional due date"), default=False)
    completed_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    entry = models.OneToOneField(
        DepositEntry,
        verbose_name=_("refund entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deposit refund")
        verbose_name_plural = _("deposit refunds")
        ordering = ["-requested_at", "-pk"]
        permissions = [("process_depositrefund", _("Can process deposit refunds"))]

    def __str__(self) -> str:
        return _("Deposit refund of %(vendor)s") % {"vendor": self.vendor}

    @transition(
        field=status,
        source=Status.REQUESTED,
        target=Status.RECEIPT_RECEIVED,
        permission="vendors.process_depositrefund",
    )
    def receive_receipt(self) -> None:
        """The vendor returned the deposit receipt: the 15-working-day clock starts."""

    @transition(
        field=status,
        source=Status.RECEIPT_RECEIVED,
        target=Status.COMPLETED,
        permission="vendors.process_depositrefund",
    )
    def complete(self) -> None:
        """The balance was paid back in full, without interest."""
