"""Rule parameters of the catalogue, as effective-dated data with history.

- `KindPolicy`: which review period (复议期, MS-2.8) and refundability (MS-5.1) a product
  kind has. Orders snapshot it at purchase through `catalog.selectors.kind_policy`.
- `ServiceFeeRate`: the platform service fee (平台服务费, MS-2.6 ASSUMPTION) as a rate per
  category, with a platform-wide default row (category empty).

A row applies from its `effective_from` day (China date) until the next row of the same key;
rows are never edited away, so a past order is judged by the parameters then in force
(MS-9.2).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.models.products import ProductKind
from marketplace.money import format_rate
from vendors.models import Category


class ReviewPeriodRule(models.TextChoices):
    """MS-2.8: how a kind's review period is measured."""

    DAYS_FROM_PURCHASE = "days_from_purchase", _("Days from the purchase day")
    UNTIL_SERVICE_CONFIRMED = "until_service_confirmed", _("Until the service is confirmed")
    NONE = "none", _("No review period")


class KindPolicy(models.Model):
    """The refund policy of a product kind from a date (MS-2.8, MS-5.1, RULES ASSUMPTIONs)."""

    kind = models.CharField(_("product kind"), max_length=16, choices=ProductKind.choices)
    effective_from = models.DateField(
        _("effective from"), help_text=_("China date from which this policy applies")
    )
    review_period_rule = models.CharField(
        _("review period rule"), max_length=32, choices=ReviewPeriodRule.choices
    )
    review_period_days = models.PositiveSmallIntegerField(
        _("review period days"),
        null=True,
        blank=True,
        help_text=_("Only for 'days from the purchase day': the purchase day counts as day 1."),
    )
    refundable = models.BooleanField(
        _("refundable"), default=True, help_text=_("MS-5.1: tool products cannot be refunded.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kind refund policy")
        verbose_name_plural = _("kind refund policies")
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "effective_from"], name="kind_policy_one_per_kind_and_day"
            ),
            # Days are given exactly when the rule counts days.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
                        review_period_days__gte=1,
                    )
                    | (
                        ~models.Q(review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE)
                        & models.Q(review_period_days__isnull=True)
                    )
                ),
                name="kind_policy_days_match_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.effective_from}"

    def clean(self) -> None:
        super().clean()
        counts_days = self.review_period_rule == ReviewPeriodRule.DAYS_FROM_PURCHASE
        if counts_days and not self.review_period_days:
            raise ValidationError(
                {"review_period_days": _("Give the number of days of the review period.")}
            )
        if not counts_days and self.review_period_days is not None:
            raise ValidationError(
                {"review_period_days": _("Days apply only to 'days from the purchase day'.")}
            )

    @property
    def has_review_period(self) -> bool:
        return self.review_period_rule != ReviewPeriodRule.NONE


class ServiceFeeRate(models.Model):
    """MS-2.6 ASSUMPTION: the platform service fee as a fraction of the order amount.

    A row with an empty category is the platform default; a category's own row, once in
    force, takes precedence over the default for that category.
    """

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="service_fee_rates",
        null=True,
        blank=True,
        help_text=_("Empty: the default for every category without a rate of its own."),
    )
    rate = models.DecimalField(
        _("rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.9999"))],
        help_text=_("A fraction of the order amount: 0.1000 is 10%."),
    )
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service fee rate")
        verbose_name_plural = _("service fee rates")
        ordering = ["category__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "effective_from"], name="fee_rate_one_per_category_and_day"
            ),
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=models.Q(category__isnull=True),
                name="fee_rate_one_default_per_day",
            ),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lt=1), name="fee_rate_is_a_fraction"
            ),
        ]

    def __str__(self) -> str:
        scope = self.category or _("default")
        return f"{scope}: {format_rate(self.rate)} @ {self.effective_from}"
