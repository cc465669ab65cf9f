"""Penalty cases close when their measures have run their course (MS-7 annex: "shield the
store and restrict publishing, 15 days").

Plan: one query for the applied or upheld cases none of whose measures is still running.
Execute: each due case is closed through the penalty service (locked, audited, logged), so a
case that gained a measure since the plan stays open. Cases fall due a few at a time, so the
per-case write is bounded by what changed, not by the size of the marketplace.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from compliance.models import EvaluationOutcome, SweepRule
from compliance.services.penalties import penalty_case_close, penalty_cases_due_to_close
from compliance.sweep.base import Action, Outcome, Plan, Rule, SweepContext

RULE_ID = "MS-7"


class PenaltyCaseCloseRule(Rule):
    name = SweepRule.PENALTY_CASE_CLOSE
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        due = list(
            penalty_cases_due_to_close(at=ctx.as_of, vendor_ids=vendor_ids).values(
                "pk", "vendor_id", "reference", "status"
            )
        )
        actions = [
            Action(
                kind="close",
                vendor_id=case["vendor_id"],
                subject_type="penalty_case",
                subject_id=str(case["pk"]),
                figures={
                    "reference": case["reference"],
                    "status": case["status"],
                    "as_of": ctx.as_of,
                },
                data={"case_id": case["pk"]},
            )
            for case in due
        ]
        return Plan(examined=len(due), actions=actions)

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        return [
            Outcome(
                outcome=EvaluationOutcome.RECORDED,
                vendor_id=action.vendor_id,
                subject_type=action.subject_type,
                subject_id=action.subject_id,
                figures=action.figures,
                message=str(_("Case closed: all its measures have run their course.")),
                dedupe_key=f"{self.name}:closed:{action.subject_id}",
            )
            for action in actions
            if penalty_case_close(case_id=action.data["case_id"], at=ctx.as_of)
        ]
