"""Reads about the catalogue: scoping for vendor users, review queues, rule parameters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import KindPolicy, Product, ProductRevision, ServiceFeeRate
from marketplace.exceptions import NotFound
from marketplace.timeutils import china_date
from vendors.models import Category
from vendors.selectors import vendor_for_user


def _as_china_date(on: dt.date | dt.datetime) -> dt.date:
    """Rules are effective per China day; an aware moment is turned into its China date."""
    return china_date(on) if isinstance(on, dt.datetime) else on


def kind_policy(kind: str, on: dt.date | dt.datetime) -> KindPolicy:
    """The refund policy of a product kind in force on `on` (MS-2.8, MS-5.1).

    `on` is a China date (or an aware datetime, turned into its China date). Raises
    `NotFound` (code `no_kind_policy`) when no policy was in force: a data gap, never a
    silent default.
    """
    day = _as_china_date(on)
    policy = (
        KindPolicy.objects.filter(kind=kind, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )
    if policy is None:
        raise NotFound(
            _("No refund policy is in force for product kind %(kind)s on %(day)s."),
            code="no_kind_policy",
            kind=kind,
            day=day.isoformat(),
        )
    return policy


def service_fee_rate(category: Category | int | None, on: dt.date | dt.datetime) -> Decimal:
    """The platform service-fee rate (a fraction, e.g. Decimal("0.1000")) on `on` (MS-2.6).

    A category's own rate in force wins over the platform default (category empty). Raises
    `NotFound` (code `no_service_fee_rate`) when neither is in force.
    """
    day = _as_china_date(on)
    category_id = category.pk if isinstance(category, Category) else category
    in_force = ServiceFeeRate.objects.filter(effective_from__lte=day)
    row = None
    if category_id is not None:
        row = in_force.filter(category_id=category_id).order_by("-effective_from").first()
    if row is None:
        row = in_force.filter(category__isnull=True).order_by("-effective_from").first()
    if row is None:
        raise NotFound(
            _("No service fee rate is in force on %(day)s."),
            code="no_service_fee_rate",
            day=day.isoformat(),
        )
    return row.rate


def products_for_vendor(*, user: Any) -> QuerySet[Product]:
    """The scoping selector: only the products of the vendor `user` acts for (isolation)."""
    vendor = vendor_for_user(user=user)
    return (
        Product.objects.filter(vendor=vendor)
        .select_related("category")
        .annotate(has_open_revision=open_revision_exists())
    )


def open_revision_exists() -> Exists:
    return Exists(
        ProductRevision.objects.filter(
            product=OuterRef("pk"), status__in=ProductRevision.OPEN_STATUSES
        )
    )


def revision_awaiting_review(statuses: list[str] | None = None) -> Exists:
    statuses = statuses or [ProductRevision.Status.SUBMITTED, ProductRevision.Status.IN_REVIEW]
    return Exists(ProductRevision.objects.filter(product=OuterRef("pk"), status__in=statuses))


def products_awaiting_review() -> QuerySet[Product]:
    """Products a security reviewer has to look at (MS-4.1.1, MS-6.1.2).

    Submitted or in-review products, and listed products whose update (revision) is
    submitted or in review.
    """
    return (
        Product.objects.annotate(revision_awaiting_review=revision_awaiting_review())
        .filter(
            Q(status__in=[Product.Status.SUBMITTED, Product.Status.IN_REVIEW])
            | Q(revision_awaiting_review=True)
        )
        .select_related("vendor", "category")
    )


def listed_products() -> QuerySet[Product]:
    """Products on sale (MS-4.1.1): listed. Visibility to buyers is `searchable` on top."""
    return Product.objects.filter(status=Product.Status.LISTED).select_related("vendor", "category")


def open_revision(*, product: Product) -> ProductRevision | None:
    return product.revisions.filter(status__in=ProductRevision.OPEN_STATUSES).first()
