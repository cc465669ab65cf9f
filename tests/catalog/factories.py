"""Catalog test helpers: reviewers, vendor users, products in every lifecycle state."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from catalog.models import ItemResult, Product, ReviewItem, SecurityReview
from catalog.services import (
    SpecInput,
    product_create,
    product_submit,
    security_review_approve,
    security_review_record,
    security_review_start,
)
from tests.factories import CategoryFactory, UserFactory, VendorFactory

# One definition for every app's tests (tests/factories.py), importable from here too.
from tests.factories import vendor_user as vendor_user


def reviewer(username: str = "reviewer", *, delist: bool = False):
    user = UserFactory(username=username, is_staff=True)
    codenames = ["review_product", "view_product", "view_securityreview", "change_securityreview"]
    if delist:
        codenames.append("delist_product")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames)
    )
    return user


def all_pass() -> dict[str, tuple[str, str]]:
    return {item: (ItemResult.PASS, "") for item in ReviewItem.values}


def draft_product(
    *, vendor=None, actor=None, kind: str = "software", price: str = "100.00", **extra
) -> Product:
    vendor = vendor or VendorFactory()
    return product_create(
        vendor=vendor,
        actor=actor,
        kind=kind,
        category=extra.pop("category", None) or CategoryFactory(),
        title=extra.pop("title", "Backup suite"),
        deployment="this cloud, ap-guangzhou",
        specifications=[SpecInput(name="Standard", price=price)],
        **extra,
    )


def open_review(product: Product, reviewer_user) -> SecurityReview:
    product_submit(product=product, actor=None)
    return security_review_start(product=product, actor=reviewer_user)


def listed_product(reviewer_user, **kwargs) -> Product:
    product = draft_product(**kwargs)
    review = open_review(product, reviewer_user)
    security_review_record(review=review, actor=reviewer_user, results=all_pass())
    security_review_approve(review=review, actor=reviewer_user)
    product.refresh_from_db()
    return product
