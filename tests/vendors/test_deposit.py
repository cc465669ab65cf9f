"""The deposit ledger (MS-3.1.5): tiers, append-only entries, owed amounts, obligations."""

import datetime as dt
from decimal import Decimal

import pytest

from marketplace.exceptions import PermissionDenied, StateConflict, ValidationFailed
from marketplace.timeutils import CHINA_TZ, end_of_day
from tests.factories import violation_deduction
from tests.vendors.factories import active_vendor, category
from vendors.models import DepositEntry, DepositTier, TopUpObligation, Vendor
from vendors.models.deposit import AppendOnlyError
from vendors.selectors import (
    deposit_balance,
    deposit_owed,
    deposit_position,
    open_obligations,
    required_deposit,
    required_deposits,
)
from vendors.services import (
    deposit_deduct,
    deposit_pay,
    deposit_reverse,
    deposit_topup,
)
from vendors.signals import deposit_made_whole

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA_TZ)


def deduct(vendor, amount, **kwargs):
    """A violation deduction backed by an approved measure of a real case (MS-7); a blank
    cause or reference goes straight to the service, which refuses it."""
    kwargs.setdefault("cause", "violation")
    kwargs.setdefault("reason", "penalty")
    if kwargs["cause"] == "violation" and (kwargs.get("reference") or "x").strip():
        kwargs.pop("cause")
        return violation_deduction(vendor, amount, **kwargs)
    kwargs.setdefault("reference", "CASE-1")
    return deposit_deduct(vendor=vendor, amount=amount, actor=None, **kwargs)


# --- tiers (MS-3.1.5 ①) -----------------------------------------------------------------------


def test_ms_3_1_5_default_tiers_by_category():
    today = dt.date(2026, 6, 1)
    assert required_deposit(active_vendor(categories=("tool",)), today) == Decimal("1000.00")
    assert required_deposit(active_vendor(categories=("saas",)), today) == Decimal("2000.00")
    assert required_deposit(active_vendor(categories=("ops",)), today) == Decimal("5000.00")


def test_ms_3_1_5_vendor_owes_the_highest_tier_among_its_categories():
    vendor = active_vendor(categories=("tool", "image", "manual"))
    assert required_deposit(vendor, dt.date(2026, 6, 1)) == Decimal("5000.00")


def test_ms_3_1_5_tiers_are_effective_dated():
    vendor = active_vendor(categories=("tool",))
    DepositTier.objects.create(
        category=category("tool"), amount=Decimal("1500.00"), effective_from=dt.date(2026, 7, 1)
    )
    assert required_deposit(vendor, dt.date(2026, 6, 30)) == Decimal("1000.00")
    assert required_deposit(vendor, dt.date(2026, 7, 1)) == Decimal("1500.00")
    assert required_deposit(vendor, dt.date(2023, 1, 1)) == Decimal("0.00")  # before any tier


def test_ms_3_1_5_required_deposits_is_one_query_for_many_vendors(django_assert_num_queries):
    vendors = [active_vendor(categories=("tool", "ops")) for _ in range(4)]
    vendors.append(active_vendor(categories=()))
    with django_assert_num_queries(1):
        result = required_deposits(vendor_ids=[v.pk for v in vendors], on=dt.date(2026, 6, 1))
    assert [result[v.pk] for v in vendors] == [Decimal("5000.00")] * 4 + [Decimal("0.00")]


# --- the ledger -------------------------------------------------------------------------------


def test_ms_3_1_5_balance_is_the_sum_of_entries_in_one_query(django_assert_num_queries):
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    deduct(vendor, "300.50")
    deposit_topup(vendor=vendor, amount="300.50", actor=None, reason="topped up")
    with django_assert_num_queries(1):
        assert deposit_balance(vendor) == Decimal("2000.00")
    assert DepositEntry.objects.filter(vendor=vendor).count() == 3


