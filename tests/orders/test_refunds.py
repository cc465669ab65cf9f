"""Refunds (MS-5.1 to MS-5.8): the state machine, the amount on each basis, caps, clawback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from catalog.models import ProductKind
from marketplace.exceptions import StateConflict, ValidationFailed
from orders.exceptions import AmountInvalid, ExternalIdConflict, RefundRefused, TransitionNotAllowed
from orders.models import Clawback, Order, Refund, RefundBasis, VendorRefundTerms
from orders.services import (
    DeliveryOutcome,
    order_report_delivery,
    order_settle,
    refund_approve,
    refund_mark_refunded,
    refund_open_arbitration,
    refund_reject,
    refund_request,
    refund_vendor_agree,
    refund_vendor_dispute,
    vendor_terms_approve,
    vendor_terms_submit,
)
from tests.orders.factories import PAID_AT, make_order

pytestmark = pytest.mark.django_db

INSIDE = PAID_AT + dt.timedelta(days=2)
OUTSIDE = PAID_AT + dt.timedelta(days=10)


def ask(order, amount="100.00", *, at=INSIDE, reason="not_as_expected", ext="R-1", **kw):
    refund, _created = refund_request(
        order=order,
        external_id=ext,
        reason_code=reason,
        amount_requested=amount,
        description="does not start",
        requested_at=at,
        received_at=at,  # seeded history: received when it was asked
        **kw,
    )
    return refund


def test_ms_5_8_reason_fixes_whether_it_counts_against_the_vendor():
    order = make_order()
    counted = ask(order, "10.00", reason="not_received")
    assert counted.counts_against_vendor
    refund_vendor_agree(refund=counted, actor=None)
    buyer_caused = ask(order, "10.00", reason="bought_by_mistake", ext="R-2")
    assert not buyer_caused.counts_against_vendor


def test_ms_5_1_vendor_agrees_then_refunded_ends_the_order():
    order = make_order()
    refund = ask(order)
    assert refund.in_review_period and refund.basis == RefundBasis.REVIEW_PERIOD
    assert refund.computed_amount == Decimal("100.00")
    refund = refund_vendor_agree(refund=refund, actor=None, note="ok")
    assert refund.status == Refund.Status.VENDOR_AGREED
    refund = refund_mark_refunded(refund=refund, actor=None, reason="paid back")
    assert refund.status == Refund.Status.REFUNDED and refund.refunded_at is not None
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED


def test_ms_5_1_disputed_request_in_review_period_approved_in_full_by_platform():
    order = make_order()
    order_report_delivery(order=order, outcome=DeliveryOutcome.DELIVERED, at=PAID_AT)
    refund = ask(order)
    refund = refund_vendor_dispute(refund=refund, actor=None, note="buyer used it")
    refund = refund_open_arbitration(refund=refund, actor=None, reason="dispute")
    refund = refund_approve(refund=refund, actor=None, reason="MS-5.1 no-reason refund")
    assert refund.status == Refund.Status.APPROVED
    assert refund.approved_amount == Decimal("100.00")
    history = refund.history.first()
    assert history.history_change_reason == "MS-5.1 no-reason refund"


def test_ms_5_2_outside_the_period_the_unconsumed_part_pro_rata():
    order = make_order(billing_period="month", amount="310.00")
    # Bought 07-01, asked 07-11: 10 of 31 days used.
    refund = ask(order, "310.00", at=OUTSIDE)
    assert not refund.in_review_period
    assert refund.consumed_fraction == Decimal("0.3226")
    assert refund.basis == RefundBasis.PRO_RATA
    assert refund.computed_amount == Decimal("209.99")


def test_ms_5_2_direct_platform_refund_needs_a_recorded_ground():
    order = make_order(billing_period="month", amount="310.00")
    refund = ask(order, "310.00", at=OUTSIDE)
    with pytest.raises(ValidationFailed) as err:
        refund_approve(refund=refund, actor=None, reason="vendor silent")
    assert err.value.code == "ground_required"
    refund = refund_approve(
        refund=refund, actor=None, reason="vendor silent", platform_ground="1_vendor_late"
    )
    assert refund.platform_ground == "1_vendor_late"
    assert refund.basis == RefundBasis.PLATFORM_GROUND
    assert refund.approved_amount == Decimal("209.99")


def test_ms_5_3_full_refund_case_outside_the_period():
    order = make_order(billing_period="month", amount="310.00")
    refund = ask(order, "310.00", at=OUTSIDE)
    refund_vendor_dispute(refund=refund, actor=None, note="no")
    refund = refund_approve(
        refund=refund, actor=None, reason="data lost", full_refund_case="1_quality_loss"
    )
    assert refund.approved_amount == Decimal("310.00") and refund.basis == RefundBasis.FULL_CASE


def test_ms_5_4_1_ops_before_confirmation_full_less_agreed_compensation():
    order = make_order(kind=ProductKind.OPS, amount="1000.00")
    refund = ask(order, "1000.00", at=OUTSIDE + dt.timedelta(days=30))
    assert refund.in_review_period  # not confirmed yet
    refund_vendor_dispute(refund=refund, actor=None, note="we spent two days")
    refund = refund_approve(
        refund=refund, actor=None, reason="buyer changed scope", compensation="200.00"
    )
    assert refund.basis == RefundBasis.BEFORE_CONFIRMATION
    assert refund.approved_amount == Decimal("800.00")


def test_ms_5_1_tool_products_are_refused_with_a_clear_message():
    order = make_order(kind=ProductKind.TOOL)
    with pytest.raises(RefundRefused, match="Tool products cannot be refunded") as err:
        ask(order)
    assert err.value.code == "not_refundable"
    assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_non_positive_refund_amount_is_refused(amount):
    with pytest.raises(AmountInvalid):
        ask(make_order(), amount)
    assert not Refund.objects.exists()


def test_refund_above_what_is_left_is_refused_and_writes_nothing():
    order = make_order()
    first = ask(order, "60.00")
    refund_vendor_agree(refund=first, actor=None)
    with pytest.raises(ValidationFailed) as err:
        ask(order, "40.01", ext="R-2")
    assert err.value.code == "exceeds_remaining"
    assert Refund.objects.count() == 1
    second = ask(order, "40.00", ext="R-2")  # exactly what is left is fine
    assert second.already_refunded == Decimal("60.00")


def test_several_partial_refunds_are_capped_in_total():
    order = make_order()
    for i, amount in enumerate(["30.00", "30.00", "40.00"]):
        refund = ask(order, amount, ext=f"R-{i}")
        refund = refund_vendor_agree(refund=refund, actor=None)
        refund_mark_refunded(refund=refund, actor=None, reason="paid")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    with pytest.raises(StateConflict) as err:
        ask(order, "0.01", ext="R-9")
    assert err.value.code == "order_closed"


def test_one_request_in_negotiation_at_a_time():
    order = make_order()
    ask(order, "10.00")
    with pytest.raises(StateConflict) as err:
        ask(order, "10.00", ext="R-2")
    assert err.value.code == "refund_open"


def test_retried_request_returns_the_same_refund_and_different_data_conflicts():
    order = make_order()
    first = ask(order, "10.00")
    again, created = refund_request(
        order=order,
        external_id="R-1",
        reason_code="not_as_expected",
        amount_requested="10.00",
        description="does not start",
        requested_at=INSIDE,
        received_at=INSIDE,  # seeded history: received when it was asked
    )
    assert again.pk == first.pk and not created
    with pytest.raises(ExternalIdConflict):
        ask(order, "11.00")
    assert Refund.objects.count() == 1


def test_arbitrated_approval_above_what_the_rules_allow_is_refused():
    order = make_order(billing_period="month", amount="310.00")
    refund = ask(order, "310.00", at=OUTSIDE)
    refund_vendor_dispute(refund=refund, actor=None, note="no")
    with pytest.raises(ValidationFailed) as err:
        refund_approve(refund=refund, actor=None, reason="r", amount="300.00")
    assert err.value.code == "exceeds_due"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED


def test_reject_needs_a_reason_and_refused_transitions_conflict():
    order = make_order()
    refund = ask(order)
    with pytest.raises(TransitionNotAllowed):
        refund_reject(refund=refund, actor=None, reason="x")  # not disputed yet
    refund_vendor_dispute(refund=refund, actor=None, note="no")
    with pytest.raises(ValidationFailed) as err:
        refund_reject(refund=refund, actor=None, reason="  ")
    assert err.value.code == "reason_required"
    refund = refund_reject(refund=refund, actor=None, reason="evidence shows use")
    assert refund.status == Refund.Status.REJECTED
    with pytest.raises(TransitionNotAllowed):
        refund_mark_refunded(refund=refund, actor=None, reason="x")
    with pytest.raises(TransitionNotAllowed):
        refund_vendor_agree(refund=refund, actor=None)


def test_ms_5_7_2_vendor_terms_apply_only_once_approved():
    order = make_order(billing_period="month", amount="310.00")
    terms = vendor_terms_submit(
        vendor=order.vendor,
        text="half of the unused part",
        refund_percent="50",
        effective_from=PAID_AT - dt.timedelta(days=30),
        actor=None,
    )
    pending = ask(order, "310.00", at=OUTSIDE)
    assert pending.vendor_terms is None and pending.basis == RefundBasis.PRO_RATA
    refund_vendor_dispute(refund=pending, actor=None, note="no")
    refund_reject(refund=pending, actor=None, reason="negotiate first")
    vendor_terms_approve(terms=terms, actor=None, reason="written approval ref 12")
    applied = ask(order, "310.00", at=OUTSIDE, ext="R-2")
    assert applied.vendor_terms == terms
    assert applied.basis == RefundBasis.VENDOR_TERMS
    assert applied.computed_amount == Decimal("104.99")  # 50% of 209.99, rounded down
    assert VendorRefundTerms.objects.get().status == VendorRefundTerms.Status.APPROVED


def test_ms_5_6_refund_of_a_settled_order_records_a_clawback():
    order = make_order(amount="200.00")
    order_settle(order=order, actor=None, reason="monthly settlement")
    order.refresh_from_db()
    assert order.settled_amount == Decimal("180.00")  # less the 10% service fee
    refund = refund_vendor_agree(refund=ask(order, "50.00"), actor=None)
    refund_mark_refunded(refund=refund, actor=None, reason="paid")
    clawback = Clawback.objects.get()
    assert clawback.amount == Decimal("45.00") and clawback.vendor_id == order.vendor_id
    assert clawback.status == Clawback.Status.OPEN


def test_no_clawback_when_nothing_was_settled():
    order = make_order()
    refund = refund_vendor_agree(refund=ask(order, "50.00"), actor=None)
    refund_mark_refunded(refund=refund, actor=None, reason="paid")
    assert not Clawback.objects.exists()


def test_ms_5_6_clawback_is_deducted_from_the_deposit_with_cause_refund():
    from orders.services import clawback_deduct_from_deposit
    from vendors.models import DepositEntry
    from vendors.services import deposit_pay

    order = make_order(amount="200.00")
    deposit_pay(vendor=order.vendor, amount="5000.00", actor=None, reason="onboarding")
    order_settle(order=order, actor=None, reason="settled")
    refund = refund_vendor_agree(refund=ask(order, "50.00"), actor=None)
    refund_mark_refunded(refund=refund, actor=None, reason="paid")
    clawback = clawback_deduct_from_deposit(
        clawback=Clawback.objects.get(), actor=None, reason="MS-5.6 recover settled share"
    )
    assert clawback.status == Clawback.Status.DEDUCTED
    entry = DepositEntry.objects.get(pk=clawback.deposit_entry_id)
    assert (entry.cause, entry.amount, entry.reference) == (
        "refund",
        Decimal("45.00"),
        f"refund:{refund.pk}",
    )
