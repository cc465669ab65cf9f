"""MS-4.2: SaaS delivery failures hide the product, then all SaaS products, then delist them.

- A failure hides its product at once (`hide_product`, cause `saas_delivery`, cause_id the
  failure): the `saas_delivery_failed` receiver does it on the spot, this rule re-derives it.
- 7 days after a failure still unrepaired (ASSUMPTION in RULES: calendar days counted from
  the failure, i.e. `failed_at + 7 × 24 h`): `hide_saas_products` for the vendor.
- 30 days: `delist_saas_products`, a one-shot measure that delists every listed SaaS product
  through catalog's service when it comes into force (`measures_execute_due` carries it out).
- When every failure of the vendor is repaired, all this cause's measures are lifted:
  hidden products are shown again unless another measure hides them (the recompute composes
  overlays); delisted products stay delisted until relisted through security review.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import CharField, Count, Exists, Min, OuterRef
from django.db.models.functions import Cast
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
    measures_execute_due,
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
from orders.models import DeliveryFailure

RULE_ID = "MS-4.2"

# Notice templates: module constants, so each is translated once per language.
REPAIRED_SUBJECT = _("Delivery failures repaired: products shown again (MS-4.2)")
REPAIRED_BODY = _(
    "Every SaaS delivery failure of yours is repaired. Products hidden "
    "because of them are shown again (unless another measure hides them). "
    "Products that were delisted stay delisted: submit them for security "
    "review to list them again."
)
HIDDEN_SUBJECT = _("Delivery failed: product hidden (MS-4.2)")
HIDDEN_BODY = _(
    "The delivery of an order of product #%(product)s failed on %(failed_at)s. "
    "The product is hidden from search until you repair the delivery. If it "
    "is not repaired by %(deadline)s, all your SaaS products are hidden; "
    "after %(delist_days)s days they are delisted."
)
HIDE_ALL_SUBJECT = _("Delivery failure not repaired: all SaaS products hidden (MS-4.2)")
HIDE_ALL_BODY = _(
    "A SaaS delivery failure of %(failed_at)s is still not repaired after "
    "%(days)s days, so all your SaaS-delivered products are hidden. Repair "
    "every failure by %(deadline)s, or all of them will be delisted."
)
DELIST_ALL_SUBJECT = _("Delivery failure not repaired: all SaaS products delisted (MS-4.2)")
DELIST_ALL_BODY = _(
    "A SaaS delivery failure of %(failed_at)s is still not repaired after %(days)s "
    "days, so all your SaaS-delivered products are delisted. Repair every failure, "
    "then submit the products for security review to list them again."
)


class SaasDeliveryRule(Rule):
    name = SweepRule.SAAS_DELIVERY
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        vf = self.vendor_filter(vendor_ids)
        hide_after = dt.timedelta(days=ctx.setting.saas_hide_all_days)
        delist_after = dt.timedelta(days=ctx.setting.saas_delist_all_days)
        open_failures = DeliveryFailure.objects.filter(
            repaired_at__isnull=True, failed_at__lte=ctx.as_of, **vf
        )
        # Query 1: per vendor, the oldest open failure.
        per_vendor = {
            row["vendor_id"]: row
            for row in open_failures.values("vendor_id")
            .annotate(oldest=Min("failed_at"), first_id=Min("pk"), failures=Count("pk"))
            .order_by()
        }
        # Query 2: open failures whose product is not hidden for them yet (safety net).
        hidden = AppliedMeasure.objects.filter(
            cause_type=CauseType.SAAS_DELIVERY,
            kind=MeasureKind.HIDE_PRODUCT,
            lifted_at__isnull=True,
            cause_id=Cast(OuterRef("pk"), output_field=CharField()),
        )
        unhidden = list(
            open_failures.annotate(hidden=Exists(hidden))
            .filter(hidden=False)
            .values("pk", "vendor_id", "product_id", "failed_at")
            .order_by("pk")
        )
        # Query 3: this cause's unlifted measures in force by `as_of`. One a receiver took
        # after it (for a failure reported after `as_of`, which this run does not see) is
        # not this run's to judge: it would be lifted as if every failure were repaired.
        measures = list(
            AppliedMeasure.objects.filter(
                cause_type=CauseType.SAAS_DELIVERY,
                lifted_at__isnull=True,
                starts_at__lte=ctx.as_of,
                **vf,
            ).values("pk", "vendor_id", "kind")
        )
        kinds_by_vendor: dict[int, set[str]] = defaultdict(set)
        for m in measures:
            kinds_by_vendor[m["vendor_id"]].add(m["kind"])

        actions: list[Action] = []
        for f in unhidden:
            actions.append(
                Action(
                    kind=MeasureKind.HIDE_PRODUCT,
                    vendor_id=f["vendor_id"],
                    subject_type="delivery_failure",
                    subject_id=str(f["pk"]),
                    figures={"failure_id": f["pk"], "failed_at": f["failed_at"]},
                    data={"product_id": f["product_id"], "failed_at": f["failed_at"]},
                )
            )
        for vendor_id, row in sorted(per_vendor.items()):
            elapsed = ctx.as_of - row["oldest"]
            figures = {
                "oldest_failure_id": row["first_id"],
                "oldest_failed_at": row["oldest"],
                "open_failures": row["failures"],
                "days_elapsed": str(round(elapsed.total_seconds() / 86400, 2)),
                "hide_all_after_days": ctx.setting.saas_hide_all_days,
                "delist_all_after_days": ctx.setting.saas_delist_all_days,
                "as_of": ctx.as_of,
            }
            for kind, after in (
                (MeasureKind.HIDE_SAAS_PRODUCTS, hide_after),
                (MeasureKind.DELIST_SAAS_PRODUCTS, delist_after),
            ):
                if elapsed >= after and kind not in kinds_by_vendor[vendor_id]:
                    actions.append(
                        Action(
                            kind=kind,
                            vendor_id=vendor_id,
                            subject_type="delivery_failure",
                            subject_id=str(row["first_id"]),
                            figures=figures,
                            data={"oldest": row["oldest"]},
                        )
                    )
        for m in measures:
            if m["vendor_id"] not in per_vendor:
                actions.append(
                    Action(
                        kind="lift",
                        vendor_id=m["vendor_id"],
                        subject_type="applied_measure",
                        subject_id=str(m["pk"]),
                        figures={"open_failures": 0, "as_of": ctx.as_of},
                        data={"measure_id": m["pk"]},
                    )
                )
        return Plan(examined=len(per_vendor.keys() | kinds_by_vendor.keys()), actions=actions)

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        reason = f"{RULE_ID}: SaaS delivery failure not repaired"
        applies = [a for a in actions if a.kind != "lift"]
        created = measures_create_bulk(
            measures=[
                AppliedMeasure(
                    vendor_id=a.vendor_id,
                    kind=a.kind,
                    product_id=a.data.get("product_id"),
                    cause_type=CauseType.SAAS_DELIVERY,
                    cause_id=a.subject_id,
                    starts_at=ctx.as_of,
                    reason=reason,
                )
                for a in applies
            ],
            reason=reason,
        )
        lift_reason = f"{RULE_ID}: every delivery failure of the vendor repaired"
        lifted = measures_lift_bulk(
            measure_ids=[a.data["measure_id"] for a in actions if a.kind == "lift"],
            at=ctx.as_of,
            reason=lift_reason,
        )
        vendor_ids = [m.vendor_id for m in created] + [m.vendor_id for m in lifted]
        # delist_saas_products is one-shot: carried out through catalog's service.
        measures_execute_due(vendor_ids=vendor_ids, at=ctx.as_of, actor=SWEEP_ACTOR)
        vendor_state_recompute(
            vendor_ids=vendor_ids,
            at=ctx.as_of,
            actor=SWEEP_ACTOR,
            reason=reason if created else lift_reason,
        )
        outcomes = [
            Outcome(
                outcome=EvaluationOutcome.ACTED,
                vendor_id=m.vendor_id,
                subject_type=a.subject_type,
                subject_id=a.subject_id,
                figures=a.figures,
                measure_id=m.pk,
                measure_kind=m.kind,
                dedupe_key=f"{self.name}:acted:{m.pk}",
                notice=self._notice_for(m.kind, a, ctx),
            )
            for a, m in zip(applies, created, strict=True)
        ]
        notified: set[int] = set()
        for m in lifted:
            notice = None
            if m.vendor_id not in notified:
                notified.add(m.vendor_id)
                notice = Notice(
                    subject=REPAIRED_SUBJECT,
                    body=REPAIRED_BODY,
                )
            outcomes.append(
                Outcome(
                    outcome=EvaluationOutcome.LIFTED,
                    vendor_id=m.vendor_id,
                    subject_type="applied_measure",
                    subject_id=str(m.pk),
                    figures={"open_failures": 0, "as_of": ctx.as_of},
                    measure_id=m.pk,
                    measure_kind=m.kind,
                    dedupe_key=f"{self.name}:lifted:{m.pk}",
                    notice=notice,
                )
            )
        return outcomes

    def _notice_for(self, kind: str, action: Action, ctx: SweepContext) -> Notice:
        if kind == MeasureKind.HIDE_PRODUCT:
            failed_at = action.data["failed_at"]
            return Notice(
                subject=HIDDEN_SUBJECT,
                body=HIDDEN_BODY,
                params={
                    "product": action.data["product_id"],
                    "failed_at": failed_at,
                    "deadline": failed_at + dt.timedelta(days=ctx.setting.saas_hide_all_days),
                    "delist_days": ctx.setting.saas_delist_all_days,
                },
                action_required_by=failed_at + dt.timedelta(days=ctx.setting.saas_hide_all_days),
            )
        oldest = action.data["oldest"]
        if kind == MeasureKind.HIDE_SAAS_PRODUCTS:
            deadline = oldest + dt.timedelta(days=ctx.setting.saas_delist_all_days)
            return Notice(
                subject=HIDE_ALL_SUBJECT,
                body=HIDE_ALL_BODY,
                params={
                    "failed_at": oldest,
                    "days": ctx.setting.saas_hide_all_days,
                    "deadline": deadline,
                },
                action_required_by=deadline,
            )
        return Notice(
            subject=DELIST_ALL_SUBJECT,
            body=DELIST_ALL_BODY,
            params={"failed_at": oldest, "days": ctx.setting.saas_delist_all_days},
        )
