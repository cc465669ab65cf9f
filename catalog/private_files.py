"""Catalogue files served by marketplace.files (issue 8 §4): qualifications (MS-4.1.2)."""

from typing import Any

from django.db.models import QuerySet

from catalog.models import ProductQualification
from catalog.selectors import products_for_vendor
from marketplace import files


def qualifications_for_vendor(*, user: Any) -> QuerySet[ProductQualification]:
    """The qualification documents of the vendor's own products."""
    return ProductQualification.objects.filter(product__in=products_for_vendor(user=user))


files.register(
    "product-qualification",
    model=ProductQualification,
    field="document",
    permission="catalog.view_productqualification",
    vendor_queryset=qualifications_for_vendor,
)
