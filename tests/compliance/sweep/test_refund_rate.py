"""MS-5.8: refund order rate above 1% → marketing ineligible, 30 days to improve."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import (
    AppliedMeasure,
    CauseType,
    EvaluationOutcome,
    RuleEvaluation,
    RuleSetting,
    VendorNotification,
)
from compliance.sweep.refund_rate import refund_rate_rows
from orders.models import Refund, RefundReason
from tests.compliance.sweep.factories import at, orders, refund, sweep, vendor
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

AS_OF = at("2026-10-31 12:00")
IN_WINDOW = AS_OF - dt.timedelta(days=10)


def eligible(v: Vendor) -> bool:
    v.refresh_from_db()
    return v.marketing_eligible


def with_rate(paid: int, refunded: int, **refund_kwargs) -> Vendor:
    v = vendor()
    placed = orders(v, paid, paid_at=IN_WINDOW)
    for order in placed[:refunded]:
        refund(order, refunded_at=IN_WINDOW + dt.timedelta(days=1), **refund_kwargs)
    return v


def test_ms_5_8_exactly_one_percent_is_not_above():
    v = with_rate(100, 1)
    sweep(AS_OF, "refund_rate")
    assert eligible(v)
    assert not AppliedMeasure.objects.filter(vendor=v).exists()


def test_ms_5_8_just_above_one_percent_loses_eligibility():
    v = with_rate(99, 1)  # 1.0101 %
    sweep(AS_OF, "refund_rate")
    assert not eligible(v)
    ev = RuleEvaluation.objects.get(vendor=v, outcome=EvaluationOutcome.ACTED)
    assert ev.rule_id == "MS-5.8"
    assert ev.figures["rate_percent"] == "1.0101"
    assert ev.figures["paid_orders"] == 99 and ev.figures["refunded_orders"] == 1
    assert ev.figures["threshold_percent"] == "1.00"
    note = VendorNotification.objects.get(vendor=v)
    assert note.action_required_by == AS_OF + dt.timedelta(days=30)
    assert "MS-5.8" in note.body


def test_ms_5_8_reasons_not_against_vendor_do_not_count():
    v = with_rate(50, 5, reason=RefundReason.BOUGHT_BY_MISTAKE)
    sweep(AS_OF, "refund_rate")
    assert eligible(v)


def test_ms_5_8_refunds_not_completed_do_not_count():
    v = with_rate(50, 5, status=Refund.Status.REQUESTED)
    sweep(AS_OF, "refund_rate")
    assert eligible(v)


def test_ms_5_8_window_and_minimum_orders_are_settings():
    RuleSetting.objects.create(
        effective_from=at("2026-01-01 00:00"), refund_min_orders=100, note="min 100"
    )
    v = with_rate(99, 5)
    sweep(AS_OF, "refund_rate")
    assert eligible(v)  # too few orders for a rate


def test_ms_5_8_orders_outside_the_window_do_not_count():
    v = vendor()
    orders(v, 10, paid_at=AS_OF - dt.timedelta(days=31))
    (recent,) = orders(v, 1, paid_at=IN_WINDOW)
    refund(recent, refunded_at=IN_WINDOW + dt.timedelta(hours=2))
    rows = refund_rate_rows(start=AS_OF - dt.timedelta(days=30), end=AS_OF)
    assert rows[v.pk] == (1, 1)


def test_ms_5_8_eligibility_returns_only_after_the_deadline():
    v = with_rate(99, 1)
    sweep(AS_OF, "refund_rate")
    later = AS_OF + dt.timedelta(days=29)
    orders(v, 200, paid_at=later - dt.timedelta(days=1))  # the rate falls below 1 %
    sweep(later, "refund_rate")
    assert not eligible(v)  # still inside the improvement period
    sweep(AS_OF + dt.timedelta(days=30), "refund_rate")
    assert eligible(v)
    assert RuleEvaluation.objects.filter(vendor=v, outcome=EvaluationOutcome.LIFTED).count() == 1


def test_ms_5_8_still_above_after_deadline_flagged_to_reviewers_once():
    v = with_rate(99, 1)
    sweep(AS_OF, "refund_rate")
    deadline = AS_OF + dt.timedelta(days=30)
    placed = orders(v, 10, paid_at=deadline - dt.timedelta(days=2))
    refund(placed[0], refunded_at=deadline - dt.timedelta(days=1))  # 1 of 10: 10 %
    sweep(deadline, "refund_rate")
    sweep(deadline + dt.timedelta(hours=1), "refund_rate")
    assert not eligible(v)
    flags = RuleEvaluation.objects.filter(
        vendor=v, outcome=EvaluationOutcome.FLAGGED, flagged_to="reviewers"
    )
    assert flags.count() == 1
    assert flags.get().figures["rate_percent"] == "10.0000"
    assert (
        AppliedMeasure.objects.filter(
            vendor=v, cause_type=CauseType.REFUND_RATE, lifted_at__isnull=True
        ).count()
        == 1
    )


def test_ms_5_8_rates_of_all_vendors_in_one_query():
    for n in (50, 80, 120):
        with_rate(n, 2)
    with CaptureQueriesContext(connection) as ctx:
        rows = refund_rate_rows(start=AS_OF - dt.timedelta(days=30), end=AS_OF)
    assert len(ctx.captured_queries) == 1
    assert sorted(rows.values()) == [(50, 2), (80, 2), (120, 2)]
