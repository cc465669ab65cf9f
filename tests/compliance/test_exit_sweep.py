"""MS-8.1: the compliance sweep starts exit when the term ended without renewal, and moves
exits on; MS-8.3: the eviction penalty path enters the same exit handling."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.models import RuleEvaluation, SweepRule
from compliance.services.penalties import penalty_apply, penalty_approve
from compliance.sweep.runner import run_sweep
from orders.models import Refund
from tests.compliance.factories import confirmed_case, lead, paid_vendor
from tests.compliance.sweep.factories import at
from tests.feed import EXIT_EVENTS, FeedEvents
from tests.orders.factories import make_order
from vendors.models import Vendor, VendorExit

pytestmark = pytest.mark.django_db
AS_OF = at("2026-07-10 02:00")


@pytest.fixture
def events():
    """What the storefront and billing feed received on exit (MS-8.4.1): the outbox's rows."""
    return FeedEvents(EXIT_EVENTS)


def _vendor(term_end: dt.date | None):
    vendor = paid_vendor()
    vendor.term_start, vendor.term_end = dt.date(2025, 7, 1), term_end
    vendor.save(update_fields=["term_start", "term_end"])
    return vendor


def test_ms_8_1_sweep_starts_exit_when_the_term_ended_without_renewal(events):
    ended = _vendor(dt.date(2026, 7, 9))  # last day of the term was yesterday (China time)
    orders = [make_order(vendor=ended) for _ in range(2)]
    last_day = _vendor(dt.date(2026, 7, 10))  # today is its last day: still in force
    renewed = _vendor(dt.date(2027, 6, 30))
    no_term = _vendor(None)
    report = run_sweep(as_of=AS_OF, rules=[SweepRule.VENDOR_EXIT])
    assert not report.failed
    exit_ = VendorExit.objects.get(vendor=ended)
    assert exit_.cause == VendorExit.Cause.TERM_ENDED and exit_.status == VendorExit.Status.STARTED
    assert exit_.orders_to_refund == 2
    assert Refund.objects.filter(vendor=ended).count() == len(orders)
    ended.refresh_from_db()
    assert ended.status == Vendor.Status.EXITING
    for other in (last_day, renewed, no_term):
        assert not VendorExit.objects.filter(vendor=other).exists()
    evaluation = RuleEvaluation.objects.get(rule=SweepRule.VENDOR_EXIT, vendor=ended)
    assert evaluation.rule_id == "MS-8.1"
    assert [e[0] for e in events] == ["order.refund_on_exit"] * 2


def test_ms_8_1_sweep_rerun_starts_nothing_twice(events):
    ended = _vendor(dt.date(2026, 7, 1))
    make_order(vendor=ended)
    run_sweep(as_of=AS_OF, rules=[SweepRule.VENDOR_EXIT])
    run_sweep(as_of=AS_OF, rules=[SweepRule.VENDOR_EXIT])
    assert VendorExit.objects.filter(vendor=ended).count() == 1
    assert Refund.objects.filter(vendor=ended).count() == 1
    assert len(events) == 1


def test_ms_8_1_sweep_plan_costs_the_same_queries_for_1_and_4_ended_terms():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from compliance.models import RuleSetting
    from compliance.sweep.base import SweepContext
    from compliance.sweep.vendor_exit import VendorExitRule

    counts = []
    for n in (1, 4):
        ids = [_vendor(dt.date(2026, 7, 1)).pk for _ in range(n)]
        ctx = SweepContext(as_of=AS_OF, setting=RuleSetting())
        with CaptureQueriesContext(connection) as captured:
            plan = VendorExitRule().plan(ctx, vendor_ids=ids)
        assert len(plan.actions) == n
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] == 2


def test_ms_8_3_eviction_penalty_enters_the_exit_handling(events):
    vendor = paid_vendor()
    orders = [make_order(vendor=vendor) for _ in range(2)]
    proposer, second = lead(), lead()
    case = confirmed_case(code="OFFLINE_TRADE", vendor=vendor, actor=proposer)
    penalty_apply(case=case, actor=proposer, reason="off-platform trading")
    assert not VendorExit.objects.filter(vendor=vendor).exists()  # waits for the second lead
    penalty_approve(case=case, actor=second, reason="agreed")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.EVICTED
    exit_ = VendorExit.objects.get(vendor=vendor)
    assert exit_.cause == VendorExit.Cause.EVICTION and exit_.status == VendorExit.Status.STARTED
    assert Refund.objects.filter(vendor=vendor).count() == len(orders)
    # The sweep then moves it on like any other exit (nothing paid yet: it waits).
    run_sweep(as_of=AS_OF, rules=[SweepRule.VENDOR_EXIT])
    exit_.refresh_from_db()
    assert exit_.status == VendorExit.Status.STARTED
