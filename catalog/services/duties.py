"""Issue 13 duties in the catalogue: qualifications per product (MS-4.1.2), marketing grants
only to eligible vendors (MS-4.1.3 with MS-5.8), and editing a draft before submission."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import MarketingIneligible, QualificationsMissing, TransitionRefused
from catalog.models import MarketingGrant, Product, ProductQualification, QualificationRequirement
from marketplace.audit import create_audited, save_audited
from marketplace.exceptions import ValidationFailed
from marketplace.service_helpers import lock_row
from marketplace.timeutils import china_date
from vendors.models import Vendor
from vendors.validators import validate_document_file

# A draft (or a rejected product being fixed) is the vendor's to edit; nobody reviews it yet.
DRAFT_EDITABLE = (Product.Status.DRAFT, Product.Status.REJECTED)


def required_qualifications(product: Product) -> list[QualificationRequirement]:
    return list(
        QualificationRequirement.objects.filter(category_id=product.category_id, active=True)
    )


def current_qualifications(product: Product) -> dict[int, ProductQualification]:
    """The product's current document per requirement (the latest upload)."""
    rows = ProductQualification.objects.filter(
        product=product, requirement__isnull=False, replaced_at__isnull=True
    ).order_by("pk")
    return {q.requirement_id: q for q in rows}


def missing_qualifications(product: Product, *, on: dt.date | None = None) -> list[str]:
    """MS-4.1.2: each required qualification without a document, or expired on `on`."""
    on = on or china_date(timezone.now())
    held = current_qualifications(product)
    problems: list[str] = []
    for requirement in required_qualifications(product):
        qualification = held.get(requirement.pk)
        if qualification is None or not qualification.document:
            problems.append(_g("%(name)s is missing") % {"name": requirement.name})
        elif qualification.expires_on is not None and qualification.expires_on < on:
            problems.append(
                _g("%(name)s expired on %(date)s")
                % {"name": requirement.name, "date": qualification.expires_on.isoformat()}
            )
    return problems


def ensure_qualified(product: Product) -> None:
    problems = missing_qualifications(product)
    if problems:
        raise QualificationsMissing(problems)


def qualification_upload(
    *,
    product: Product,
    requirement: QualificationRequirement,
    file: Any,
    number: str = "",
    expires_on: dt.date | None = None,
    actor: Any,
) -> ProductQualification:
    """MS-4.1.2: the vendor uploads the document a required qualification asks for; a new
    upload replaces the previous one (kept, with its history)."""
    errors: list[str] = []
    if requirement.category_id != product.category_id:
        errors.append(_g("This qualification is not required for the product's category."))
    try:
        validate_document_file(file)
    except ValidationError as exc:
        errors.extend(exc.messages)
    if expires_on is not None and expires_on < china_date(timezone.now()):
        errors.append(_g("This document has already expired; upload a current one."))
    if errors:
        exc = ValidationFailed("%(items)s", code="invalid", items=" ".join(errors))
        exc.items = errors  # type: ignore[attr-defined]
        raise exc
    with transaction.atomic():
        product = lock_row(Product, product.pk)
        if product.status in (Product.Status.SUBMITTED, Product.Status.IN_REVIEW):
            raise TransitionRefused(
                _("Qualifications cannot change while the product is in security review."),
                code="product_in_review",
            )
        now = timezone.now()
        for old in ProductQualification.objects.select_for_update(of=("self",)).filter(
            product=product, requirement=requirement, replaced_at__isnull=True
        ):
            old.replaced_at = now
            save_audited(
                old, actor=actor, reason="replaced by a new upload", update_fields=["replaced_at"]
            )
        return create_audited(
            ProductQualification,
            actor=actor,
            reason="qualification uploaded by the vendor (MS-4.1.2)",
            product=product,
            requirement=requirement,
            name=requirement.name,
            document=file,
            number=(number or "").strip()[:100],
            expires_on=expires_on,
            uploaded_at=now,
        )


def product_draft_update(
    *,
    product: Product,
    actor: Any,
    title: str,
    description: str = "",
    tags: str = "",
    deployment: str = "",
) -> Product:
    """Edit a draft (or rejected) product's content before (re)submission; a listed product
    changes through a revision instead (MS-6.1.2)."""
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Give the product a title."), code="title_missing")
    with transaction.atomic():
        product = lock_row(Product, product.pk)
        if product.status not in DRAFT_EDITABLE:
            raise TransitionRefused(
                _("Only a draft or rejected product can be edited here."),
                code="product_not_draft",
            )
        product.title = title
        product.description = description or ""
        product.tags = tags or ""
        product.deployment = deployment or ""
        save_audited(
            product,
            actor=actor,
            reason="draft edited by the vendor",
            update_fields=["title", "description", "tags", "deployment", "updated_at"],
        )
    return product


def marketing_grant_create(
    *,
    product: Product,
    resource: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    note: str = "",
    actor: Any,
) -> MarketingGrant:
    """MS-4.1.3: grant a marketing resource to one product, never to a vendor that lost its
    eligibility under MS-5.8 (`Vendor.marketing_eligible`, written by compliance's recompute
    of the measures in force: catalog reads the vendor's own field, DESIGN "overlays")."""
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(_("The grant cannot end before it starts."), code="grant_dates")
    with transaction.atomic():
        vendor = lock_row(Vendor, product.vendor_id)
        if not vendor.marketing_eligible:
            raise MarketingIneligible()
        return create_audited(
            MarketingGrant,
            actor=actor,
            reason=f"marketing resource granted (MS-4.1.3): {resource}",
            product=product,
            resource=resource,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note,
            granted_by=actor if getattr(actor, "pk", None) else None,
        )
