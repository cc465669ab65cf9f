"""MS-8.1: the sweep starts a vendor's exit when its agreement term ended without renewal,
and moves the exits under way as far as they can go (MS-8.4, MS-3.1.5 ④).

Plan: two set-based queries whatever the number of vendors: the trading vendors whose term's
last day (China time) is before today and who have no exit under way, and the exits under
way. Execute: each start and each advance goes through the vendors' exit services (locked,
audited, the orders refunded set-based in the start's own transaction). Terms end a few at a
time and exits are rare, so the per-vendor write is bounded by what changed, not by the size
of the marketplace (the same choice as `penalty_case_close`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from compliance.models import EvaluationOutcome, SweepRule
from compliance.sweep.base import Action, Outcome, Plan, Rule, SweepContext
from marketplace.timeutils import china_date
from vendors.models import Vendor, VendorExit

RULE_ID = "MS-8.1"


class VendorExitRule(Rule):
    name = SweepRule.VENDOR_EXIT
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        today = china_date(ctx.as_of)
        live = VendorExit.objects.filter(vendor_id=OuterRef("pk")).exclude(
            status__in=[VendorExit.Status.REJECTED, *VendorExit.PENDING]
        )
        ended = list(
            Vendor.objects.filter(
                status__in=[Vendor.Status.ACTIVE, Vendor.Status.SUSPENDED],
                term_end__lt=today,
                **self.vendor_filter(vendor_ids, "pk"),
            )
            .exclude(Exists(live))
            .order_by("pk")
            .values("pk", "term_start", "term_end")
        )
        under_way = list(
            VendorExit.objects.filter(
                status__in=VendorExit.IN_PROGRESS, **self.vendor_filter(vendor_ids)
            )
            .order_by("pk")
            .values("pk", "vendor_id", "status")
        )
        actions = [
            Action(
                kind="start",
                vendor_id=v["pk"],
                subject_type="vendor",
                subject_id=str(v["pk"]),
                figures={
                    "term_start": v["term_start"],
                    "term_end": v["term_end"],
                    "today": today,
                    "as_of": ctx.as_of,
                },
                data={"term_end": v["term_end"]},
            )
            for v in ended
        ] + [
            Action(
                kind="advance",
                vendor_id=e["vendor_id"],
                subject_type="vendor_exit",
                subject_id=str(e["pk"]),
                figures={"status": e["status"], "as_of": ctx.as_of},
                data={"exit_id": e["pk"], "status": e["status"]},
            )
            for e in under_way
        ]
        return Plan(examined=len(ended) + len(under_way), actions=actions)

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        from vendors.services import exit_advance, exit_start

        outcomes: list[Outcome] = []
        for action in actions:
            if action.kind == "start":
                exit_ = exit_start(
                    vendor=Vendor(pk=action.vendor_id),
                    cause=VendorExit.Cause.TERM_ENDED,
                    actor=None,
                    reason=f"MS-8.1: agreement term ended on {action.data['term_end']} "
                    "without renewal",
                    at=ctx.as_of,
                )
                if exit_ is None:
                    continue
                outcomes.append(
                    Outcome(
                        outcome=EvaluationOutcome.ACTED,
                        vendor_id=action.vendor_id,
                        subject_type="vendor_exit",
                        subject_id=str(exit_.pk),
                        figures={**action.figures, "orders_refunded": exit_.orders_to_refund},
                        message=str(_("Exit started: the agreement term ended without renewal.")),
                        dedupe_key=f"{self.name}:start:{exit_.pk}",
                    )
                )
                continue
            exit_ = exit_advance(
                exit=VendorExit(pk=action.data["exit_id"], vendor_id=action.vendor_id),
                actor=None,
                reason="compliance sweep",
                at=ctx.as_of,
            )
            if exit_.status != action.data["status"]:
                outcomes.append(
                    Outcome(
                        outcome=EvaluationOutcome.RECORDED,
                        vendor_id=action.vendor_id,
                        subject_type=action.subject_type,
                        subject_id=action.subject_id,
                        figures={**action.figures, "new_status": exit_.status},
                        message=str(_("Exit moved on to: %(status)s"))
                        % {"status": exit_.get_status_display()},
                        dedupe_key=f"{self.name}:{exit_.pk}:{exit_.status}",
                    )
                )
        return outcomes
