"""The catalog's queues on the reviewers' work board (marketplace.workboard)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from catalog.models import Product, ProductRevision
from catalog.selectors import submitted_since
from marketplace.workboard import Queue, register

WAITING_PRODUCTS = [Product.Status.SUBMITTED, Product.Status.IN_REVIEW]
WAITING_REVISIONS = [ProductRevision.Status.SUBMITTED, ProductRevision.Status.IN_REVIEW]


def register_queues() -> None:
    register(
        Queue(
            key="products_to_review",
            label=_("Products awaiting security review"),
            help=_("MS-4.1.1: listed only after the review"),
            permission="catalog.review_product",
            # Waiting since the (re)submission in history, not the last change: a review
            # started or a reviewer's note must not reset the age.
            items=lambda user, now: Product.objects.filter(status__in=WAITING_PRODUCTS).annotate(
                waiting_from=submitted_since(Product, "updated_at")
            ),
            waiting_since="waiting_from",
            changelist="admin:catalog_product_changelist",
            filters=lambda user, now: {"status__in": ",".join(WAITING_PRODUCTS)},
            order=20,
        )
    )
    register(
        Queue(
            key="revisions_to_review",
            label=_("Product updates awaiting security review"),
            help=_("MS-6.1.2: the listed version stays on sale until then"),
            permission="catalog.review_product",
            items=lambda user, now: ProductRevision.objects.filter(
                status__in=WAITING_REVISIONS
            ).annotate(waiting_from=submitted_since(ProductRevision, "created_at")),
            waiting_since="waiting_from",
            changelist="admin:catalog_productrevision_changelist",
            filters=lambda user, now: {"status__in": ",".join(WAITING_REVISIONS)},
            order=21,
        )
    )
