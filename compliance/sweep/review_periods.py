"""MS-2.8: orders whose review period ended are marked closed, so refund queues and the
refund-rate KPI read a stored fact instead of recomputing it.

`Order.review_period_closed` is a DERIVED, NON-AUDITED fact: it is exactly
`review_period_ends_at <= now`, and `review_period_ends_at` itself is audited (history of the
order). Marking it is therefore one set-based UPDATE that writes no history rows
(docs/decisions/sweep.md): at marketplace scale the first run would otherwise write millions
of history rows for a fact the history already implies. One evaluation row per run records
how many orders were closed and up to which moment.

Each run closes at most `BATCH` orders, oldest period first: a daily run closes about a day of
orders, and a backlog (the first run after deployment, or after the sweep was stopped) is
worked off over the following runs instead of one unbounded transaction; the evaluation
reports what remains.
"""

from __future__ import annotations

from collections.abc import Sequence

from compliance.models import EvaluationOutcome, SweepRule
from compliance.sweep.base import Action, Outcome, Plan, Rule, SweepContext
from orders.models import Order

RULE_ID = "MS-2.8"
BATCH = 50_000


class ReviewPeriodRule(Rule):
    name = SweepRule.REVIEW_PERIODS
    rule_id = RULE_ID

    def _due(self, ctx: SweepContext, vendor_ids: Sequence[int] | None):
        return Order.objects.filter(
            review_period_closed=False,
            review_period_ends_at__isnull=False,
            review_period_ends_at__lte=ctx.as_of,
            **self.vendor_filter(vendor_ids),
        )

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        # Counted on the partial index on open review periods (an index-only scan where the
        # visibility map allows); no row is loaded.
        due = self._due(ctx, vendor_ids).count()
        if not due:
            return Plan(examined=0, actions=[])
        data = {"vendor_ids": list(vendor_ids) if vendor_ids is not None else None, "due": due}
        return Plan(examined=due, actions=[Action("close", None, "orders", "", data=data)])

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        outcomes = []
        for a in actions:
            due = self._due(ctx, a.data["vendor_ids"])
            # Derived, non-audited flag: a plain set-based UPDATE (see the module docstring).
            if a.data["due"] <= BATCH:
                # The usual case (a daily run: about a day of orders): one UPDATE over the
                # partial index. (With `id IN (… LIMIT …)` PostgreSQL hash-joins the whole
                # orders table: 0.7 s more at 2,000,000 orders.)
                closed = due.update(review_period_closed=True)
                remaining = False
            else:
                # A backlog (first deployment, a stopped sweep): the oldest BATCH only.
                batch = due.order_by("review_period_ends_at", "pk").values("pk")[:BATCH]
                closed = Order.objects.filter(pk__in=batch).update(review_period_closed=True)
                remaining = due.exists()
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
