"""Products (产品, MS-2.3) and their specifications (规格).

Visibility fields (`searchable`, `hidden_reason`, `content_shielded`) are effective state
written only by `compliance`'s recompute of active measures (DESIGN "Measures are overlays").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField
from simple_history.models import HistoricalRecords

from marketplace.money import MoneyField
from vendors.models import Category, Vendor


class ProductKind(models.TextChoices):
    """MS-2.3 / UA-2.3 product kinds; the refund policy follows the kind (MS-2.8, MS-5.1)."""

    IMAGE = "image", _("Image service")
    SOFTWARE = "software", _("Software service")
    SAAS = "saas", _("Access-type SaaS")
    CLOUD_APP = "cloud_app", _("Cloud application")
    OPS = "ops", _("Ops service")
    MANUAL = "manual", _("Manual service")
    TOOL = "tool", _("Tool product")
    DEV_TOOL = "dev_tool", _("Development tool")


class SalesMode(models.TextChoices):
    """MS-4.5: who sells, and so who invoices the buyer."""

    PLATFORM = "platform", _("Platform mode (vendor sells)")
    CONSIGNMENT = "consignment", _("Consignment (the cloud sells for the vendor)")


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In security review")
        LISTED = "listed", _("Listed")
        REJECTED = "rejected", _("Rejected")
        DELISTED = "delisted", _("Delisted")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="products"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices)
    saas_delivered = models.BooleanField(_("delivered as SaaS"), default=False)
    sales_mode = models.CharField(
        _("sales mode"), max_length=16, choices=SalesMode.choices, default=SalesMode.PLATFORM
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    tags = models.CharField(_("tags"), max_length=300, blank=True)
    deployment = models.CharField(
        _("where it is deployed"),
        max_length=200,
        blank=True,
        help_text=_("MS-3.1.6: must run on this cloud's resources"),
    )
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=False)
    # Effective visibility written by compliance's recompute (see module docstring).
    searchable = models.BooleanField(_("searchable"), default=True)
    hidden_reason = models.CharField(_("why hidden"), max_length=300, blank=True)
    content_shielded = models.BooleanField(_("content shielded"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["vendor", "status"])]

    def __str__(self) -> str:
        return self.title


class Specification(models.Model):
    """A sellable specification (规格) of a product: price and billing period."""

    class BillingPeriod(models.TextChoices):
        ONCE = "once", _("One-off")
        MONTH = "month", _("Monthly")
        YEAR = "year", _("Yearly")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="specifications"
    )
    name = models.CharField(_("name"), max_length=100)
    price = MoneyField(_("price (CNY)"))
    billing_period = models.CharField(
        _("billing period"), max_length=8, choices=BillingPeriod.choices, default=BillingPeriod.ONCE
    )
    is_trial = models.BooleanField(_("trial specification"), default=False)
    active = models.BooleanField(_("on sale"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("specification")
        verbose_name_plural = _("specifications")
        ordering = ["product", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="spec_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} / {self.name}"
