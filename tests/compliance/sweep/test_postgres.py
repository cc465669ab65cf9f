"""The sweep under real concurrency and failure, on PostgreSQL (DESIGN "The sweep"):
two runs at once never act twice, a receiver waits for a running sweep, and a run killed
half-way leaves nothing half-done while the next run completes the work."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection

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
from tests.threads import TIMEOUT, errors_of, run_concurrently, wait_until

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
    """Run the callables at the same moment; what each returned (any error fails the test)."""
    outcomes = run_concurrently(*targets)
    assert not errors_of(outcomes), errors_of(outcomes)
    return [outcome.value for outcome in outcomes]


def _waiting_for_an_advisory_lock() -> bool:
    """A connection to this test database waits for an advisory lock (the rule's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0] > 0


def _plan_waits_for(monkeypatch, proceed: Callable[[], bool]) -> None:
    """The deposit rule's plan, once made, waits until `proceed()` before the run goes on
    (its lock held meanwhile): the other run surely meets the lock taken."""
    real = DepositTopUpRule.plan

    def waiting(self, ctx, *, vendor_ids=None):
        plan = real(self, ctx, vendor_ids=vendor_ids)
        assert proceed()
        return plan

    monkeypatch.setattr(DepositTopUpRule, "plan", waiting)


def test_two_sweeps_at_once_never_act_twice(monkeypatch):
    vendors = _scene(3)
    other_skipped = threading.Event()  # the other run gave the deposit rule up
    _plan_waits_for(monkeypatch, lambda: other_skipped.wait(TIMEOUT))

    def sweep():
        def done(report):
            if report.rule == "deposit_topup" and report.skipped:
                other_skipped.set()

        return run_sweep(as_of=AS_OF, on_rule_done=done)

    reports = _in_threads(sweep, sweep)
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
    sweep_planned = threading.Event()  # the sweep holds the rule's lock and made its plan

    def receiver_waiting() -> bool:
        if sweep_planned.is_set():  # the receiver's own plan, once it has the lock
            return True
        sweep_planned.set()
        return wait_until(_waiting_for_an_advisory_lock)  # the receiver queues behind

    _plan_waits_for(monkeypatch, receiver_waiting)

    def receiver_after_the_sweep_planned():
        assert sweep_planned.wait(TIMEOUT)
        ob = v.obligations.get()
        ob.closed_at = AS_OF + dt.timedelta(minutes=1)
        ob.save(update_fields=["closed_at"])
        return run_rule_now("deposit_topup", vendor_id=v.pk, at=AS_OF + dt.timedelta(minutes=2))

    _in_threads(
        lambda: run_sweep(as_of=AS_OF, rules=["deposit_topup"]), receiver_after_the_sweep_planned
    )
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
