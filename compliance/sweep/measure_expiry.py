"""Timed measures end at their end time (MS-7 annex: shield store / restrict publishing
"for N days"), and the vendor's effective state is recomputed.

A measure stops being in force at `ends_at` by definition (`AppliedMeasure.in_force`); this
rule makes the stored effective state follow: it stamps each ended measure lifted at its own
`ends_at` with the reason "ended" (as the measure services do), then recomputes the vendors
concerned once. The stamp is also what makes a rerun find nothing to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from compliance.models import AppliedMeasure, EvaluationOutcome, SweepRule
from compliance.sweep.base import Action, Notice, Outcome, Plan, Rule, SweepContext
from compliance.sweep.measures import measures_lift_bulk, recompute

RULE_ID = "MS-7"


class MeasureExpiryRule(Rule):
    name = SweepRule.MEASURE_EXPIRY
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        ended = list(
            AppliedMeasure.objects.filter(
                lifted_at__isnull=True,
                ends_at__isnull=False,
                ends_at__lte=ctx.as_of,
                **self.vendor_filter(vendor_ids),
            )
            .values("pk", "vendor_id", "kind", "starts_at", "ends_at", "cause_type")
            .order_by("pk")
        )
        actions = [
            Action(
                kind="end",
                vendor_id=m["vendor_id"],
                subject_type="applied_measure",
                subject_id=str(m["pk"]),
                figures={
                    "kind": m["kind"],
                    "cause_type": m["cause_type"],
                    "starts_at": m["starts_at"],
                    "ends_at": m["ends_at"],
                    "as_of": ctx.as_of,
                },
                data={"measure_id": m["pk"]},
            )
            for m in ended
        ]
        return Plan(examined=len(ended), actions=actions)

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        by_id = {a.data["measure_id"]: a for a in actions}
        ended = measures_lift_bulk(measure_ids=by_id, at=ctx.as_of, reason="ended", at_end=True)
        recompute([m.vendor_id for m in ended], at=ctx.as_of, reason=f"{RULE_ID}: measure ended")
        return [
            Outcome(
                outcome=EvaluationOutcome.LIFTED,
                vendor_id=m.vendor_id,
                subject_type="applied_measure",
                subject_id=str(m.pk),
                figures=by_id[m.pk].figures,
                measure_id=m.pk,
                measure_kind=m.kind,
                dedupe_key=f"{self.name}:ended:{m.pk}",
                notice=Notice(
                    subject=_("Measure ended: %(measure)s"),
                    body=_(
                        'The measure "%(measure)s" that started on %(starts_at)s ended on '
                        "%(ends_at)s. Your store's state has been updated."
                    ),
                    params={
                        "measure": m.get_kind_display(),
                        "starts_at": m.starts_at,
                        "ends_at": m.ends_at,
                    },
                ),
            )
            for m in ended
        ]
