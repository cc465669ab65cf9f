"""The one pure function that computes a refund's amount (MS-5.1 to MS-5.4, MS-5.7.2).

Its inputs are the fields stored on the refund, so a reviewer sees why an amount is due;
it reads nothing else (no database, no clock), which is what the property tests rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from catalog.models import ReviewPeriodRule
from marketplace.money import CENT, ZERO
from orders.models import RefundBasis

ONE = Decimal("1")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class RefundInputs:
    paid: Decimal
    already_refunded: Decimal
    requested: Decimal
    refundable: bool
    review_rule: str
    in_review_period: bool
    consumed_fraction: Decimal
    compensation: Decimal = ZERO
    full_refund_case: str = ""
    platform_ground: str = ""
    vendor_terms_percent: Decimal | None = None
    vendor_agreed: bool = False


@dataclass(frozen=True)
class RefundQuote:
    entitled: Decimal  # what the rules allow on this basis
    amount: Decimal  # what is paid back: the request, capped by the entitlement
    basis: str


def _down(value: Decimal) -> Decimal:
    # Round towards zero so rounding never pays back more than the rule allows.
    return value.quantize(CENT, rounding=ROUND_DOWN)


def _clamp(value: Decimal, high: Decimal) -> Decimal:
    return max(ZERO, min(value, high))


def compute_refund(inputs: RefundInputs) -> RefundQuote:
    """The amount due for a refund; never negative, never above paid − already refunded."""
    remaining = max(ZERO, inputs.paid - inputs.already_refunded)
    if not inputs.refundable:
        # MS-5.1: tool products cannot be refunded (the service refuses before this).
        return RefundQuote(ZERO, ZERO, RefundBasis.NOT_REFUNDABLE)

    consumed = _clamp(inputs.consumed_fraction, ONE)
    # The part of the price not yet consumed, less what earlier refunds already returned.
    unconsumed = _clamp(_down(inputs.paid * (ONE - consumed)) - inputs.already_refunded, remaining)

    if inputs.vendor_agreed:
        # The vendor may agree to the buyer's request, up to what is left on the order.
        entitled, basis = remaining, RefundBasis.VENDOR_AGREED
    elif inputs.in_review_period and inputs.review_rule == ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED:
        # MS-5.4.1: ops/manual before confirmation: in full, less an agreed compensation.
        entitled = _clamp(remaining - max(ZERO, inputs.compensation), remaining)
        basis = RefundBasis.BEFORE_CONFIRMATION
    elif inputs.in_review_period and inputs.review_rule != ReviewPeriodRule.NONE:
        # MS-5.1 / MS-5.4.2: the guaranteed full refund inside the review period.
        entitled, basis = remaining, RefundBasis.REVIEW_PERIOD
    elif inputs.full_refund_case:
        # MS-5.3: a loss caused by the vendor is refunded in full whatever the period.
        entitled, basis = remaining, RefundBasis.FULL_CASE
    elif inputs.platform_ground:
        # MS-5.2 ①–⑥: the platform refunds the unconsumed part directly, vendor terms aside.
        entitled, basis = unconsumed, RefundBasis.PLATFORM_GROUND
    elif inputs.vendor_terms_percent is not None:
        # MS-5.7.2: approved vendor terms decide after the review period.
        percent = _clamp(inputs.vendor_terms_percent, HUNDRED)
        entitled = _clamp(_down(unconsumed * percent / HUNDRED), remaining)
        basis = RefundBasis.VENDOR_TERMS
    else:
        # MS-5.2: by default the unconsumed part, pro rata.
        entitled, basis = unconsumed, RefundBasis.PRO_RATA

    amount = _clamp(min(inputs.requested, entitled), remaining)
    return RefundQuote(entitled=entitled, amount=amount, basis=basis)
