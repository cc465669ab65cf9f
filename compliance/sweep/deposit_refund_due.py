"""MS-3.1.5 ④: deposit refunds whose 15-working-day due date is near or past are flagged to
finance.

`vendors` computes `DepositRefund.due_at` (end of the 15th working day after the receipt came
back). "Near" is within `refund_due_notice_working_days` working days of today (default 3,
via the working calendar); "past" is after `due_at`. Each refund is flagged once per threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

from compliance.models import EvaluationOutcome, SweepRule
from compliance.sweep.base import Action, Outcome, Plan, Rule, SweepContext
from compliance.sweep.recording import taken_keys
from marketplace.timeutils import china_date, end_of_day
from vendors.models import DepositRefund

RULE_ID = "MS-3.1.5 ④"


class DepositRefundDueRule(Rule):
    name = SweepRule.DEPOSIT_REFUND_DUE
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        notice_days = ctx.setting.refund_due_notice_working_days
        near_day, provisional = ctx.calendar.add_working_days(china_date(ctx.as_of), notice_days)
        refunds = list(
            DepositRefund.objects.filter(
                status=DepositRefund.Status.RECEIPT_RECEIVED,
                completed_at__isnull=True,
                due_at__isnull=False,
                due_at__lte=end_of_day(near_day),
                **self.vendor_filter(vendor_ids),
            )
            .values("pk", "vendor_id", "due_at", "provisional", "receipt_received_at")
            .order_by("pk")
        )
        candidates = []
        for r in refunds:
            threshold = "past" if r["due_at"] < ctx.as_of else "near"
            candidates.append(
                Action(
                    kind=threshold,
                    vendor_id=r["vendor_id"],
                    subject_type="deposit_refund",
                    subject_id=str(r["pk"]),
                    figures={
                        "receipt_received_at": r["receipt_received_at"],
                        "due_at": r["due_at"],
                        "due_provisional": r["provisional"],
                        "notice_working_days": notice_days,
                        "near_until_day": near_day,
                        "calendar_provisional": provisional,
                        "threshold": threshold,
                        "as_of": ctx.as_of,
                    },
                    data={"key": f"{self.name}:{r['pk']}:{threshold}"},
                )
            )
        taken = taken_keys(a.data["key"] for a in candidates)
        return Plan(
            examined=len(refunds),
            actions=[a for a in candidates if a.data["key"] not in taken],
        )

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        # Finance's work, not the vendor's: flagged in the admin, no vendor notice.
        return [
            Outcome(
                outcome=EvaluationOutcome.FLAGGED,
                vendor_id=a.vendor_id,
                subject_type=a.subject_type,
                subject_id=a.subject_id,
                figures=a.figures,
                flagged_to="finance",
                message=(
                    "deposit refund overdue" if a.kind == "past" else "deposit refund due soon"
                ),
                dedupe_key=a.data["key"],
            )
            for a in actions
        ]
