"""MS-2.8: orders whose review period ended are marked closed, so refund queues and the
refund-rate KPI read a stored fact instead of recomputing it.

The write is orders' own service, `orders.services.review_periods.review_periods_close`:
`Order.review_period_closed` is a derived, non-audited fact marked by one set-based UPDATE
that writes no history rows (its docstring and docs/decisions/sweep.md say why). One
evaluation row per run records how many orders were closed and up to which moment.

Each run closes at most `BATCH` orders, oldest period first: a daily run closes about a day of
orders, and a backlog (the first run after deployment, or after the sweep was stopped) is
worked off over the following runs instead of one unbounded transaction; the evaluation
reports what remains.
"""

from __future__ import annotations

from collections.abc import Sequence

from compliance.models import EvaluationOutcome, SweepRule
from compliance.sweep.base import Action, Outcome, Plan, Rule, SweepContext
from orders.services.review_periods import review_periods_close, review_periods_due

RULE_ID = "MS-2.8"
BATCH = 50_000


class ReviewPeriodRule(Rule):
    name = SweepRule.REVIEW_PERIODS
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        # Counted on the partial index on open review periods (an index-only scan where the
        # visibility map allows); no row is loaded.
        due = review_periods_due(until=ctx.as_of, vendor_ids=vendor_ids).count()
        if not due:
            return Plan(examined=0, actions=[])
        data = {"vendor_ids": list(vendor_ids) if vendor_ids is not None else None, "due": due}
        return Plan(examined=due, actions=[Action("close", None, "orders", "", data=data)])

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        outcomes = []
        for a in actions:
            # Orders' service writes; BATCH is read here, at run time (tests lower it).
            closed, remaining = review_periods_close(
                until=ctx.as_of,
                due=a.data["due"],
                batch=BATCH,
                vendor_ids=a.data["vendor_ids"],
                actor=None,
            )
            if closed:
                outcomes.append(
                    Outcome(
                        outcome=EvaluationOutcome.RECORDED,
                        vendor_id=None,
                        subject_type="orders",
                        subject_id="",
                        figures={
                            "orders_closed": closed,
                            "review_period_ended_by": ctx.as_of,
                            "backlog_remaining": remaining,
                        },
                        message=f"{closed} review periods closed",
                    )
                )
        return outcomes
