"""Every transition of every orders state machine: allowed exactly from the listed states."""

from __future__ import annotations

import pytest
from django_fsm import can_proceed

from catalog.models import ReviewPeriodRule
from orders.models import Clawback, Invoice, Order, Refund, VendorRefundTerms

O = Order.Status  # noqa: E741
ALL_ORDER = set(O.values)

SAAS_ORDER = {
    "start_delivery": {O.PAID},
    "deliver": {O.PAID, O.DELIVERING},
    "fail_delivery": {O.PAID, O.DELIVERING},  # MS-4.2: SaaS only
    "repair_delivery": {O.DELIVERY_FAILED},
    "start_service": set(),
    "confirm_service": set(),
    "complete": {O.DELIVERED, O.IN_SERVICE, O.SERVICE_CONFIRMED},
    "mark_refunded": ALL_ORDER - {O.REFUNDED, O.CLOSED},
    "close": {O.COMPLETED, O.REFUNDED},
}
OPS_ORDER = {
    **SAAS_ORDER,
    "fail_delivery": set(),
    "start_service": {O.PAID, O.DELIVERED},
    # MS-2.8 / MS-5.4.1: confirmation ends the ops/manual review period.
    "confirm_service": {O.PAID, O.DELIVERED, O.IN_SERVICE},
}
R = Refund.Status
REFUND = {
    "vendor_agree": {R.REQUESTED},
    "vendor_dispute": {R.REQUESTED},
    "open_arbitration": {R.REQUESTED, R.VENDOR_DISPUTED},
    "approve": {R.REQUESTED, R.VENDOR_DISPUTED, R.ARBITRATION},
    "reject": {R.VENDOR_DISPUTED, R.ARBITRATION},
    "mark_refunded": {R.VENDOR_AGREED, R.APPROVED},
    # MS-8.4.1: an open request is replaced by the full refund on the vendor's exit.
    "supersede_on_exit": {R.REQUESTED, R.VENDOR_DISPUTED, R.ARBITRATION},
}
I = Invoice.Status  # noqa: E741
INVOICE = {
    "issue": {I.REQUESTED},
    "deliver": {I.ISSUED},
    "cancel": {I.REQUESTED},
    "void": {I.ISSUED, I.DELIVERED},
    "require_red_letter": {I.ISSUED, I.DELIVERED},
    "record_red_letter_form": {I.RED_LETTER_REQUIRED},
    "issue_red_invoice": {I.RED_LETTER_FORM_RECORDED},
}
T = VendorRefundTerms.Status
TERMS = {
    "approve": {T.SUBMITTED},
    "reject": {T.SUBMITTED},
    "withdraw": {T.SUBMITTED, T.APPROVED},
}
C = Clawback.Status
CLAWBACK = {"mark_deducted": {C.OPEN}, "mark_netted": {C.OPEN}}


def _allowed_from(make, statuses, transition: str) -> set[str]:
    allowed = set()
    for status in statuses:
        obj = make(status)
        if can_proceed(getattr(obj, transition)):
            allowed.add(status)
    return allowed


def _saas(status):
    return Order(
        status=status, saas_delivered=True, review_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE
    )


def _ops(status):
    return Order(status=status, review_rule=ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED)


@pytest.mark.parametrize(
    ("make", "statuses", "table"),
    [
        (_saas, O.values, SAAS_ORDER),
        (_ops, O.values, OPS_ORDER),
        (lambda s: Refund(status=s), R.values, REFUND),
        (lambda s: Invoice(status=s), I.values, INVOICE),
        (lambda s: VendorRefundTerms(status=s), T.values, TERMS),
        (lambda s: Clawback(status=s), C.values, CLAWBACK),
    ],
    ids=["order-saas", "order-ops", "refund", "invoice", "terms", "clawback"],
)
def test_ms_5_transitions_allowed_and_refused(make, statuses, table):
    for transition, expected in table.items():
        assert _allowed_from(make, statuses, transition) == set(expected), transition


def test_every_transition_is_in_a_table():
    for model, tables in [
        (Order, [SAAS_ORDER]),
        (Refund, [REFUND]),
        (Invoice, [INVOICE]),
        (VendorRefundTerms, [TERMS]),
        (Clawback, [CLAWBACK]),
    ]:
        names = {t.name for t in model._meta.get_field("status").get_all_transitions(model)}
        assert names == set(tables[0]), model
