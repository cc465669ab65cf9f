"""MS-5.8: a refund order rate above 1% costs marketing eligibility; 30 days to improve.

Rate (ASSUMPTION in RULES, both settings): orders with a completed refund whose reason counts
against the vendor (`Refund.counts_against_vendor`, refunded within the window) over the
orders paid within the window, the window being the `refund_window_days` days up to the
evaluation moment, `(as_of - window, as_of]`. A vendor with fewer paid orders than
`refund_min_orders`, or none, has no rate: nothing is decided for it. "Above" is strict:
exactly the threshold is not above.

- above, no measure: `marketing_ineligible` (cause `refund_rate`) and an improvement deadline
  of `refund_improvement_days` from the measure's start;
- measure, deadline passed, rate at or below: lifted (eligibility returns);
- measure, deadline passed, still above: flagged to reviewers once per measure; the vendor
  stays ineligible.

All vendors' rates come from ONE aggregate query (a UNION ALL of the two grouped counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count, IntegerField, Value
from django.utils.translation import gettext_lazy as _

from compliance.models import AppliedMeasure, CauseType, EvaluationOutcome, MeasureKind, SweepRule
from compliance.services.measures import (
    measures_create_bulk,
    measures_lift_bulk,
    vendor_state_recompute,
)
from compliance.sweep.base import (
    SWEEP_ACTOR,
    Action,
    Notice,
    Outcome,
    Plan,
    Rule,
    SweepContext,
)
from compliance.sweep.recording import taken_keys
from orders.models import Order, Refund

RULE_ID = "MS-5.8"

# Notice templates: module constants, so each is translated once per language.
ABOVE_SUBJECT = _("Refund rate above %(threshold)s%%: marketing eligibility lost (MS-5.8)")
ABOVE_BODY = _(
    "Your refund order rate over the last %(window)s days is "
    "%(rate)s%% (%(refunded)s refunded of %(paid)s paid orders), above "
    "%(threshold)s%%. You are not eligible for marketing campaigns. "
    "Improve it by %(deadline)s: after that date eligibility returns "
    "at the first evaluation that finds the rate at or below "
    "%(threshold)s%%."
)
IMPROVED_SUBJECT = _("Refund rate improved: marketing eligibility restored (MS-5.8)")
IMPROVED_BODY = _(
    "Your refund order rate over the last %(window)s days is "
    "%(rate)s%% (%(refunded)s refunded of %(paid)s paid orders), at or "
    "below %(threshold)s%%. You are eligible for marketing campaigns "
    "again."
)
STILL_ABOVE_SUBJECT = _("Refund rate still above %(threshold)s%% (MS-5.8)")
STILL_ABOVE_BODY = _(
    "The improvement period ended on %(deadline)s and your refund "
    "order rate is still %(rate)s%% (%(refunded)s refunded of "
    "%(paid)s paid orders), above %(threshold)s%%. You stay ineligible "
    "for marketing campaigns and the case is passed to the platform's "
    "reviewers."
)
RATE_PLACES = Decimal("0.0001")


def refund_rate_rows(
    *, start: dt.datetime, end: dt.datetime, vendor_ids: Sequence[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per vendor: (paid orders, refunded orders counting against it) in (start, end].

    One query: the grouped paid-order count UNION ALL the grouped refunded-order count.
    """
    vf = {"vendor_id__in": list(vendor_ids)} if vendor_ids is not None else {}
    zero = Value(0, output_field=IntegerField())
    paid = (
        Order.objects.filter(paid_at__gt=start, paid_at__lte=end, **vf)
        .order_by()
        .values("vendor_id")
        .annotate(paid=Count("pk"), refunded=zero)
        .values_list("vendor_id", "paid", "refunded")
    )
    refunded = (
        Refund.objects.filter(
            status=Refund.Status.REFUNDED,
            counts_against_vendor=True,
            refunded_at__gt=start,
            refunded_at__lte=end,
            **vf,
        )
        .order_by()
        .values("vendor_id")
        .annotate(paid=zero, refunded=Count("order_id", distinct=True))
        .values_list("vendor_id", "paid", "refunded")
    )
    totals: dict[int, tuple[int, int]] = {}
    for vendor_id, n_paid, n_refunded in paid.union(refunded, all=True):
        p, r = totals.get(vendor_id, (0, 0))
        totals[vendor_id] = (p + n_paid, r + n_refunded)
    return totals


def rate_percent(paid: int, refunded: int) -> Decimal:
    return (Decimal(refunded) * 100 / Decimal(paid)).quantize(RATE_PLACES)


