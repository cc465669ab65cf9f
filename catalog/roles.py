"""What each platform role may do in the catalogue (synced to groups after migrate)."""

from __future__ import annotations

from marketplace import roles

_VIEW = [
    "catalog.view_product",
    "catalog.view_specification",
    "catalog.view_productrevision",
    "catalog.view_kindpolicy",
    "catalog.view_servicefeerate",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # MS-4.1.1 / MS-4.1.4 / MS-6.1.2: security review; MS-4.1.2 qualifications are checked
    # in the same pass.
    roles.SECURITY_REVIEWER: [
        *_VIEW,
        "catalog.review_product",
        "catalog.view_securityreview",
        "catalog.change_securityreview",
        "catalog.view_securityreviewitem",
        "catalog.change_securityreviewitem",
        "catalog.view_productqualification",
        "catalog.add_productqualification",
        "catalog.change_productqualification",
        "catalog.view_marketinggrant",
        # MS-4.1.2: which qualifications each category requires.
        "catalog.view_qualificationrequirement",
        "catalog.add_qualificationrequirement",
        "catalog.change_qualificationrequirement",
    ],
    # Penalties delist products (MS-7 "delist the product"); MS-4.1.3 grants are operations.
    roles.COMPLIANCE_REVIEWER: [
        *_VIEW,
        "catalog.delist_product",
        "catalog.view_securityreview",
        "catalog.view_productqualification",
        "catalog.view_marketinggrant",
        "catalog.add_marketinggrant",
        "catalog.change_marketinggrant",
    ],
    # The lead also keeps the refund policy per kind (MS-2.8 rule parameters).
    roles.COMPLIANCE_LEAD: [
        *_VIEW,
        "catalog.delist_product",
        "catalog.view_securityreview",
        "catalog.view_productqualification",
        "catalog.view_marketinggrant",
        "catalog.add_marketinggrant",
        "catalog.change_marketinggrant",
        "catalog.add_kindpolicy",
        "catalog.change_kindpolicy",
    ],
    roles.REFUND_ARBITRATOR: [*_VIEW],
    # Finance keeps the service-fee rates (MS-2.6).
    roles.FINANCE: [*_VIEW, "catalog.add_servicefeerate", "catalog.change_servicefeerate"],
    roles.ONBOARDING_REVIEWER: ["catalog.view_product", "catalog.view_productqualification"],
}
