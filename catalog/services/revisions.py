"""Updates to a listed product as revisions (MS-6.1.2)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import TransitionRefused
from catalog.models import Product, ProductRevision, Specification
from catalog.services.common import (
    SpecInput,
    clean_specs,
    ensure_vendor_may_publish,
    require_sellable_specs,
)
from marketplace.audit import create_audited, save_audited
from marketplace.exceptions import ValidationFailed
from marketplace.service_helpers import lock_in_pk_order, lock_row, run_transition
from vendors.models import Vendor


def revision_create(
    *,
    product: Product,
    actor: Any,
    title: str,
    description: str = "",
    tags: str = "",
    deployment: str = "",
    specifications: list[SpecInput],
) -> ProductRevision:
    """Start an update of a listed product (MS-6.1.2): the listed content stays on sale.

    `specifications` is the full set the product will sell once the revision is published.
    """
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Give the product a title."), code="title_missing")
    specs = clean_specs(kind=product.kind, specs=list(specifications))  # MS-4.1.5
    require_sellable_specs(specs)
    with transaction.atomic():
        product = lock_row(Product, product.pk)
        if product.status != Product.Status.LISTED:
            raise TransitionRefused(
                _("Only a listed product is updated through a revision; this one is %(status)s."),
                status=product.get_status_display(),
            )
        if product.revisions.filter(status__in=ProductRevision.OPEN_STATUSES).exists():
            raise TransitionRefused(
                _("This product already has an update in progress."), code="revision_open"
            )
        last = product.revisions.aggregate(n=Max("number"))["n"] or 0
        return create_audited(
            ProductRevision,
            actor=actor,
            reason="product update drafted (MS-6.1.2)",
            product=product,
            number=last + 1,
            title=title,
            description=description,
            tags=tags,
            deployment=deployment,
            specifications=[spec.as_snapshot() for spec in specs],
            created_by=actor if getattr(actor, "pk", None) else None,
        )


def revision_submit(*, revision: ProductRevision, actor: Any) -> ProductRevision:
    """Draft → submitted: the update waits for security review (MS-6.1.2)."""
    with transaction.atomic():
        revision = lock_row(ProductRevision, revision.pk)
        vendor = lock_row(Vendor, revision.product.vendor_id)
        ensure_vendor_may_publish(vendor)
        run_transition(revision, "submit", actor=actor)
        save_audited(
            revision,
            actor=actor,
            reason="update submitted for security review (MS-6.1.2)",
            update_fields=["status"],
        )
    return revision


def revision_specs(revision: ProductRevision) -> list[SpecInput]:
    return [
        SpecInput(
            name=item["name"],
            price=item["price"],
            billing_period=item["billing_period"],
            is_trial=item["is_trial"],
        )
        for item in revision.specifications
    ]


def revision_publish(*, revision: ProductRevision, product: Product, actor: Any) -> None:
    """Copy an approved revision onto the (locked) product.

    Specifications are never edited in place (orders point at them): an identical one stays,
    one no longer offered goes off sale, a new one is created.
    """
    reason = f"revision #{revision.number} published after security review (MS-6.1.2)"
    product.title = revision.title
    product.description = revision.description
    product.tags = revision.tags
    product.deployment = revision.deployment
    save_audited(
        product,
        actor=actor,
        reason=reason,
        update_fields=["title", "description", "tags", "deployment", "updated_at"],
    )
    wanted = {
        (s.name, s.price, s.billing_period, s.is_trial)
        for s in clean_specs(kind=product.kind, specs=revision_specs(revision))
    }
    current = list(lock_in_pk_order(product.specifications.filter(active=True)))
    kept = set()
    for spec in current:
        key = (spec.name, spec.price, spec.billing_period, spec.is_trial)
        if key in wanted and key not in kept:
            kept.add(key)
            continue
        spec.active = False
        save_audited(spec, actor=actor, reason=reason, update_fields=["active"])
    for name, price, period, is_trial in sorted(wanted - kept):
        create_audited(
            Specification,
            actor=actor,
            reason=reason,
            product=product,
            name=name,
            price=price,
            billing_period=period,
            is_trial=is_trial,
        )
