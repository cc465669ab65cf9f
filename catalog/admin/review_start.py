"""Starting a security review from a product's or an update's page (issue 12 §3).

The button is shown only to a user who may start the review and only while the state machine
allows it (a submitted product, or a listed product's submitted update); the door it posts to
checks the permission again and the service checks the state.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.admin.display import china_time, waiting_text
from catalog.models import REVIEW_PERMISSION, Product, ProductRevision, SecurityReview
from catalog.selectors import open_security_review, review_waiting_since
from marketplace.service_helpers import transition_allowed


def waiting_revision(product: Product) -> ProductRevision | None:
    """The update waiting to be taken: submitted, review not started (MS-6.1.2)."""
    return product.revisions.filter(status=ProductRevision.Status.SUBMITTED).first()


def may_start_review(user: Any, product: Product, revision: ProductRevision | None) -> bool:
    """What `security_review_start` would take, if `user` may take it now (MS-4.1.1)."""
    if not user.has_perm(REVIEW_PERMISSION):
        return False
    if product.status == Product.Status.SUBMITTED:
        return transition_allowed(product, "start_review", user)
    return revision is not None and transition_allowed(revision, "start_review", user)


def started_message(review: SecurityReview) -> str:
    if review.revision_id:
        return _(
            "Started the security review of update #%(number)s of “%(product)s”: record each "
            "item, then approve or reject."
        ) % {"number": review.revision.number, "product": review.product}
    return _(
        "Started the security review of “%(product)s”: record each item, then approve or reject."
    ) % {"product": review.product}


def review_panel(user: Any, product: Product) -> dict[str, Any] | None:
    """What the product's page says about its security review, or None when nothing waits."""
    review = open_security_review(product=product)
    revision = None if review else waiting_revision(product)
    if review is None and revision is None and product.status != Product.Status.SUBMITTED:
        return None
    since = (
        Product.objects.filter(pk=product.pk)
        .annotate(since=review_waiting_since())
        .values_list("since", flat=True)
        .first()
    )
    subject = review.revision if review else revision
    return {
        "product": product,
        "review": review,
        "revision": subject,
        "waiting_since": china_time(since),
        "waiting_for": waiting_text(since),
        "can_start": review is None and may_start_review(user, product, revision),
        "start_url": reverse("admin:catalog_product_start_review", args=[product.pk]),
        "review_url": (
            reverse("admin:catalog_securityreview_change", args=[review.pk])
            if review and user.has_perm("catalog.view_securityreview")
            else ""
        ),
        "revision_url": (
            reverse("admin:catalog_productrevision_change", args=[subject.pk])
            if subject and user.has_perm("catalog.view_productrevision")
            else ""
        ),
    }
