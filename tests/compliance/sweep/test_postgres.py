"""The sweep under real concurrency and failure, on PostgreSQL (DESIGN "The sweep"):
two runs at once never act twice, a receiver waits for a running sweep, and a run killed
half-way leaves nothing half-done while the next run completes the work."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections

from compliance.models import (
    AppliedMeasure,
    EvaluationOutcome,
    RuleEvaluation,
    SweepRun,
    VendorNotification,
)
from compliance.sweep import runner
from compliance.sweep.deposit_topup import DepositTopUpRule
from compliance.sweep.runner import run_rule_now, run_sweep
from tests.compliance.sweep.factories import at, failure, obligation, vendor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AS_OF = at("2026-10-20 09:00")


def _scene(n: int = 3) -> list:
    vendors = []
    for _ in range(n):
        v = vendor()
        obligation(v, due_at=AS_OF - dt.timedelta(days=1))
        failure(v, failed_at=AS_OF - dt.timedelta(days=8))
        vendors.append(v)
    return vendors


def _in_threads(*targets) -> list:
    """Run the callables at the same moment, each in a thread with its own connection."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    errors: list[BaseException] = []

    def wrap(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def _slow_plan(monkeypatch, seconds: float = 0.5) -> None:
    """Hold the deposit rule's lock a while, so the two runs surely overlap."""
    real = DepositTopUpRule.plan

    def slow(self, ctx, *, vendor_ids=None):
        plan = real(self, ctx, vendor_ids=vendor_ids)
        time.sleep(seconds)
        return plan

    monkeypatch.setattr(DepositTopUpRule, "plan", slow)


def test_two_sweeps_at_once_never_act_twice(monkeypatch):
    vendors = _scene(3)
    _slow_plan(monkeypatch)
    reports = _in_threads(lambda: run_sweep(as_of=AS_OF), lambda: run_sweep(as_of=AS_OF))
    deposit = [next(r for r in rep.rules if r.rule == "deposit_topup") for rep in reports]
    assert sorted(r.skipped for r in deposit) == [False, True]  # one waited out, one acted
    for v in vendors:
        assert AppliedMeasure.objects.filter(vendor=v, cause_type="deposit_topup").count() == 2
        assert AppliedMeasure.objects.filter(vendor=v, cause_type="saas_delivery").count() == 2
        assert VendorNotification.objects.filter(vendor=v, rule_id="MS-3.1.5 ③").count() == 1
    keys = list(RuleEvaluation.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))


def test_receiver_waits_for_a_running_sweep_then_lifts(monkeypatch):
    """A top-up arriving while the sweep suspends the vendor is applied after it: the
    receiver waits for the rule's lock and then lifts what the sweep just took."""
    (v,) = _scene(1)
    _slow_plan(monkeypatch, 1.0)

    def receiver_after_a_moment():
        time.sleep(0.3)  # the sweep holds the lock by now
        ob = v.obligations.get()
        ob.closed_at = AS_OF + dt.timedelta(minutes=1)
        ob.save(update_fields=["closed_at"])
        return run_rule_now("deposit_topup", vendor_id=v.pk, at=AS_OF + dt.timedelta(minutes=2))

    _in_threads(lambda: run_sweep(as_of=AS_OF, rules=["deposit_topup"]), receiver_after_a_moment)
    measures = AppliedMeasure.objects.filter(vendor=v, cause_type="deposit_topup")
    assert measures.count() == 2
    assert not measures.filter(lifted_at__isnull=True).exists()


def test_run_killed_half_way_leaves_nothing_half_done_and_next_run_completes(monkeypatch):
    vendors = _scene(2)
    real = runner.record_outcomes

    def killed_in_saas_rule(ctx, rule, outcomes):
        if rule.name == "saas_delivery":
            # The measures of this rule are written by now; a kill here must undo them.
            assert AppliedMeasure.objects.filter(cause_type="saas_delivery").exists()
            raise KeyboardInterrupt("killed")
        return real(ctx, rule, outcomes)

    monkeypatch.setattr(runner, "record_outcomes", killed_in_saas_rule)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(as_of=AS_OF)
    # The rule before it committed; the killed rule left no measure and no evaluation.
    assert AppliedMeasure.objects.filter(cause_type="deposit_topup").count() == 4
    assert not AppliedMeasure.objects.filter(cause_type="saas_delivery").exists()
    assert not RuleEvaluation.objects.filter(rule="saas_delivery").exists()
    assert SweepRun.objects.get().status == SweepRun.Status.RUNNING  # the kill is visible
    with connection.cursor() as cursor:  # and no advisory lock is left behind
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert cursor.fetchone()[0] == 0

    monkeypatch.setattr(runner, "record_outcomes", real)
    run_sweep(as_of=AS_OF)
    for v in vendors:
        assert AppliedMeasure.objects.filter(vendor=v, cause_type="saas_delivery").count() == 2
        assert AppliedMeasure.objects.filter(vendor=v, cause_type="deposit_topup").count() == 2
    assert (
        RuleEvaluation.objects.filter(rule="saas_delivery", outcome=EvaluationOutcome.ACTED).count()
        == 4
    )


def test_rerun_at_the_same_moment_changes_nothing():
    _scene(2)
    run_sweep(as_of=AS_OF)
    counts = (
        AppliedMeasure.objects.count(),
        RuleEvaluation.objects.count(),
        VendorNotification.objects.count(),
    )
    report = run_sweep(as_of=AS_OF)
    assert all(r.acted == r.lifted == r.flagged == 0 for r in report.rules)
    assert counts == (
        AppliedMeasure.objects.count(),
        RuleEvaluation.objects.count(),
        VendorNotification.objects.count(),
    )
