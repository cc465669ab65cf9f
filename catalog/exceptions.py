"""Domain errors of the catalogue, each with a stable code and a translatable message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import (  # noqa: F401  (re-exported: the catalogue's callers)
    PermissionDenied,
    ReasonRequired,
    StateConflict,
    TransitionRefused,
    ValidationFailed,
)


class ZeroPriceForbidden(ValidationFailed):
    """MS-4.1.5."""

    code = "zero_price_forbidden"
    default_message = _(
        "Access-type SaaS and manual-service products may not have a 0-price specification; "
        "offer a trial specification instead (MS-4.1.5)."
    )


class InvalidSpecification(ValidationFailed):
    code = "invalid_specification"
    default_message = _("The specification is not valid.")


class VendorMayNotPublish(PermissionDenied):
    """Only an active vendor whose publishing is not restricted may submit."""

    code = "vendor_may_not_publish"
    default_message = _("Your company may not submit products at the moment.")


class ReviewIncomplete(StateConflict):
    """MS-4.1.4: approval needs a pass on every item."""

    code = "review_items_not_passed"
    default_message = _("The review cannot be approved: every item must pass (MS-4.1.4, MS-3.1.6).")


class QualificationsMissing(StateConflict):
    """MS-4.1.2: a required qualification is missing or expired; `.items` lists them."""

    code = "qualifications_missing"

    def __init__(self, items: list[str]) -> None:
        super().__init__(
            _(
                "The product cannot be submitted for security review: required qualifications "
                "missing or expired (MS-4.1.2): %(items)s"
            ),
            items="; ".join(items),
        )
        self.items = items


class MarketingIneligible(StateConflict):
    code = "marketing_ineligible"
    default_message = _(
        "This vendor is not eligible for marketing campaigns: its refund rate is above the "
        "threshold (MS-5.8), so no marketing resources can be granted (MS-4.1.3)."
    )