def test_ms_3_1_5_entries_cannot_be_changed_or_deleted():
    vendor = active_vendor()
    entry = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    entry.amount = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert DepositEntry.objects.get(pk=entry.pk).amount == Decimal("2000.00")


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "", None, 12.5])
def test_ms_3_1_5_bad_amounts_refused_and_nothing_saved(amount):
    vendor = active_vendor()
    with pytest.raises(ValidationFailed) as info:
        deposit_pay(vendor=vendor, amount=amount, actor=None, reason="paid")
    assert info.value.code == "amount_invalid"
    assert "amount" in str(info.value)
    with pytest.raises(ValidationFailed) as info:
        deduct(vendor, amount)
    assert info.value.code == "amount_invalid"
    assert not DepositEntry.objects.exists()


def test_ms_3_1_5_deduction_without_cause_refused_and_nothing_saved():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    with pytest.raises(ValidationFailed) as info:
        deduct(vendor, "100", cause="")
    assert info.value.code == "deduction_cause_required"
    assert "cause" in str(info.value)
    with pytest.raises(ValidationFailed) as info:
        deduct(vendor, "100", reference="  ")
    assert info.value.code == "deduction_reference_required"
    assert "reference" in str(info.value)
    assert DepositEntry.objects.count() == 1
    assert not TopUpObligation.objects.exists()


def test_ms_3_1_5_entries_need_a_reason():
    vendor = active_vendor()
    with pytest.raises(ValidationFailed) as info:
        deposit_pay(vendor=vendor, amount="10", actor=None, reason="")
    assert info.value.code == "reason_required"
    assert "reason" in str(info.value)
    assert not DepositEntry.objects.exists()


def test_ms_3_1_5_deduction_never_below_zero_records_owed():
    vendor = active_vendor(categories=("tool",))
    deposit_pay(vendor=vendor, amount="1000", actor=None, reason="paid")
    entry = deduct(vendor, "5000", cause="violation", reference="PEN-9")
    assert entry.amount == Decimal("5000.00")
    assert entry.delta == Decimal("-1000.00")
    assert entry.owed_delta == Decimal("4000.00")
    assert deposit_balance(vendor) == Decimal("0.00")
    assert deposit_owed(vendor) == Decimal("4000.00")
    obligation = open_obligations(vendor).get()
    assert obligation.amount_due == Decimal("5000.00")  # shortfall 1,000 + owed 4,000


def test_ms_3_1_5_3_deduction_opens_obligation_due_7_working_days_later_over_national_day():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid", at=at(2026, 9, 1, 9))
    entry = deduct(vendor, "500", at=at(2026, 9, 30, 10))
    obligation = TopUpObligation.objects.get(vendor=vendor)
    # Oct 1-7 holiday; working days: 10-08, 10-09, 10-10 (make-up Saturday), 10-12 ... 10-15.
    assert obligation.due_at == end_of_day(dt.date(2026, 10, 15))
    assert obligation.provisional is False
    assert obligation.opened_by == entry
    assert obligation.amount_due == Decimal("500.00")


def test_ms_3_1_5_3_due_date_in_an_unconfirmed_year_is_provisional():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid", at=at(2026, 12, 1, 9))
    deduct(vendor, "500", at=at(2026, 12, 28, 10))
    obligation = TopUpObligation.objects.get(vendor=vendor)
    assert obligation.due_at.astimezone(CHINA_TZ).date().year == 2027
    assert obligation.provisional is True


def test_ms_3_1_5_3_deduction_leaving_deposit_whole_opens_no_obligation():
    vendor = active_vendor(categories=("tool",))
    deposit_pay(vendor=vendor, amount="3000", actor=None, reason="paid")
    deduct(vendor, "2000")
    assert not TopUpObligation.objects.exists()


def test_ms_3_1_5_3_leaving_vendor_gets_no_obligation():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    Vendor.objects.filter(pk=vendor.pk).update(status=Vendor.Status.EXITING)
    deduct(vendor, "500")
    assert not TopUpObligation.objects.exists()


