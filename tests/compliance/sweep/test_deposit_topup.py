"""MS-3.1.5 ③: an overdue top-up suspends display and trading until the deposit is whole."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.models import (
    AppliedMeasure,
    CauseType,
    EvaluationOutcome,
    RuleEvaluation,
    RuleSetting,
    VendorNotification,
)
from tests.compliance.sweep.factories import at, obligation, product, sweep, vendor
from tests.factories import violation_deduction
from tests.vendors.factories import active_vendor
from vendors.models import Store, TopUpObligation
from vendors.services.deposit import deposit_pay, deposit_topup

pytestmark = pytest.mark.django_db


def deposit_measures(v) -> set[str]:
    return set(
        AppliedMeasure.objects.filter(
            vendor=v, cause_type=CauseType.DEPOSIT_TOPUP, lifted_at__isnull=True
        ).values_list("kind", flat=True)
    )


@pytest.fixture
def short_vendor():
    """A vendor whose deposit was paid, then deducted on Wed 2026-09-30 10:00 (China)."""
    v = active_vendor(categories=("software",))
    deposit_pay(
        vendor=v, amount="2000.00", actor=None, reason="onboarding", at=at("2026-09-01 09:00")
    )
    violation_deduction(v, "500.00", reason="penalty", at=at("2026-09-30 10:00"))
    return v


def test_ms_3_1_5_due_on_7th_working_day_across_national_day(short_vendor):
    """MS-3.1.5 ③: Oct 1–7 are holidays and Sat Oct 10 a make-up working day (chinese-calendar
    2026), so a deduction on Sep 30 is due at the end of Thu Oct 15: Oct 8, 9, 10, 12, 13,
    14, 15. Not suspended on the last instant of Oct 15; suspended from Oct 16 00:00."""
    ob = TopUpObligation.objects.get(vendor=short_vendor)
    assert ob.due_at == at("2026-10-15 23:59:59").replace(microsecond=999999)

    sweep(at("2026-10-15 23:59:59"))
    assert deposit_measures(short_vendor) == set()
    store = Store.objects.get(vendor=short_vendor)
    assert store.displayed and store.trading

    sweep(at("2026-10-16 00:00:00"))
    assert deposit_measures(short_vendor) == {"suspend_display", "suspend_trading"}
    store.refresh_from_db()
    assert store.trading is False
    evaluation = RuleEvaluation.objects.get(
        vendor=short_vendor, outcome=EvaluationOutcome.ACTED, measure_kind="suspend_trading"
    )
    assert evaluation.rule_id == "MS-3.1.5 ③"
    assert evaluation.figures["amount_due"] == "500.00"  # Decimal kept as a string
    assert evaluation.subject_type == "topup_obligation"


def test_ms_3_1_5_suspension_hides_products(short_vendor):
    p = product(short_vendor)
    sweep(at("2026-10-16 09:00"))
    p.refresh_from_db()
    assert p.searchable is False and "suspend_display" in p.hidden_reason


def test_ms_3_1_5_topup_lifts_suspension_immediately(
    short_vendor, django_capture_on_commit_callbacks
):
    """MS-3.1.5 ③: topping up lifts the measures at once (receiver), not at the next sweep."""
    sweep(at("2026-10-16 09:00"))
    assert Store.objects.get(vendor=short_vendor).trading is False
    with django_capture_on_commit_callbacks(execute=True):
        deposit_topup(vendor=short_vendor, amount="500.00", actor=None, reason="top up")
    assert deposit_measures(short_vendor) == set()
    store = Store.objects.get(vendor=short_vendor)
    assert store.trading is True and store.displayed is True
    lifted = RuleEvaluation.objects.filter(
        vendor=short_vendor, outcome=EvaluationOutcome.LIFTED, run__isnull=True
    )
    assert lifted.count() == 2  # recorded by the receiver, outside any sweep run
    assert VendorNotification.objects.filter(vendor=short_vendor, rule_id="MS-3.1.5 ③").count() == 2


def test_ms_3_1_5_sweep_lifts_as_safety_net():
    """MS-3.1.5 ③: if the receiver missed it, the next sweep lifts measures of a whole deposit."""
    v = vendor()
    ob = obligation(v, due_at=at("2026-10-15 23:59"))
    sweep(at("2026-10-16 09:00"))
    assert deposit_measures(v) == {"suspend_display", "suspend_trading"}
    ob.closed_at = at("2026-10-17 09:00")
    ob.save(update_fields=["closed_at"])
    out = sweep(at("2026-10-17 10:00"), "deposit_topup")
    assert deposit_measures(v) == set()
    assert "deposit_topup" in out


def test_ms_3_1_5_measures_follow_the_setting():
    """MS-3.1.5 ③: the platform chooses the measures (close store) through the settings."""
    RuleSetting.objects.create(
        effective_from=at("2026-01-01 00:00"),
        deposit_suspend_display=False,
        deposit_suspend_trading=False,
        deposit_close_store=True,
        note="close stores",
    )
    v = vendor()
    obligation(v, due_at=at("2026-10-15 23:59"))
    sweep(at("2026-10-16 09:00"))
    assert deposit_measures(v) == {"close_store"}
    assert Store.objects.get(vendor=v).closed is True


def test_ms_3_1_5_rerun_changes_nothing():
    v = vendor()
    obligation(v, due_at=at("2026-10-15 23:59"))
    moment = at("2026-10-16 09:00")
    sweep(moment)
    counts = (
        AppliedMeasure.objects.count(),
        RuleEvaluation.objects.count(),
        VendorNotification.objects.count(),
    )
    sweep(moment)
    sweep(moment + dt.timedelta(hours=1))
    assert counts == (
        AppliedMeasure.objects.count(),
        RuleEvaluation.objects.count(),
        VendorNotification.objects.count(),
    )
    # One notice per vendor and action, not one per measure kind.
    assert VendorNotification.objects.filter(vendor=v).count() == 1


def test_ms_3_1_5_still_short_stays_suspended_while_another_obligation_is_open():
    """MS-3.1.5 ③: measures hold "until the deposit is whole" — any open obligation keeps them."""
    v = vendor()
    first = obligation(v, due_at=at("2026-10-15 23:59"))
    sweep(at("2026-10-16 09:00"))
    obligation(v, due_at=at("2026-10-28 23:59"))  # a new deduction, not yet due
    first.closed_at = at("2026-10-17 09:00")
    first.save(update_fields=["closed_at"])
    sweep(at("2026-10-17 10:00"))
    assert deposit_measures(v) == {"suspend_display", "suspend_trading"}


def test_ms_3_1_5_failing_receiver_never_breaks_the_topup_and_the_sweep_catches_up(
    short_vendor, django_capture_on_commit_callbacks, monkeypatch
):
    """The top-up is committed whatever the receiver does; the next sweep lifts (safety net)."""
    from compliance import receivers

    sweep(at("2026-10-16 09:00"))

    def down(*args, **kwargs):
        raise RuntimeError("compliance unavailable")

    monkeypatch.setattr(receivers, "run_rule_now", down)
    with django_capture_on_commit_callbacks(execute=True):
        deposit_topup(vendor=short_vendor, amount="500.00", actor=None, reason="top up")
    assert deposit_measures(short_vendor) == {"suspend_display", "suspend_trading"}
    sweep(at("2026-10-17 09:00"))
    assert deposit_measures(short_vendor) == set()
    assert Store.objects.get(vendor=short_vendor).trading is True
