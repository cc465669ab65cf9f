"""Security review (安全审核) of products and revisions (MS-4.1.1, MS-4.1.4, MS-6.1.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import ReviewIncomplete, TransitionRefused, VendorMayNotPublish
from catalog.models import (
    ItemResult,
    Product,
    ProductRevision,
    ReviewItem,
    SecurityReview,
    SecurityReviewItem,
)
from catalog.services.revisions import revision_publish
from catalog.signals import product_listed
from marketplace.audit import create_audited, save_audited
from marketplace.exceptions import ValidationFailed
from marketplace.service_helpers import lock_row, require_reason, run_transition
from vendors.models import Vendor


def security_review_start(*, product: Product, actor: Any) -> SecurityReview:
    """A reviewer takes what `product` has waiting: its own submission, or else its update.

    Opens one review with every MS-4.1.4 ①–⑥ and MS-3.1.6 item unanswered.
    """
    now = timezone.now()
    with transaction.atomic():
        product = lock_row(Product, product.pk)
        revision = None
        if product.status == Product.Status.SUBMITTED:
            run_transition(product, "start_review", actor=actor)
            save_audited(
                product,
                actor=actor,
                reason="security review started (MS-4.1.1)",
                update_fields=["status", "updated_at"],
            )
        else:
            revision = (
                ProductRevision.objects.select_for_update(of=("self",))
                .filter(product=product, status=ProductRevision.Status.SUBMITTED)
                .first()
            )
            if revision is None:
                raise TransitionRefused(
                    _("Nothing of this product is waiting for security review."),
                    code="nothing_to_review",
                )
            run_transition(revision, "start_review", actor=actor)
            save_audited(
                revision,
                actor=actor,
                reason="security review of the update started (MS-6.1.2)",
                update_fields=["status"],
            )
        review = create_audited(
            SecurityReview,
            actor=actor,
            reason="security review opened",
            product=product,
            revision=revision,
            reviewer=actor,
            started_at=now,
        )
        for item in ReviewItem.values:
            create_audited(
                SecurityReviewItem,
                actor=actor,
                reason="review item opened",
                review=review,
                item=item,
            )
    return review


def _lock_open_review(review: SecurityReview) -> SecurityReview:
    review = lock_row(SecurityReview, review.pk)
    if review.outcome != SecurityReview.Outcome.OPEN:
        raise TransitionRefused(
            _("This security review is already decided."), code="review_decided"
        )
    return review


def security_review_record(
    *,
    review: SecurityReview,
    actor: Any,
    results: Mapping[str, tuple[str, str]],
    notes: str | None = None,
) -> SecurityReview:
    """Record item results `{item: (result, notes)}` on an open review (MS-4.1.4)."""
    for item, (result, _item_notes) in results.items():
        if item not in ReviewItem.values or result not in ItemResult.values:
            raise ValidationFailed(
                _("Unknown review item or result: %(item)s = %(result)s."),
                code="invalid_review_item",
                item=item,
                result=result,
            )
    with transaction.atomic():
        review = _lock_open_review(review)
        rows = {
            row.item: row
            for row in SecurityReviewItem.objects.select_for_update(of=("self",))
            .filter(review=review)
            .order_by("pk")
        }
        for item, (result, item_notes) in sorted(results.items()):
            row = rows[item]
            if (row.result, row.notes) == (result, item_notes or ""):
                continue
            row.result, row.notes = result, item_notes or ""
            save_audited(
                row,
                actor=actor,
                reason=f"review item recorded: {row.get_result_display()}",
                update_fields=["result", "notes"],
            )
        if notes is not None and notes != review.notes:
            review.notes = notes
            save_audited(review, actor=actor, reason="reviewer notes", update_fields=["notes"])
    return review


def security_review_approve(
    *, review: SecurityReview, actor: Any, notes: str = ""
) -> SecurityReview:
    """Approve: list the product (MS-4.1.1) or publish its update (MS-6.1.2).

    Impossible while any MS-4.1.4 ①–⑥ or MS-3.1.6 item failed or is unanswered.
    """
    now = timezone.now()
    with transaction.atomic():
        review = _lock_open_review(review)
        items = list(review.items.all())
        not_passed = [i.get_item_display() for i in items if i.result != ItemResult.PASS]
        if not_passed or len(items) != len(ReviewItem.values):
            raise ReviewIncomplete(
                _("The review cannot be approved: these items did not pass: %(items)s."),
                items="; ".join(str(i) for i in not_passed),
            )
        product = lock_row(Product, review.product_id)
        vendor = Vendor.objects.get(pk=product.vendor_id)
        if vendor.status != Vendor.Status.ACTIVE:
            raise VendorMayNotPublish(
                _("The vendor is %(status)s: nothing of it can go on sale."),
                code="vendor_not_active",
                status=vendor.get_status_display(),
            )
        run_transition(review, "approve", actor=actor, at=now, notes=notes)
        save_audited(
            review,
            actor=actor,
            reason="security review approved",
            update_fields=["outcome", "decided_at", "notes"],
        )
        if review.revision_id:
            revision = ProductRevision.objects.select_for_update(of=("self",)).get(
                pk=review.revision_id
            )
            run_transition(revision, "approve", actor=actor, at=now)
            save_audited(
                revision,
                actor=actor,
                reason="update approved in security review (MS-6.1.2)",
                update_fields=["status", "published_at"],
            )
            revision_publish(revision=revision, product=product, actor=actor)
        else:
            run_transition(product, "approve", actor=actor, at=now)
            save_audited(
                product,
                actor=actor,
                reason="listed after security review (MS-4.1.1)",
                update_fields=[
                    "status",
                    "listed_at",
                    "rejection_reason",
                    "delist_reason",
                    "delisted_at",
                    "updated_at",
                ],
            )
        if product.status == Product.Status.LISTED:
            # MS-4.2 / MS-3.1.5 ③ / MS-7: visibility follows every measure in force from the
            # moment the product is listed; compliance derives it (the sweep re-derives it).
            vendor_id, product_id = product.vendor_id, product.pk
            transaction.on_commit(
                lambda: product_listed.send(
                    sender=Product, vendor_id=vendor_id, product_id=product_id
                )
            )
    return review


def security_review_reject(*, review: SecurityReview, actor: Any, reason: str) -> SecurityReview:
    """Reject with a reason; the vendor sees it. A rejected update leaves the listing as is."""
    reason = require_reason(reason)
    now = timezone.now()
    with transaction.atomic():
        review = _lock_open_review(review)
        run_transition(review, "reject", actor=actor, at=now, reason=reason)
        save_audited(
            review,
            actor=actor,
            reason=reason,
            update_fields=["outcome", "decided_at", "rejection_reason"],
        )
        if review.revision_id:
            revision = ProductRevision.objects.select_for_update(of=("self",)).get(
                pk=review.revision_id
            )
            run_transition(revision, "reject", actor=actor, reason=reason)
            save_audited(
                revision,
                actor=actor,
                reason=reason,
                update_fields=["status", "rejection_reason"],
            )
        else:
            product = lock_row(Product, review.product_id)
            run_transition(product, "reject", actor=actor, reason=reason)
            save_audited(
                product,
                actor=actor,
                reason=reason,
                update_fields=["status", "rejection_reason", "updated_at"],
            )
    return review
