"""Catalogue models: products and specifications, revisions, security reviews, policies."""

from catalog.models.policies import KindPolicy, ReviewPeriodRule, ServiceFeeRate
from catalog.models.products import (
    DELIST_PERMISSION,
    NO_ZERO_PRICE_KINDS,
    REVIEW_PERMISSION,
    ZERO_PRICE_MESSAGE,
    Product,
    ProductKind,
    SalesMode,
    Specification,
    zero_price_refused,
)
from catalog.models.resources import (
    MarketingGrant,
    ProductQualification,
    QualificationRequirement,
)
from catalog.models.reviews import ItemResult, ReviewItem, SecurityReview, SecurityReviewItem
from catalog.models.revisions import ProductRevision

__all__ = [
    "DELIST_PERMISSION",
    "NO_ZERO_PRICE_KINDS",
    "REVIEW_PERMISSION",
    "ZERO_PRICE_MESSAGE",
    "ItemResult",
    "KindPolicy",
    "MarketingGrant",
    "Product",
    "ProductKind",
    "ProductQualification",
    "ProductRevision",
    "QualificationRequirement",
    "ReviewItem",
    "ReviewPeriodRule",
    "SalesMode",
    "SecurityReview",
    "SecurityReviewItem",
    "ServiceFeeRate",
    "Specification",
    "zero_price_refused",
]
