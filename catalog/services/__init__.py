"""Every write to the catalogue. Re-exported here so callers import `catalog.services`."""

from catalog.services.duties import (
    marketing_grant_create,
    missing_qualifications,
    product_draft_update,
    qualification_upload,
)
from catalog.services.products import (
    SpecInput,
    product_create,
    product_delist,
    product_relist_submit,
    product_submit,
    products_delist_bulk,
    specification_add,
)
from catalog.services.reviews import (
    security_review_approve,
    security_review_record,
    security_review_reject,
    security_review_start,
)
from catalog.services.revisions import revision_create, revision_submit

__all__ = [
    "SpecInput",
    "marketing_grant_create",
    "missing_qualifications",
    "product_create",
    "product_delist",
    "product_draft_update",
    "product_relist_submit",
    "product_submit",
    "products_delist_bulk",
    "qualification_upload",
    "revision_create",
    "revision_submit",
    "security_review_approve",
    "security_review_record",
    "security_review_reject",
    "security_review_start",
    "specification_add",
]
