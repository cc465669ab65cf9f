"""MS-3.1.5 ③: a deposit not topped up within 7 working days suspends the vendor.

An open `TopUpObligation` past its `due_at` (the end of the 7th working day after the
deduction, computed by `vendors` with the working calendar) brings the measures the settings
choose (default: suspend product display and suspend store trading; close store is the third
option the rule allows). They hold until the deposit is whole again, i.e. the vendor has no
open obligation left; the `deposit_made_whole` receiver lifts them at once, this rule lifts
them too as a safety net.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Count, Exists, Min, OuterRef, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from compliance.models import (
    AppliedMeasure,
    CauseType,
    EvaluationOutcome,
    MeasureKind,
    SweepRule,
)
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
from marketplace.money import to_money
from vendors.models import TopUpObligation

RULE_ID = "MS-3.1.5 ③"

# Notice templates: module constants, so each is translated once per language.
TAKEN_SUBJECT = _("Deposit not topped up: store measures taken (MS-3.1.5 ③)")
TAKEN_BODY = _(
    "Your deposit was not topped up by %(due_at)s (7 working days after "
    "the deduction). Measures now in force: %(measures)s. Top up "
    "¥%(amount)s as soon as possible: the measures are lifted as soon as "
    "your deposit is whole again."
)
LIFTED_SUBJECT = _("Deposit whole again: measures lifted (MS-3.1.5 ③)")
LIFTED_BODY = _(
    "Your deposit is whole again. The suspension measures taken because "
    "it was not topped up have been lifted. Nothing more is required."
)


class DepositTopUpRule(Rule):
    name = SweepRule.DEPOSIT_TOPUP
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        vf = self.vendor_filter(vendor_ids)
        # Query 1: overdue open obligations, aggregated per vendor.
        overdue = {
            row["vendor_id"]: row
            for row in TopUpObligation.objects.filter(
                closed_at__isnull=True, due_at__lt=ctx.as_of, **vf
            )
            .values("vendor_id")
            .annotate(
                first_id=Min("pk"),
                first_due=Min("due_at"),
                obligations=Count("pk"),
                amount=Sum("amount_due"),
            )
            .order_by()
        }
        # Query 2: this rule's unlifted measures, with whether the deposit is still short.
        open_obligation = TopUpObligation.objects.filter(
            vendor_id=OuterRef("vendor_id"), closed_at__isnull=True
        )
        measures = list(
            AppliedMeasure.objects.filter(
                cause_type=CauseType.DEPOSIT_TOPUP, lifted_at__isnull=True, **vf
            )
            .annotate(still_short=Exists(open_obligation))
            .values("pk", "vendor_id", "kind", "still_short")
        )
        kinds_by_vendor: dict[int, set[str]] = defaultdict(set)
        for m in measures:
            kinds_by_vendor[m["vendor_id"]].add(m["kind"])

        actions: list[Action] = []
        wanted = ctx.setting.deposit_measure_kinds()
        for vendor_id, row in sorted(overdue.items()):
            figures = {
                "obligation_id": row["first_id"],
                "due_at": row["first_due"],
                "open_overdue_obligations": row["obligations"],
                "amount_due": to_money(row["amount"]),
                "as_of": ctx.as_of,
                "measures_setting": wanted,
            }
            for kind in wanted:
                if kind not in kinds_by_vendor[vendor_id]:
                    actions.append(
                        Action(
                            kind="apply",
                            vendor_id=vendor_id,
                            subject_type="topup_obligation",
                            subject_id=str(row["first_id"]),
                            figures=figures,
                            data={"measure_kind": kind},
                        )
                    )
        for m in measures:
            if not m["still_short"]:
                actions.append(
                    Action(
                        kind="lift",
                        vendor_id=m["vendor_id"],
                        subject_type="applied_measure",
                        subject_id=str(m["pk"]),
                        figures={"open_obligations": 0, "as_of": ctx.as_of},
                        data={"measure_id": m["pk"], "measure_kind": m["kind"]},
                    )
                )
        examined = len(overdue.keys() | kinds_by_vendor.keys())
        return Plan(examined=examined, actions=actions)

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        reason = f"{RULE_ID}: deposit not topped up by its due date"
        applies = [a for a in actions if a.kind == "apply"]
        lifts = [a for a in actions if a.kind == "lift"]
        created = measures_create_bulk(
            measures=[
                AppliedMeasure(
                    vendor_id=a.vendor_id,
                    kind=a.data["measure_kind"],
                    cause_type=CauseType.DEPOSIT_TOPUP,
                    cause_id=a.subject_id,
                    starts_at=ctx.as_of,
                    reason=reason,
                )
                for a in applies
            ],
            reason=reason,
        )
        lift_reason = f"{RULE_ID}: deposit made whole"
        lifted = measures_lift_bulk(
            measure_ids=[a.data["measure_id"] for a in lifts], at=ctx.as_of, reason=lift_reason
        )
        vendor_state_recompute(
            vendor_ids=[m.vendor_id for m in created] + [m.vendor_id for m in lifted],
            at=ctx.as_of,
            actor=SWEEP_ACTOR,
            reason=reason if created else lift_reason,
        )
        outcomes: list[Outcome] = []
        notified: set[int] = set()
        # Per vendor, the labels of the measures taken (lazy: shown in the vendor's language).
        labels = dict(MeasureKind.choices)
        kinds_of: dict[int | None, list] = defaultdict(list)
        for a in applies:
            kinds_of[a.vendor_id].append(labels.get(a.data["measure_kind"], a.data["measure_kind"]))
        for action, measure in zip(applies, created, strict=True):
            notice = None
            if measure.vendor_id not in notified:
                notified.add(measure.vendor_id)
                kinds = kinds_of[measure.vendor_id]
                notice = Notice(
                    subject=TAKEN_SUBJECT,
                    body=TAKEN_BODY,
                    params={
                        "due_at": action.figures["due_at"],
                        "measures": format_lazy(", ".join(["{}"] * len(kinds)), *kinds),
                        "amount": action.figures["amount_due"],
                    },
                )
            outcomes.append(
                Outcome(
                    outcome=EvaluationOutcome.ACTED,
                    vendor_id=measure.vendor_id,
                    subject_type=action.subject_type,
                    subject_id=action.subject_id,
                    figures=action.figures,
                    measure_id=measure.pk,
                    measure_kind=measure.kind,
                    dedupe_key=f"{self.name}:acted:{measure.pk}",
                    notice=notice,
                )
            )
        notified.clear()
        for measure in lifted:
            notice = None
            if measure.vendor_id not in notified:
                notified.add(measure.vendor_id)
                notice = Notice(
                    subject=LIFTED_SUBJECT,
                    body=LIFTED_BODY,
                )
            outcomes.append(
                Outcome(
                    outcome=EvaluationOutcome.LIFTED,
                    vendor_id=measure.vendor_id,
                    subject_type="applied_measure",
                    subject_id=str(measure.pk),
                    figures={"open_obligations": 0, "as_of": ctx.as_of},
                    measure_id=measure.pk,
                    measure_kind=measure.kind,
                    dedupe_key=f"{self.name}:lifted:{measure.pk}",
                    notice=notice,
                )
            )
        return outcomes