class RefundRateRule(Rule):
    name = SweepRule.REFUND_RATE
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        s = ctx.setting
        start = ctx.as_of - dt.timedelta(days=s.refund_window_days)
        rows = refund_rate_rows(start=start, end=ctx.as_of, vendor_ids=vendor_ids)  # query 1
        measures = {
            m.vendor_id: m
            for m in AppliedMeasure.objects.filter(  # query 2
                cause_type=CauseType.REFUND_RATE,
                kind=MeasureKind.MARKETING_INELIGIBLE,
                lifted_at__isnull=True,
                **self.vendor_filter(vendor_ids),
            ).only("pk", "vendor_id", "starts_at")
        }
        improvement = dt.timedelta(days=s.refund_improvement_days)

        def figures_for(vendor_id: int) -> dict:
            paid, refunded = rows.get(vendor_id, (0, 0))
            return {
                "window_start": start,
                "window_end": ctx.as_of,
                "window_days": s.refund_window_days,
                "paid_orders": paid,
                "refunded_orders": refunded,
                "rate_percent": rate_percent(paid, refunded) if paid else None,
                "threshold_percent": s.refund_rate_threshold,
                "min_orders": s.refund_min_orders,
            }

        def above(vendor_id: int) -> bool | None:
            """True/False, or None when the vendor has no rate (no or too few orders)."""
            paid, refunded = rows.get(vendor_id, (0, 0))
            if paid == 0 or paid < s.refund_min_orders:
                return None
            # Exact integer/Decimal comparison: refunded/paid > threshold% (MS-5.8: strict).
            return Decimal(refunded) * 100 > s.refund_rate_threshold * paid

        actions: list[Action] = []
        for vendor_id in sorted(rows):
            if vendor_id not in measures and above(vendor_id):
                figures = figures_for(vendor_id)
                figures["improve_by"] = ctx.as_of + improvement
                actions.append(
                    Action("apply", vendor_id, "vendor", str(vendor_id), figures=figures)
                )
        flag_candidates = []
        for vendor_id, measure in sorted(measures.items()):
            deadline = measure.starts_at + improvement
            if ctx.as_of < deadline:
                continue  # still inside the improvement period
            verdict = above(vendor_id)
            figures = figures_for(vendor_id) | {"improve_by": deadline, "measure_id": measure.pk}
            if verdict is False:
                actions.append(
                    Action(
                        "lift",
                        vendor_id,
                        "vendor",
                        str(vendor_id),
                        figures=figures,
                        data={"measure_id": measure.pk},
                    )
                )
            elif verdict:
                key = f"{self.name}:flag:{measure.pk}"
                flag_candidates.append(
                    Action(
                        "flag",
                        vendor_id,
                        "vendor",
                        str(vendor_id),
                        figures=figures,
                        data={"measure_id": measure.pk, "key": key},
                    )
                )
        taken = taken_keys(a.data["key"] for a in flag_candidates)  # query 3 (if any)
        actions += [a for a in flag_candidates if a.data["key"] not in taken]
        return Plan(examined=len(rows.keys() | measures.keys()), actions=actions)

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        reason = f"{RULE_ID}: refund rate above the threshold"
        applies = [a for a in actions if a.kind == "apply"]
        created = measures_create_bulk(
            measures=[
                AppliedMeasure(
                    vendor_id=a.vendor_id,
                    kind=MeasureKind.MARKETING_INELIGIBLE,
                    cause_type=CauseType.REFUND_RATE,
                    cause_id=ctx.as_of.date().isoformat(),
                    starts_at=ctx.as_of,
                    reason=reason,
                )
                for a in applies
            ],
            reason=reason,
        )
        lift_reason = f"{RULE_ID}: refund rate at or below the threshold after the deadline"
        lifts = {a.data["measure_id"]: a for a in actions if a.kind == "lift"}
        lifted = measures_lift_bulk(measure_ids=lifts, at=ctx.as_of, reason=lift_reason)
        vendor_state_recompute(
            vendor_ids=[m.vendor_id for m in created] + [m.vendor_id for m in lifted],
            at=ctx.as_of,
            actor=SWEEP_ACTOR,
            reason=reason if created else lift_reason,
        )
        outcomes: list[Outcome] = []
        for a, m in zip(applies, created, strict=True):
            outcomes.append(
                Outcome(
                    outcome=EvaluationOutcome.ACTED,
                    vendor_id=a.vendor_id,
                    subject_type="vendor",
                    subject_id=str(a.vendor_id),
                    figures=a.figures,
                    measure_id=m.pk,
                    measure_kind=m.kind,
                    dedupe_key=f"{self.name}:acted:{m.pk}",
                    notice=Notice(
                        subject=ABOVE_SUBJECT,
                        body=ABOVE_BODY,
                        params=self._params(a.figures),
                        action_required_by=a.figures["improve_by"],
                    ),
                )
            )
        for m in lifted:
            a = lifts[m.pk]
            outcomes.append(
                Outcome(
                    outcome=EvaluationOutcome.LIFTED,
                    vendor_id=m.vendor_id,
                    subject_type="vendor",
                    subject_id=str(m.vendor_id),
                    figures=a.figures,
                    measure_id=m.pk,
                    measure_kind=m.kind,
                    dedupe_key=f"{self.name}:lifted:{m.pk}",
                    notice=Notice(
                        subject=IMPROVED_SUBJECT,
                        body=IMPROVED_BODY,
                        params=self._params(a.figures),
                    ),
                )
            )
        for a in actions:
            if a.kind != "flag":
                continue
            outcomes.append(
                Outcome(
                    outcome=EvaluationOutcome.FLAGGED,
                    vendor_id=a.vendor_id,
                    subject_type="vendor",
                    subject_id=str(a.vendor_id),
                    figures=a.figures,
                    measure_id=a.data["measure_id"],
                    measure_kind=MeasureKind.MARKETING_INELIGIBLE,
                    flagged_to="reviewers",
                    message="refund rate still above the threshold after the improvement period",
                    dedupe_key=a.data["key"],
                    notice=Notice(
                        subject=STILL_ABOVE_SUBJECT,
                        body=STILL_ABOVE_BODY,
                        params=self._params(a.figures),
                    ),
                )
            )
        return outcomes

    @staticmethod
    def _params(figures: dict) -> dict:
        return {
            "window": figures["window_days"],
            "rate": figures["rate_percent"],
            "refunded": figures["refunded_orders"],
            "paid": figures["paid_orders"],
            "threshold": figures["threshold_percent"],
            "deadline": figures["improve_by"],
        }