def test_ms_3_1_5_3_top_ups_making_deposit_whole_close_obligations_and_signal(
    django_capture_on_commit_callbacks,
):
    vendor = active_vendor(categories=("tool",))
    deposit_pay(vendor=vendor, amount="1000", actor=None, reason="paid")
    deduct(vendor, "1500", reference="PEN-1")  # balance 0, owed 500
    deduct(vendor, "100", reference="PEN-2")  # all owed, a second clock
    assert open_obligations(vendor).count() == 2
    received = []

    def receiver(sender, vendor_id, **kwargs):
        received.append(vendor_id)

    deposit_made_whole.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            partial = deposit_topup(vendor=vendor, amount="1000", actor=None, reason="part")
        # 600 owed is paid first, 400 goes into the deposit: still short.
        assert partial.owed_delta == Decimal("-600.00")
        assert partial.delta == Decimal("400.00")
        assert open_obligations(vendor).count() == 2
        assert received == []
        with django_capture_on_commit_callbacks(execute=True):
            final = deposit_topup(vendor=vendor, amount="600", actor=None, reason="rest")
    finally:
        deposit_made_whole.disconnect(receiver)
    assert received == [vendor.pk]
    assert not open_obligations(vendor).exists()
    assert set(TopUpObligation.objects.values_list("closed_by", flat=True)) == {final.pk}
    position = deposit_position(vendor)
    assert (position.balance, position.owed) == (Decimal("1000.00"), Decimal("0.00"))


def test_ms_3_1_5_reversal_of_a_deduction_restores_the_deposit_and_closes_obligation():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    wrong = deduct(vendor, "2500")  # 2,000 taken, 500 owed
    with pytest.raises(PermissionDenied) as info:  # MS-7: only by revoking the penalty case
        deposit_reverse(entry=wrong, actor=None, reason="case overturned on appeal")
    assert info.value.code == "violation_deduction_reverse"
    reversal = deposit_reverse(
        entry=wrong, actor=None, reason="case overturned on appeal", case_revoked=True
    )
    assert reversal.kind == "reversal"
    assert reversal.reverses == wrong
    assert (reversal.delta, reversal.owed_delta) == (Decimal("2000.00"), Decimal("-500.00"))
    assert deposit_balance(vendor) == Decimal("2000.00")
    assert deposit_owed(vendor) == Decimal("0.00")
    assert not open_obligations(vendor).exists()
    wrong.refresh_from_db()
    assert wrong.amount == Decimal("2500.00")  # the original is untouched


def test_ms_3_1_5_an_entry_is_reversed_once_and_reversals_are_final():
    vendor = active_vendor()
    entry = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    reversal = deposit_reverse(entry=entry, actor=None, reason="typo")
    with pytest.raises(StateConflict) as info:
        deposit_reverse(entry=entry, actor=None, reason="again")
    assert info.value.code == "entry_reversed"
    with pytest.raises(StateConflict) as info:
        deposit_reverse(entry=reversal, actor=None, reason="undo")
    assert info.value.code == "entry_not_reversible"
    assert deposit_balance(vendor) == Decimal("0.00")


def test_ms_3_1_5_reversal_needs_a_reason():
    vendor = active_vendor()
    entry = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    with pytest.raises(ValidationFailed) as info:
        deposit_reverse(entry=entry, actor=None, reason="")
    assert info.value.code == "reason_required"
    assert DepositEntry.objects.count() == 1


def test_ms_3_1_5_reversing_a_payment_never_overdraws():
    vendor = active_vendor()
    payment = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    deduct(vendor, "1500")
    with pytest.raises(StateConflict) as info:
        deposit_reverse(entry=payment, actor=None, reason="bounced")
    assert info.value.code == "reversal_overdraws"
    assert deposit_balance(vendor) == Decimal("500.00")


def test_ms_3_1_5_reversing_a_top_up_reopens_the_clock():
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    deduct(vendor, "500")
    topup = deposit_topup(vendor=vendor, amount="500", actor=None, reason="topped up")
    assert not open_obligations(vendor).exists()
    deposit_reverse(entry=topup, actor=None, reason="the transfer bounced")
    obligation = open_obligations(vendor).get()
    assert obligation.amount_due == Decimal("500.00")


def test_ms_3_1_5_every_entry_has_history_with_reason():
    vendor = active_vendor()
    entry = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="bank slip 42")
    assert entry.history.get().history_change_reason == "bank slip 42"
