"""Run the timed rules: each rule's batch in one transaction under its lock.

- Killed half-way: a rule's plan, changes, evaluations and notifications commit together or
  not at all; rules already committed stay done, and the next run does the rest.
- Two runs at once: the second finds the rule's lock taken and skips it (`locks.py`).
- One vendor failing: the batch is executed in a savepoint; if it raises, it is replayed
  vendor by vendor, each in its own savepoint, and the failing vendor gets an error
  evaluation while the others go through (the happy path stays a fixed number of queries).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from compliance.models import EvaluationOutcome, RuleEvaluation, RuleSetting, SweepRun
from compliance.sweep.base import Action, Outcome, Rule, SweepContext
from compliance.sweep.locks import (
    bound_lock_waits,
    is_lock_timeout,
    restore_lock_waits,
    try_rule_lock,
    wait_rule_lock,
)
from compliance.sweep.recording import record_outcomes
from compliance.sweep.registry import get_rules

logger = logging.getLogger(__name__)


@dataclass
class RuleReport:
    rule: str
    rule_id: str
    examined: int = 0
    acted: int = 0
    lifted: int = 0
    flagged: int = 0
    recorded: int = 0
    errors: int = 0
    skipped: bool = False
    queries: int = 0
    seconds: float = 0.0
    planned: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SweepReport:
    run_id: int | None
    as_of: dt.datetime
    dry_run: bool
    rules: list[RuleReport] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.errors for r in self.rules)


@contextmanager
def count_queries():
    """Count the queries sent on this connection (cheap: no SQL kept in memory)."""
    counter = {"n": 0}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def _execute_isolated(ctx: SweepContext, rule: Rule, actions: Sequence[Action]) -> list[Outcome]:
    """Execute in bulk; on failure replay per vendor so one vendor cannot block the rest."""
    if not actions:
        return []
    try:
        with transaction.atomic():
            return rule.execute(ctx, actions)
    except Exception as exc:
        if is_lock_timeout(exc):
            raise  # a bounded wait ran out: nobody's failure, the whole batch is deferred
        logger.warning("sweep %s: bulk execution failed, retrying per vendor", rule.name)
    by_vendor: dict[int | None, list[Action]] = defaultdict(list)
    for action in actions:
        by_vendor[action.vendor_id].append(action)
    outcomes: list[Outcome] = []
    for vendor_id, group in sorted(by_vendor.items(), key=lambda item: item[0] or 0):
        try:
            with transaction.atomic():
                outcomes.extend(rule.execute(ctx, group))
        except Exception as exc:
            if is_lock_timeout(exc):
                raise
            logger.exception("sweep %s failed for vendor %s", rule.name, vendor_id)
            outcomes.append(rule.outcome_for_error(vendor_id, group, exc))
    return outcomes


def _tally(report: RuleReport, outcomes: Sequence[Outcome]) -> None:
    for o in outcomes:
        if o.outcome == EvaluationOutcome.ACTED:
            report.acted += 1
        elif o.outcome == EvaluationOutcome.LIFTED:
            report.lifted += 1
        elif o.outcome == EvaluationOutcome.FLAGGED:
            report.flagged += 1
        elif o.outcome == EvaluationOutcome.ERROR:
            report.errors += 1
        else:
            report.recorded += 1


def run_rule(
    ctx: SweepContext,
    rule: Rule,
    *,
    vendor_ids: Sequence[int] | None = None,
    wait: bool = False,
    lock_timeout_ms: int | None = None,
) -> RuleReport:
    """One rule's batch in one transaction; returns what it did.

    `wait`: wait for the rule's lock instead of skipping the rule when another run holds it.
    `lock_timeout_ms` (with `wait`): wait at most this long for it, and for every row lock
    the batch takes; if a wait runs out, everything is rolled back and the report says
    `skipped` (the caller defers the work). For callers inside a web request.
    """
    report = RuleReport(rule=rule.name, rule_id=rule.rule_id)
    started = time.perf_counter()
    with count_queries() as counter:
        try:
            _run_rule_batch(ctx, rule, report, vendor_ids, wait, lock_timeout_ms)
        except OperationalError as exc:
            if lock_timeout_ms is None or not is_lock_timeout(exc):
                raise
            report = RuleReport(rule=rule.name, rule_id=rule.rule_id, skipped=True)
    report.queries = counter["n"]
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _run_rule_batch(
    ctx: SweepContext,
    rule: Rule,
    report: RuleReport,
    vendor_ids: Sequence[int] | None,
    wait: bool,
    lock_timeout_ms: int | None,
) -> None:
    with transaction.atomic():
        bounded = bound_lock_waits(lock_timeout_ms) if lock_timeout_ms is not None else None
        if wait:
            wait_rule_lock(rule.name)
        elif not try_rule_lock(rule.name) and not _wait_briefly(rule.name):
            report.skipped = True
            return
        plan = rule.plan(ctx, vendor_ids=vendor_ids)
        report.examined = plan.examined
        report.planned = len(plan.actions)
        if ctx.dry_run:
            # Nothing is written: `planned` tells what would be done.
            transaction.set_rollback(True)
        else:
            outcomes = _execute_isolated(ctx, rule, plan.actions)
            record_outcomes(ctx, rule, outcomes)
            _tally(report, outcomes)
        restore_lock_waits(bounded)


def run_sweep(
    *,
    as_of: dt.datetime | None = None,
    rules: Sequence[str] | None = None,
    dry_run: bool = False,
    trigger: str = "command",
    on_rule_done: Callable[[RuleReport], None] | None = None,
) -> SweepReport:
    """Run the timed rules (all, or those named) as of `as_of` (default: now)."""
    as_of = as_of or timezone.now()
    if timezone.is_naive(as_of):
        raise ValueError("as_of must be an aware datetime")
    selected = get_rules(rules)
    run = None
    if not dry_run:
        abort_stale_runs()
        run = SweepRun.objects.create(as_of=as_of, dry_run=dry_run, trigger=trigger)
    ctx = SweepContext(as_of=as_of, setting=RuleSetting.in_force(as_of), run=run, dry_run=dry_run)
    report = SweepReport(run_id=run.pk if run else None, as_of=as_of, dry_run=dry_run)
    for rule in selected:
        _forget_cached_plans()
        try:
            rule_report = run_rule(ctx, rule)
        except Exception as exc:
            # The plan itself failed (not one vendor): the rule's transaction rolled back.
            logger.exception("sweep rule %s failed", rule.name)
            rule_report = RuleReport(rule=rule.name, rule_id=rule.rule_id, errors=1)
            if run is not None:
                message = f"{type(exc).__name__}: {exc}"
                run.summary.setdefault("failures", {})[rule.name] = message
                # Visible beside the other outcomes in the admin, for the whole rule.
                RuleEvaluation.objects.create(
                    run=run,
                    rule=rule.name,
                    rule_id=rule.rule_id,
                    subject_type="rule",
                    subject_id=rule.name,
                    outcome=EvaluationOutcome.ERROR,
                    message=message,
                    as_of=as_of,
                )
        report.rules.append(rule_report)
        if on_rule_done:
            on_rule_done(rule_report)
    if run is not None:
        run.finished_at = timezone.now()
        run.status = SweepRun.Status.FAILED if report.failed else SweepRun.Status.SUCCEEDED
        run.summary["rules"] = [r.as_dict() for r in report.rules]
        run.save(update_fields=["finished_at", "status", "summary"])
    return report


# How long a sweep waits for a rule's lock before skipping the rule: long enough for a
# receiver acting for one vendor (milliseconds), far shorter than another run's batch.
SWEEP_LOCK_WAIT_MS = 250


def _wait_briefly(rule_name: str) -> bool:
    """The lock is taken: wait a moment for it. A receiver (a storefront reporting failures
    all day) holds it for milliseconds and must not make the sweep skip the rule; another
    sweep holds it for its whole batch, and then this run skips it. False if still taken."""
    if connection.vendor != "postgresql":
        return False
    timeout = getattr(settings, "COMPLIANCE_SWEEP_LOCK_WAIT_MS", SWEEP_LOCK_WAIT_MS)
    try:
        with transaction.atomic():  # a savepoint: a timeout leaves the batch's transaction usable
            previous = bound_lock_waits(timeout)
            wait_rule_lock(rule_name)
            restore_lock_waits(previous)
    except OperationalError as exc:
        if is_lock_timeout(exc):
            return False
        raise
    return True


def _forget_cached_plans() -> None:
    """PostgreSQL caches the plan of each foreign-key check per connection, made when the
    referenced table was last small: after one rule wrote a handful of measures or
    evaluations, the next rule's thousands of checks against those same tables (by then
    thousands of rows) would each scan the table (0.15 s per 3,000 rows, measured). Each
    rule starts with fresh plans, made for the tables as they are."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DISCARD PLANS")


