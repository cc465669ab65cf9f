"""The timed rules, in the order a sweep runs them.

Order matters a little: expiries first (a measure ending today must not hide a lift), the
escalations next, the flags and the review-period marking last.
"""

from __future__ import annotations

from collections.abc import Sequence

from compliance.sweep.base import Rule


def all_rules() -> list[Rule]:
    from compliance.sweep.deposit_refund_due import DepositRefundDueRule
    from compliance.sweep.deposit_topup import DepositTopUpRule
    from compliance.sweep.documents import DocumentExpiryRule
    from compliance.sweep.measure_expiry import MeasureExpiryRule
    from compliance.sweep.penalty_case_close import PenaltyCaseCloseRule
    from compliance.sweep.refund_rate import RefundRateRule
    from compliance.sweep.review_periods import ReviewPeriodRule
    from compliance.sweep.saas_delivery import SaasDeliveryRule
    from compliance.sweep.vendor_exit import VendorExitRule

    return [
        MeasureExpiryRule(),
        PenaltyCaseCloseRule(),
        DepositTopUpRule(),
        SaasDeliveryRule(),
        RefundRateRule(),
        DocumentExpiryRule(),
        DepositRefundDueRule(),
        VendorExitRule(),
        ReviewPeriodRule(),
    ]


def rule_names() -> list[str]:
    return [rule.name for rule in all_rules()]


def get_rules(names: Sequence[str] | None = None) -> list[Rule]:
    """The rules named (in sweep order), or all; an unknown name raises ValueError."""
    rules = all_rules()
    if not names:
        return rules
    known = {rule.name for rule in rules}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(
            f"unknown rule(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return [rule for rule in rules if rule.name in set(names)]
