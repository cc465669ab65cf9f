"""Applied measures: every sanction is one overlay record (DESIGN "Measures are overlays").

Whatever caused it (a penalty case, an unpaid deposit, a SaaS delivery failure, the refund
rate, a reviewer by hand), a sanction is an `AppliedMeasure` with a scope (vendor, or one
product), a start, an optional end and its cause. `compliance.services.measures.
vendor_state_recompute` derives each vendor's effective state from all its active measures
and is the only writer of the lower apps' effective-state fields.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from marketplace.money import MoneyField

__all__ = [
    "EVICTING_KINDS",
    "HIDE_ALL_PRODUCTS",
    "ONE_SHOT_KINDS",
    "PRODUCT_KINDS",
    "SAAS_PRODUCTS_KINDS",
    "SECOND_APPROVAL_KINDS",
    "AppliedMeasure",
    "CauseType",
    "MeasureKind",
]


class MeasureKind(models.TextChoices):
    # MS-7 annex measures
    SHIELD_CONTENT = "shield_content", _("Shield content")
    DELIST_PRODUCT = "delist_product", _("Delist product")
    SHIELD_STORE = "shield_store", _("Shield store")
    RESTRICT_PUBLISHING = "restrict_publishing", _("Restrict publishing")
    DEDUCT_DEPOSIT = "deduct_deposit", _("Deduct deposit")
    EVICT = "evict", _("Evict")
    BAN = "ban", _("Ban account for ever")
    # MS-4.2 SaaS delivery failures
    HIDE_PRODUCT = "hide_product", _("Hide product")
    HIDE_SAAS_PRODUCTS = "hide_saas_products", _("Hide all SaaS products")
    DELIST_SAAS_PRODUCTS = "delist_saas_products", _("Delist all SaaS products")
    # MS-3.1.5 ③ deposit not topped up
    SUSPEND_DISPLAY = "suspend_display", _("Suspend product display")
    SUSPEND_TRADING = "suspend_trading", _("Suspend store trading")
    CLOSE_STORE = "close_store", _("Close store")
    # MS-5.8 refund rate
    MARKETING_INELIGIBLE = "marketing_ineligible", _("Ineligible for marketing campaigns")


# Kinds that act once when they come into force (through the lower apps' services) rather
# than as a state that holds while the measure is active. Lifting them does not undo the act:
# a delisted product is relisted only through security review (MS-4.1.1), a deduction is
# reversed only by an explicit ledger entry (revocation), an eviction is for ever (MS-8.3).
ONE_SHOT_KINDS = frozenset(
    {
        MeasureKind.DELIST_PRODUCT,
        MeasureKind.DELIST_SAAS_PRODUCTS,
        MeasureKind.DEDUCT_DEPOSIT,
        MeasureKind.EVICT,
        MeasureKind.BAN,
    }
)
# Kinds that concern one product and need `product`.
PRODUCT_KINDS = frozenset(
    {MeasureKind.SHIELD_CONTENT, MeasureKind.DELIST_PRODUCT, MeasureKind.HIDE_PRODUCT}
)
# Kinds that need a second approver, a compliance lead other than the proposer (MS-7, MS-8.3).
SECOND_APPROVAL_KINDS = frozenset({MeasureKind.DEDUCT_DEPOSIT, MeasureKind.EVICT, MeasureKind.BAN})
# Kinds that make the vendor leave (MS-8.3): carried out first, never undone.
EVICTING_KINDS = frozenset({MeasureKind.EVICT, MeasureKind.BAN})
# Vendor-wide kinds that hide every product of the vendor while in force.
HIDE_ALL_PRODUCTS = frozenset(
    {
        MeasureKind.SHIELD_STORE,
        MeasureKind.SUSPEND_DISPLAY,
        MeasureKind.CLOSE_STORE,
        MeasureKind.EVICT,
        MeasureKind.BAN,
    }
)
# Kinds that concern every SaaS-delivered product of the vendor (MS-4.2).
SAAS_PRODUCTS_KINDS = frozenset({MeasureKind.HIDE_SAAS_PRODUCTS, MeasureKind.DELIST_SAAS_PRODUCTS})


class CauseType(models.TextChoices):
    PENALTY = "penalty", _("Penalty case")
    DEPOSIT_TOPUP = "deposit_topup", _("Deposit not topped up")
    SAAS_DELIVERY = "saas_delivery", _("SaaS delivery failure")
    REFUND_RATE = "refund_rate", _("Refund rate")
    MANUAL = "manual", _("Manual")


class AppliedMeasureQuerySet(models.QuerySet):
    def in_force(self, at: dt.datetime) -> AppliedMeasureQuerySet:
        """Measures acting at `at`: approved, started, not ended, not lifted."""
        return self.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=at),
            lifted_at__isnull=True,
            awaiting_approval=False,
            starts_at__lte=at,
        )

    def unlifted(self) -> AppliedMeasureQuerySet:
        return self.filter(lifted_at__isnull=True)


class AppliedMeasure(models.Model):
    """One sanction on a vendor (and possibly one of its products), from one cause."""

    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="applied_measures",
    )
    kind = models.CharField(_("measure"), max_length=32, choices=MeasureKind.choices)
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applied_measures",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(
        _("ends at"), null=True, blank=True, help_text=_("Empty: until lifted.")
    )
    amount = MoneyField(_("deduction (CNY)"), null=True, blank=True)
    cause_type = models.CharField(_("cause"), max_length=16, choices=CauseType.choices)
    cause_id = models.CharField(_("cause reference"), max_length=64, blank=True, default="")
    penalty_case = models.ForeignKey(
        "compliance.PenaltyCase",
        verbose_name=_("penalty case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
    )
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Second approval (evict, ban, deposit deduction): the measure waits, without effect,
    # until a compliance lead other than `created_by` approves it.
    awaiting_approval = models.BooleanField(_("awaiting second approval"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # One-shot kinds: when the act (delisting, deduction, eviction) was carried out.
    executed_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    execution_ref = models.CharField(_("carried out as"), max_length=100, blank=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lift_reason = models.TextField(_("lift reason"), blank=True)
    history = HistoricalRecords()

    objects = AppliedMeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("applied measure")
        verbose_name_plural = _("applied measures")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["vendor", "lifted_at"]),
            models.Index(fields=["cause_type", "cause_id"]),
        ]
        constraints = [
            # The same sanction from the same cause is never in force twice, even when two
            # requests or sweeps apply it at once (the second insert fails and is read back).
            models.UniqueConstraint(
                fields=["vendor", "kind", "product", "cause_type", "cause_id"],
                condition=Q(lifted_at__isnull=True, product__isnull=False),
                name="measure_unique_unlifted_product",
            ),
            models.UniqueConstraint(
                fields=["vendor", "kind", "cause_type", "cause_id"],
                condition=Q(lifted_at__isnull=True, product__isnull=True),
                name="measure_unique_unlifted_vendor",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="measure_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="measure_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        target = self.product if self.product_id else self.vendor
        return f"{self.get_kind_display()} · {target}"

    def in_force(self, at: dt.datetime) -> bool:
        return (
            self.lifted_at is None
            and not self.awaiting_approval
            and self.starts_at <= at
            and (self.ends_at is None or self.ends_at > at)
        )