def abort_stale_runs(*, now: dt.datetime | None = None) -> int:
    """Mark runs still `running` past `COMPLIANCE_SWEEP_STALE_AFTER` as aborted (issue 9 §4).

    A killed process never finishes its row; the next run closes it so the admin does not
    show a run in progress for ever. A live run younger than the setting is left alone.
    """
    now = now or timezone.now()
    cutoff = now - settings.COMPLIANCE_SWEEP_STALE_AFTER
    stale = SweepRun.objects.filter(status=SweepRun.Status.RUNNING, started_at__lt=cutoff)
    # SweepRun has no history table: update() loses no audit trail here.
    return stale.update(status=SweepRun.Status.ABORTED, finished_at=now)


def run_rule_now(
    rule_name: str,
    *,
    vendor_id: int,
    at: dt.datetime | None = None,
    lock_timeout_ms: int | None = None,
) -> RuleReport:
    """The rule for one vendor, at once, waiting for the rule's lock (signal receivers, and
    the task they hand work to).

    The same plan/execute as the sweep, so the receiver and the sweep can never disagree.
    `lock_timeout_ms`: wait at most that long for any lock (a receiver inside a request);
    the report is then `skipped` and nothing was written.
    """
    at = at or timezone.now()
    (rule,) = get_rules([rule_name])
    ctx = SweepContext(as_of=at, setting=RuleSetting.in_force(at))
    return run_rule(ctx, rule, vendor_ids=[vendor_id], wait=True, lock_timeout_ms=lock_timeout_ms)
