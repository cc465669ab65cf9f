"""Measure expiry (MS-7 annex "for N days"), documents (MS-6.1.1), deposit refunds due
(MS-3.1.5 ④) and review periods (MS-2.8)."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.models import (
    AppliedMeasure,
    CauseType,
    EvaluationOutcome,
    MeasureKind,
    RuleEvaluation,
    VendorNotification,
)
from compliance.services.measures import measure_apply
from orders.models import Order
from tests.compliance.sweep.factories import (
    at,
    deposit_refund,
    document,
    orders,
    sweep,
    vendor,
)
from vendors.models import Store

pytestmark = pytest.mark.django_db

START = at("2026-10-01 10:00")


def shield(v, *, days: int = 15, cause_id: str = "case-1") -> AppliedMeasure:
    return measure_apply(
        vendor=v,
        kind=MeasureKind.SHIELD_STORE,
        cause_type=CauseType.PENALTY,
        cause_id=cause_id,
        starts_at=START,
        days=days,
        actor=None,
        reason="FAKE_TRANSACTION",
    )


# --- measure expiry --------------------------------------------------------------------


def test_ms_7_store_shield_ends_at_its_end_time():
    """A 15-day store shield holds until its last instant and ends exactly at `ends_at`."""
    v = vendor()
    m = shield(v)
    assert Store.objects.get(vendor=v).displayed is False
    sweep(m.ends_at - dt.timedelta(microseconds=1), "measure_expiry")
    assert Store.objects.get(vendor=v).displayed is False
    sweep(m.ends_at, "measure_expiry")
    assert Store.objects.get(vendor=v).displayed is True
    m.refresh_from_db()
    assert m.lifted_at == m.ends_at and m.lift_reason == "ended"
    ev = RuleEvaluation.objects.get(measure=m, outcome=EvaluationOutcome.LIFTED)
    assert ev.rule == "measure_expiry"
    assert VendorNotification.objects.filter(vendor=v, evaluation=ev).count() == 1


def test_ms_7_restrict_publishing_ends_and_overlap_composes():
    """Two overlapping restrictions: the first ending does not restore publishing."""
    v = vendor()
    for cause, days in (("case-1", 15), ("case-2", 30)):
        measure_apply(
            vendor=v,
            kind=MeasureKind.RESTRICT_PUBLISHING,
            cause_type=CauseType.PENALTY,
            cause_id=cause,
            starts_at=START,
            days=days,
            actor=None,
            reason="test",
        )
    sweep(START + dt.timedelta(days=15), "measure_expiry")
    v.refresh_from_db()
    assert v.can_publish is False
    sweep(START + dt.timedelta(days=30), "measure_expiry")
    v.refresh_from_db()
    assert v.can_publish is True


# --- documents ---------------------------------------------------------------------------


def test_ms_6_1_1_document_expiring_within_30_days_notified_once():
    v = vendor()
    doc = document(v, valid_until=dt.date(2026, 11, 30))
    sweep(at("2026-10-30 09:00"), "documents")  # 31 days ahead: nothing yet
    assert not RuleEvaluation.objects.filter(subject_id=str(doc.pk)).exists()
    sweep(at("2026-10-31 09:00"), "documents")  # 30 days ahead: expiring
    sweep(at("2026-11-01 09:00"), "documents")
    notes = VendorNotification.objects.filter(vendor=v)
    assert notes.count() == 1
    assert notes.get().rule_id == "MS-6.1.1"
    ev = RuleEvaluation.objects.get(subject_id=str(doc.pk))
    assert ev.figures["threshold"] == "expiring" and ev.outcome == EvaluationOutcome.FLAGGED


def test_ms_6_1_1_expired_document_flagged_again_as_expired():
    v = vendor()
    document(v, valid_until=dt.date(2026, 11, 30))
    sweep(at("2026-11-30 23:00"), "documents")  # last valid day: expiring
    sweep(at("2026-12-01 00:00"), "documents")  # expired
    sweep(at("2026-12-02 00:00"), "documents")
    thresholds = sorted(
        RuleEvaluation.objects.filter(vendor=v).values_list("figures__threshold", flat=True)
    )
    assert thresholds == ["expired", "expiring"]
    assert VendorNotification.objects.filter(vendor=v).count() == 2


def test_ms_6_1_1_replaced_document_is_not_checked():
    v = vendor()
    doc = document(v, valid_until=dt.date(2026, 11, 1))
    doc.replaced_at = at("2026-10-01 09:00")
    doc.save(update_fields=["replaced_at"])
    sweep(at("2026-11-15 09:00"), "documents")
    assert not RuleEvaluation.objects.filter(vendor=v).exists()


# --- deposit refund due --------------------------------------------------------------------


def test_ms_3_1_5_4_refund_near_due_then_past_due_flagged_to_finance():
    """MS-3.1.5 ④: due at the end of Thu 2026-10-15; 3 working days before is Fri Oct 9
    (Oct 10 is a make-up Saturday: Oct 10, 12, 13 … Oct 15 is 4 working days after Oct 9)."""
    v = vendor()
    r = deposit_refund(v, due_at=at("2026-10-15 23:59:59"))
    sweep(at("2026-10-09 09:00"), "deposit_refund_due")  # Oct 10, 12, 13 → not near yet
    assert not RuleEvaluation.objects.filter(subject_id=str(r.pk)).exists()
    sweep(at("2026-10-12 09:00"), "deposit_refund_due")  # Oct 13, 14, 15 → near
    sweep(at("2026-10-13 09:00"), "deposit_refund_due")
    sweep(at("2026-10-16 09:00"), "deposit_refund_due")  # past
    flags = RuleEvaluation.objects.filter(subject_type="deposit_refund", subject_id=str(r.pk))
    assert sorted(flags.values_list("figures__threshold", flat=True)) == ["near", "past"]
    assert set(flags.values_list("flagged_to", flat=True)) == {"finance"}
    assert not VendorNotification.objects.filter(vendor=v).exists()


# --- review periods -----------------------------------------------------------------------


def test_ms_2_8_review_periods_closed_when_ended_without_history_rows():
    """MS-2.8: the flag is a derived, non-audited fact (docs/decisions/sweep.md)."""
    v = vendor()
    ended = orders(v, 3, paid_at=at("2026-10-01 10:00"))  # ends 2026-10-06 10:00
    open_ = orders(v, 2, paid_at=at("2026-10-05 10:00"))
    history_before = Order.history.count()
    sweep(at("2026-10-06 10:00"), "review_periods")
    assert set(Order.objects.filter(review_period_closed=True).values_list("pk", flat=True)) == {
        o.pk for o in ended
    }
    assert not Order.objects.filter(pk__in=[o.pk for o in open_], review_period_closed=True)
    assert Order.history.count() == history_before
    ev = RuleEvaluation.objects.get(rule="review_periods")
    assert ev.figures["orders_closed"] == 3
    sweep(at("2026-10-06 10:00"), "review_periods")
    assert RuleEvaluation.objects.filter(rule="review_periods").count() == 1


def test_ms_2_8_backlog_worked_off_in_capped_batches(monkeypatch):
    """MS-2.8: a backlog is closed oldest first, at most BATCH per run, and reported."""
    from compliance.sweep import review_periods

    monkeypatch.setattr(review_periods, "BATCH", 2)
    v = vendor()
    first = orders(v, 2, paid_at=at("2026-09-01 10:00"))
    later = orders(v, 1, paid_at=at("2026-09-02 10:00"))
    sweep(at("2026-10-06 10:00"), "review_periods")
    assert set(Order.objects.filter(review_period_closed=True).values_list("pk", flat=True)) == {
        o.pk for o in first
    }
    ev = RuleEvaluation.objects.get(rule="review_periods")
    assert ev.figures["backlog_remaining"] is True
    sweep(at("2026-10-06 10:05"), "review_periods")
    assert Order.objects.get(pk=later[0].pk).review_period_closed is True
