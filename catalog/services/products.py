"""Writes to products and their specifications: create, submit, relist, delist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import InvalidSpecification, TransitionRefused
from catalog.models import Product, ProductKind, SalesMode, Specification
from catalog.services.common import (
    SpecInput,
    clean_spec,
    clean_specs,
    ensure_vendor_may_publish,
    require_sellable_specs,
)
from marketplace.audit import create_audited, save_audited
from marketplace.exceptions import ValidationFailed
from marketplace.outbox import EventKind, event_emit, event_emit_many
from marketplace.service_helpers import lock_in_pk_order, lock_row, require_reason, run_transition
from vendors.models import Category, Vendor

# Content may be edited in place only while nobody buys or reviews it.
EDITABLE_STATUSES = (Product.Status.DRAFT, Product.Status.REJECTED, Product.Status.DELISTED)
# A vendor that left or was evicted cannot start new products.
CLOSED_VENDOR_STATUSES = (Vendor.Status.EXITING, Vendor.Status.EXITED, Vendor.Status.EVICTED)


def _lock_product(product: Product) -> Product:
    return lock_row(Product, product.pk)


def _specs_of(product: Product) -> list[SpecInput]:
    return [
        SpecInput(
            name=spec.name,
            price=spec.price,
            billing_period=spec.billing_period,
            is_trial=spec.is_trial,
        )
        for spec in product.specifications.filter(active=True)
    ]


def product_create(
    *,
    vendor: Vendor,
    actor: Any,
    kind: str,
    category: Category,
    title: str,
    description: str = "",
    tags: str = "",
    deployment: str = "",
    saas_delivered: bool = False,
    sales_mode: str = SalesMode.PLATFORM,
    specifications: list[SpecInput] | None = None,
) -> Product:
    """Create a draft product with its specifications.

    The category joins the vendor's categories: the deposit owed is the highest tier among
    them (MS-3.1.5 ①).
    """
    if kind not in ProductKind.values:
        raise ValidationFailed(_("Unknown product kind %(kind)s."), code="invalid_kind", kind=kind)
    if sales_mode not in SalesMode.values:
        raise ValidationFailed(_("Unknown sales mode."), code="invalid_sales_mode")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Give the product a title."), code="title_missing")
    specs = clean_specs(kind=kind, specs=list(specifications or []))
    with transaction.atomic():
        vendor = lock_row(Vendor, vendor.pk)
        if vendor.status in CLOSED_VENDOR_STATUSES:
            raise TransitionRefused(
                _("A vendor that is %(status)s cannot create products."),
                code="vendor_closed",
                status=vendor.get_status_display(),
            )
        product = create_audited(
            Product,
            actor=actor,
            reason="product created as a draft",
            vendor=vendor,
            kind=kind,
            category=category,
            title=title,
            description=description,
            tags=tags,
            deployment=deployment,
            saas_delivered=saas_delivered,
            sales_mode=sales_mode,
        )
        for spec in specs:
            _create_spec(product=product, spec=spec, actor=actor)
        vendor.categories.add(category)  # MS-3.1.5 ①: the deposit tier follows categories
    return product


def _create_spec(*, product: Product, spec: SpecInput, actor: Any) -> Specification:
    return create_audited(
        Specification,
        actor=actor,
        reason="specification added",
        product=product,
        name=spec.name,
        price=spec.price,
        billing_period=spec.billing_period,
        is_trial=spec.is_trial,
    )


def specification_add(*, product: Product, actor: Any, spec: SpecInput) -> Specification:
    """Add a specification to a product that is not on sale nor under review.

    A listed product changes its specifications through a revision (MS-6.1.2).
    """
    spec = clean_spec(kind=product.kind, spec=spec)  # MS-4.1.5 among others
    with transaction.atomic():
        product = _lock_product(product)
        if product.status not in EDITABLE_STATUSES:
            raise TransitionRefused(
                _(
                    "Specifications of a %(status)s product cannot be changed directly; "
                    "a listed product is updated through a revision (MS-6.1.2)."
                ),
                status=product.get_status_display(),
            )
        if product.specifications.filter(active=True, name=spec.name).exists():
            raise InvalidSpecification(
                _("Two specifications have the same name."), code="spec_name_duplicate"
            )
        return _create_spec(product=product, spec=spec, actor=actor)


def _submit(product: Product, *, actor: Any, transition_name: str, reason: str) -> Product:
    with transaction.atomic():
        product = _lock_product(product)
        vendor = lock_row(Vendor, product.vendor_id)
        ensure_vendor_may_publish(vendor)
        # MS-4.1.2: every qualification the category requires, present and not expired.
        from catalog.services.duties import ensure_qualified  # sibling module, no cycle

        ensure_qualified(product)
        specs = _specs_of(product)
        require_sellable_specs(specs)
        clean_specs(kind=product.kind, specs=specs)  # MS-4.1.5 re-checked on what is sent
        run_transition(product, transition_name, actor=actor)
        save_audited(
            product,
            actor=actor,
            reason=reason,
            update_fields=["status", "rejection_reason", "updated_at"],
        )
    return product


def product_submit(*, product: Product, actor: Any) -> Product:
    """Draft (or rejected, after fixing) → submitted for security review (MS-4.1.1)."""
    return _submit(
        product,
        actor=actor,
        transition_name="submit",
        reason="submitted for security review (MS-4.1.1)",
    )


def product_relist_submit(*, product: Product, actor: Any) -> Product:
    """Delisted → submitted: back on sale only through security review again (MS-4.1.1)."""
    return _submit(
        product,
        actor=actor,
        transition_name="relist_submit",
        reason="relisting submitted for security review (MS-4.1.1)",
    )


def product_delist(*, product: Product, actor: Any, reason: str) -> Product:
    """Listed → delisted (下架). Used by reviewers and by compliance measures.

    `actor` None is the system acting under a rule (the reason names it); a user actor
    needs the `catalog.delist_product` permission.
    """
    reason = require_reason(reason)
    with transaction.atomic():
        product = _lock_product(product)
        run_transition(product, "delist", actor=actor, reason=reason, at=timezone.now())
        save_audited(
            product,
            actor=actor,
            reason=reason,
            update_fields=["status", "delist_reason", "delisted_at", "updated_at"],
        )
        # Issue 14: the storefront takes the product off sale, with the change or not at all.
        event_emit(
            kind=EventKind.PRODUCT_DELISTED,
            subject=product,
            payload=_delisted_payload(product),
            channels=["storefront"],
        )
    return product


def _delisted_payload(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.pk,
        "vendor_id": product.vendor_id,
        "reason": product.delist_reason,
        "at": product.delisted_at,
    }


def products_delist_bulk(
    *, product_ids: Iterable[int], actor: Any, reason: str, at: dt.datetime | None = None
) -> list[Product]:
    """Listed → delisted (下架) for many products at once: a compliance measure delisting all
    of a vendor's SaaS products (MS-4.2, 30 days after an unrepaired delivery failure).

    Set-based, a fixed number of queries whatever the number of products: lock the listed ones
    (primary-key order), run the same FSM transition in memory for each (it refuses anything
    not listed and, for a user actor, checks `catalog.delist_product`), then ONE `UPDATE` and
    one bulk insert of their history rows (who + reason). Products not listed are skipped, as
    a one-shot measure finds them. Returns the products delisted.
    """
    reason = require_reason(reason)
    ids = sorted(set(product_ids))
    if not ids:
        return []
    moment = at or timezone.now()
    with transaction.atomic():
        # NO KEY: orders and refunds inserted meanwhile check their product FK with FOR KEY
        # SHARE, which a plain FOR UPDATE would block for the whole bulk delist.
        products = list(
            lock_in_pk_order(
                Product.objects.filter(pk__in=ids, status=Product.Status.LISTED), no_key=True
            )
        )
        if not products:
            return []
        now = timezone.now()
        for product in products:
            run_transition(product, "delist", actor=actor, reason=reason, at=moment)
            product.updated_at = now
        Product.objects.filter(pk__in=[p.pk for p in products]).update(
            status=Product.Status.DELISTED, delist_reason=reason, delisted_at=moment, updated_at=now
        )
        # Explicit bulk path writing the history rows itself, from the rows as now stored.
        Product.history.bulk_history_create(
            products,
            update=True,
            default_user=actor if getattr(actor, "pk", None) else None,
            default_change_reason=reason,
            default_date=now,
        )
        event_emit_many(
            kind=EventKind.PRODUCT_DELISTED,
            model=Product,
            items=[(p.pk, _delisted_payload(p)) for p in products],
            channels=["storefront"],
        )
    return products
