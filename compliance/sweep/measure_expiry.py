"""Timed measures end at their end time (MS-7 annex: shield store / restrict publishing
"for N days"), and the vendor's effective state is recomputed.

A measure stops being in force at `ends_at` by definition (`AppliedMeasure.in_force`); this
rule makes the stored effective state follow: it stamps each ended measure lifted at its own
`ends_at` with the reason "ended" (as the measure services do), then recomputes the vendors
concerned once. The stamp is also what makes a rerun find nothing to do.

Safety net (issue 9 §5): the same rule re-derives the effective state of every vendor whose
stored state disagrees with its measures in force (a product listed while "hide all SaaS
products" or a store shield was in force, a lost signal, a row written by hand). Candidates
are the vendors with a measure in force or a non-default stored flag (one query); the
differences are computed read-only (`state_differences`, four queries), and only vendors
with a difference are recomputed and recorded. Catalog's `product_listed` receiver runs this
rule for the one vendor at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from compliance.models import AppliedMeasure, EvaluationOutcome, MeasureKind, SweepRule
from compliance.services.measures import (
    measures_lift_bulk,
    state_differences,
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
from vendors.models import Store, Vendor

RULE_ID = "MS-7"

# Notice templates: module constants, so each is translated once per language.
ENDED_SUBJECT = _("Measure ended: %(measure)s")
ENDED_BODY = _(
    'The measure "%(measure)s" that started on %(starts_at)s ended on '
    "%(ends_at)s. Your store's state has been updated."
)


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
        stale = self._stale_vendors(ctx, vendor_ids, skip={m["vendor_id"] for m in ended})
        actions += stale
        return Plan(examined=len(ended) + len(stale), actions=actions)

    def _stale_vendors(
        self, ctx: SweepContext, vendor_ids: Sequence[int] | None, *, skip: set[int]
    ) -> list[Action]:
        """Vendors whose stored effective state differs from their measures in force."""
        restrict = self.vendor_filter(vendor_ids)
        candidates = (
            AppliedMeasure.objects.in_force(ctx.as_of)
            .filter(**restrict)
            .order_by()
            .values("vendor_id")
            .union(
                Product.objects.filter(
                    Q(searchable=False) | Q(content_shielded=True) | ~Q(hidden_reason=""),
                    **restrict,
                )
                .order_by()
                .values("vendor_id"),
                Store.objects.filter(
                    Q(displayed=False) | Q(trading=False) | Q(closed=True), **restrict
                )
                .order_by()
                .values("vendor_id"),
                Vendor.objects.filter(
                    Q(can_publish=False) | Q(marketing_eligible=False),
                    **self.vendor_filter(vendor_ids, "pk"),
                )
                .order_by()
                .values("pk"),
            )
        )
        ids = {row["vendor_id"] for row in candidates} - skip
        if not ids:
            return []
        differences = state_differences(vendor_ids=ids, at=ctx.as_of)
        by_vendor: dict[int, dict[str, list[int]]] = {}
        for key, rows in differences.items():
            for pk, (vendor_id, _want) in rows.items():
                by_vendor.setdefault(vendor_id, {}).setdefault(key, []).append(pk)
        return [
            Action(
                kind="rederive",
                vendor_id=vendor_id,
                subject_type="vendor",
                subject_id=str(vendor_id),
                figures={**{k: sorted(v) for k, v in changed.items()}, "as_of": ctx.as_of},
                data={},
            )
            for vendor_id, changed in sorted(by_vendor.items())
        ]

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        by_id = {a.data["measure_id"]: a for a in actions if a.kind == "end"}
        stale = [a for a in actions if a.kind == "rederive"]
        ended = measures_lift_bulk(measure_ids=by_id, at=ctx.as_of, reason="ended", at_end=True)
        vendor_state_recompute(
            vendor_ids=[m.vendor_id for m in ended],
            at=ctx.as_of,
            actor=SWEEP_ACTOR,
            reason=f"{RULE_ID}: measure ended",
        )
        vendor_state_recompute(
            vendor_ids=[a.vendor_id for a in stale],
            at=ctx.as_of,
            actor=SWEEP_ACTOR,
            reason=f"{RULE_ID}: effective state re-derived from the measures in force",
        )
        rederived = [
            Outcome(
                outcome=EvaluationOutcome.RECORDED,
                vendor_id=a.vendor_id,
                subject_type="vendor",
                subject_id=a.subject_id,
                figures=a.figures,
                message="effective state re-derived from the measures in force",
                dedupe_key=f"{self.name}:rederived:{a.vendor_id}:{ctx.as_of.isoformat()}",
            )
            for a in stale
        ]
        labels = dict(MeasureKind.choices)
        return rederived + [
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
                    subject=ENDED_SUBJECT,
                    body=ENDED_BODY,
                    params={
                        "measure": labels.get(m.kind, m.kind),  # lazy: vendor's language
                        "starts_at": m.starts_at,
                        "ends_at": m.ends_at,
                    },
                ),
            )
            for m in ended
        ]
