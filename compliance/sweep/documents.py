"""MS-6.1.1: documents expired or expiring within 30 days are flagged; the vendor is told
once per document and threshold.

Current documents only (a replaced document is no longer checked). A document is "expired"
from the day after its `valid_until` (China days), "expiring" when `valid_until` falls within
`document_warning_days` (default 30). The dedupe key names the document, its `valid_until`
and the threshold, so a renewed validity gets its own warnings and a rerun none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from compliance.models import EvaluationOutcome, SweepRule
from compliance.sweep.base import Action, Notice, Outcome, Plan, Rule, SweepContext
from compliance.sweep.recording import taken_keys
from marketplace.timeutils import china_date, end_of_day
from vendors.models import Vendor, VendorDocument

RULE_ID = "MS-6.1.1"

# Notice templates: module constants, so each is translated once per language.
EXPIRED_SUBJECT = _("Document expired: %(document)s (MS-6.1.1)")
EXPIRED_BODY = _(
    'Your document "%(document)s" expired after %(date)s. Upload a '
    "valid replacement by %(due)s (within 30 days of the expiry)."
)
EXPIRING_SUBJECT = _("Document expiring: %(document)s (MS-6.1.1)")
EXPIRING_BODY = _(
    'Your document "%(document)s" is valid until %(date)s. Upload a renewed document before then.'
)
REPORT_WITHIN_DAYS = 30  # MS-6.1.1: a change or expiry is reported within 30 days


class DocumentExpiryRule(Rule):
    name = SweepRule.DOCUMENTS
    rule_id = RULE_ID

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        today = china_date(ctx.as_of)
        horizon = today + dt.timedelta(days=ctx.setting.document_warning_days)
        docs = list(
            VendorDocument.objects.filter(
                replaced_at__isnull=True,
                valid_until__isnull=False,
                valid_until__lte=horizon,
                **self.vendor_filter(vendor_ids),
            )
            .exclude(vendor__status__in=[Vendor.Status.EXITED, Vendor.Status.EVICTED])
            .values("pk", "vendor_id", "kind", "valid_until")
            .order_by("pk")
        )
        candidates = []
        for d in docs:
            threshold = "expired" if d["valid_until"] < today else "expiring"
            key = f"{self.name}:{d['pk']}:{d['valid_until'].isoformat()}:{threshold}"
            candidates.append(
                Action(
                    kind=threshold,
                    vendor_id=d["vendor_id"],
                    subject_type="vendor_document",
                    subject_id=str(d["pk"]),
                    figures={
                        "document_kind": d["kind"],
                        "valid_until": d["valid_until"],
                        "today": today,
                        "warning_days": ctx.setting.document_warning_days,
                        "threshold": threshold,
                    },
                    data={"key": key, "kind": d["kind"], "valid_until": d["valid_until"]},
                )
            )
        taken = taken_keys(a.data["key"] for a in candidates)
        actions = [a for a in candidates if a.data["key"] not in taken]
        return Plan(examined=len(docs), actions=actions)

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        kinds = dict(VendorDocument._meta.get_field("kind").flatchoices)
        outcomes = []
        for a in actions:
            valid_until: dt.date = a.data["valid_until"]
            params = {"document": kinds.get(a.data["kind"], a.data["kind"]), "date": valid_until}
            if a.kind == "expired":
                due = end_of_day(valid_until + dt.timedelta(days=REPORT_WITHIN_DAYS))
                notice = Notice(
                    subject=EXPIRED_SUBJECT,
                    body=EXPIRED_BODY,
                    params=params | {"due": due},
                    action_required_by=due,
                )
            else:
                due = end_of_day(valid_until)
                notice = Notice(
                    subject=EXPIRING_SUBJECT,
                    body=EXPIRING_BODY,
                    params=params,
                    action_required_by=due,
                )
            outcomes.append(
                Outcome(
                    outcome=EvaluationOutcome.FLAGGED,
                    vendor_id=a.vendor_id,
                    subject_type=a.subject_type,
                    subject_id=a.subject_id,
                    figures=a.figures,
                    flagged_to="reviewers",
                    message=a.kind,
                    dedupe_key=a.data["key"],
                    notice=notice,
                )
            )
        return outcomes
