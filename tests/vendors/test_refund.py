"""Deposit refund at the end of the term (MS-3.1.5 ④)."""

import datetime as dt
from decimal import Decimal

import pytest

from marketplace.exceptions import StateConflict
from marketplace.timeutils import CHINA_TZ, end_of_day
from tests.factories import violation_deduction
from tests.vendors.factories import active_vendor
from vendors import exit_checks
from vendors.models import DepositRefund, Vendor
from vendors.selectors import deposit_balance
from vendors.services import (
    deposit_pay,
    deposit_refund_complete,
    deposit_refund_receipt_received,
    deposit_refund_request,
    deposit_topup,
    vendor_exit_begin,
)

pytestmark = pytest.mark.django_db


def exiting_vendor_with_deposit(amount="2000"):
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount=amount, actor=None, reason="paid")
    vendor_exit_begin(vendor=vendor, actor=None, reason="term ended without renewal")
    vendor.refresh_from_db()
    return vendor


def test_ms_3_1_5_4_refund_refused_while_the_term_runs():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    with pytest.raises(StateConflict) as info:
        deposit_refund_request(vendor=vendor, actor=None, reason="asked")
    assert info.value.code == "deposit_refund_refused"
    assert "term has not ended" in str(info.value)
    assert not DepositRefund.objects.exists()


def test_ms_3_1_5_4_refund_refused_while_an_obligation_is_open():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    violation_deduction(vendor, "500", reason="r")
    vendor_exit_begin(vendor=vendor, actor=None, reason="leaving")
    with pytest.raises(StateConflict) as info:
        deposit_refund_request(vendor=vendor, actor=None, reason="asked")
    assert info.value.code == "deposit_refund_refused"
    assert "top-up obligation is still open" in str(info.value)
    assert not DepositRefund.objects.exists()


def test_ms_3_1_5_4_checks_registered_by_higher_apps_block_the_refund():
    vendor = exiting_vendor_with_deposit()

    def unfinished_orders(v):
        return ["2 orders are unfinished."] if v.pk == vendor.pk else []

    exit_checks.register(unfinished_orders)
    try:
        with pytest.raises(StateConflict) as info:
            deposit_refund_request(vendor=vendor, actor=None, reason="asked")
        assert info.value.code == "deposit_refund_refused"
    finally:
        exit_checks.unregister(unfinished_orders)
    assert info.value.items == ["2 orders are unfinished."]
    assert not DepositRefund.objects.exists()


def test_ms_3_1_5_4_refund_due_15_working_days_after_the_receipt_and_paid_in_full():
    vendor = exiting_vendor_with_deposit("2000")
    violation_deduction(vendor, "300", reason="p")
    refund = deposit_refund_request(vendor=vendor, actor=None, reason="term ended")
    received = dt.datetime(2026, 9, 25, 15, tzinfo=CHINA_TZ)
    deposit_refund_receipt_received(
        refund=refund, actor=None, reason="receipt back by post", received_at=received
    )
    refund.refresh_from_db()
    # From 09-25: 09-28, 09-29, 09-30, (Oct 1-7 holiday), 10-08, 10-09, 10-10 (make-up),
    # 10-12 ... 10-16, 10-19 ... 10-22 = 15 working days.
    assert refund.due_at == end_of_day(dt.date(2026, 10, 22))
    assert refund.provisional is False
    deposit_refund_complete(refund=refund, actor=None, reason="bank transfer sent")
    refund.refresh_from_db()
    assert refund.status == DepositRefund.Status.COMPLETED
    assert refund.entry.amount == Decimal("1700.00")
    assert deposit_balance(vendor) == Decimal("0.00")


def test_ms_3_1_5_4_no_refund_without_the_receipt():
    vendor = exiting_vendor_with_deposit()
    refund = deposit_refund_request(vendor=vendor, actor=None, reason="term ended")
    with pytest.raises(StateConflict) as info:
        deposit_refund_complete(refund=refund, actor=None, reason="pay")
    assert info.value.code == "refund_not_ready"
    assert deposit_balance(vendor) == Decimal("2000.00")


def test_ms_3_1_5_4_second_refund_refused():
    vendor = exiting_vendor_with_deposit()
    refund = deposit_refund_request(vendor=vendor, actor=None, reason="term ended")
    deposit_refund_receipt_received(refund=refund, actor=None, reason="receipt")
    deposit_refund_complete(refund=refund, actor=None, reason="paid")
    deposit_topup(vendor=vendor, amount="100", actor=None, reason="stray transfer")
    with pytest.raises(StateConflict) as info:
        deposit_refund_request(vendor=vendor, actor=None, reason="again")
    assert info.value.code == "deposit_refund_exists"
    with pytest.raises(StateConflict) as info:
        deposit_refund_complete(refund=refund, actor=None, reason="again")
    assert info.value.code == "refund_not_ready"
    assert DepositRefund.objects.count() == 1
    assert deposit_balance(vendor) == Decimal("100.00")


def test_ms_3_1_5_4_outstanding_items_are_checked_again_at_payment():
    vendor = exiting_vendor_with_deposit()
    refund = deposit_refund_request(vendor=vendor, actor=None, reason="term ended")
    deposit_refund_receipt_received(refund=refund, actor=None, reason="receipt")

    def dispute(v):
        return ["A dispute is open."]

    exit_checks.register(dispute)
    try:
        with pytest.raises(StateConflict) as info:
            deposit_refund_complete(refund=refund, actor=None, reason="pay")
        assert info.value.code == "deposit_refund_refused"
    finally:
        exit_checks.unregister(dispute)
    refund.refresh_from_db()
    assert refund.status == DepositRefund.Status.RECEIPT_RECEIVED
    assert deposit_balance(vendor) == Decimal("2000.00")


def test_ms_8_3_evicted_vendor_deposit_may_be_refunded_once_nothing_is_outstanding():
    from vendors.services import vendor_evict

    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    vendor_evict(vendor=vendor, actor=None, reason="OFFLINE_TRADE")
    assert Vendor.objects.get(pk=vendor.pk).status == Vendor.Status.EVICTED
    assert deposit_refund_request(vendor=vendor, actor=None, reason="exit").pk
