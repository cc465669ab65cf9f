"""Products (产品, MS-2.3) and their specifications (规格).

Visibility fields (`searchable`, `hidden_reason`, `content_shielded`) are effective state
written only by `compliance`'s recompute of active measures (DESIGN "Measures are overlays").

Transitions change state in memory only; `catalog.services` locks, checks the vendor and
permissions, saves and records history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from marketplace.money import MoneyField
from vendors.models import Category, Vendor

REVIEW_PERMISSION = "catalog.review_product"
DELIST_PERMISSION = "catalog.delist_product"


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


# MS-4.1.5: kinds that may not have a 0-price specification other than a trial one.
NO_ZERO_PRICE_KINDS = frozenset({ProductKind.SAAS, ProductKind.MANUAL})


def zero_price_refused(*, kind: str, price: Decimal | None, is_trial: bool) -> bool:
    """MS-4.1.5: True when a specification of `kind` at `price` is forbidden.

    Access-type SaaS and manual services may not be offered at 0; a trial specification
    (试用规格) is the rule's own way to offer a trial, so it may be 0-price.
    """
    return price is not None and price == 0 and not is_trial and kind in NO_ZERO_PRICE_KINDS


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
    # Lifecycle facts, set by the transitions below.
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    listed_at = models.DateTimeField(_("listed at"), null=True, blank=True)
    delisted_at = models.DateTimeField(_("delisted at"), null=True, blank=True)
    delist_reason = models.TextField(_("delisting reason"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["vendor", "status"])]
        permissions = [
            ("review_product", _("Can carry out product security reviews")),
            ("delist_product", _("Can delist a product")),
        ]

    def __str__(self) -> str:
        return self.title

    # --- lifecycle (MS-4.1.1: listed only after security review) -------------------------
    @transition(field=status, source=[Status.DRAFT, Status.REJECTED], target=Status.SUBMITTED)
    def submit(self) -> None:
        """The vendor asks for listing; the service checks the vendor may publish."""
        self.rejection_reason = ""

    @transition(field=status, source=Status.DELISTED, target=Status.SUBMITTED)
    def relist_submit(self) -> None:
        """A delisted product goes back on sale only through security review again."""

    @transition(
        field=status,
        source=Status.SUBMITTED,
        target=Status.IN_REVIEW,
        permission=REVIEW_PERMISSION,
    )
    def start_review(self) -> None:
        """A reviewer takes the submission (MS-4.1.1)."""

    @transition(
        field=status, source=Status.IN_REVIEW, target=Status.LISTED, permission=REVIEW_PERMISSION
    )
    def approve(self, *, at: dt.datetime) -> None:
        """Security review passed (MS-4.1.1, MS-4.1.4): the product goes on sale."""
        self.listed_at = at
        self.rejection_reason = ""
        self.delist_reason = ""
        self.delisted_at = None

    @transition(
        field=status,
        source=Status.IN_REVIEW,
        target=Status.REJECTED,
        permission=REVIEW_PERMISSION,
    )
    def reject(self, *, reason: str) -> None:
        self.rejection_reason = reason

    @transition(
        field=status, source=Status.LISTED, target=Status.DELISTED, permission=DELIST_PERMISSION
    )
    def delist(self, *, reason: str, at: dt.datetime) -> None:
        """Removed from sale (下架), by a reviewer or a compliance measure."""
        self.delist_reason = reason
        self.delisted_at = at


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
            # MS-4.1.5's 0-price rule depends on the product's kind, which lives on another
            # table: a CHECK cannot see it, so clean() and the services enforce that part.
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="spec_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} / {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.price is not None and self.price < 0:
            raise ValidationError({"price": _("A price cannot be negative.")})
        product = getattr(self, "product", None) if self.product_id else None
        if product is not None and zero_price_refused(
            kind=product.kind, price=self.price, is_trial=self.is_trial
        ):
            raise ValidationError({"price": ZERO_PRICE_MESSAGE})


ZERO_PRICE_MESSAGE = _(
    "Access-type SaaS and manual-service products may not have a 0-price specification; "
    "offer a trial specification instead (MS-4.1.5)."
)
