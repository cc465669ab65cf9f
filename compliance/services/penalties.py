"""Penalty cases (MS-7): report, confirm or dismiss, apply the table's measures (with a second
approver for evict, ban and deductions), add or lift measures, appeal, uphold, revoke, close.

Every write locks the case row first, so a retried click or two reviewers at once cannot
apply a case twice: the second caller waits for the lock, then finds the case applied and
changes nothing. Every action appends a `CaseEvent` (who, when, why, before → after).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from compliance.models import (
    EVICTING_KINDS,
    HIDE_ALL_PRODUCTS,
    ONE_SHOT_KINDS,
    PRODUCT_KINDS,
    SAAS_PRODUCTS_KINDS,
    SECOND_APPROVAL_KINDS,
    AppliedMeasure,
    CaseEvent,
    CaseEvidence,
    CaseSource,
    CaseStatus,
    CauseType,
    MeasureKind,
    PenaltyCase,
    ViolationType,
)
from compliance.services.effects import deduction_reverse
from compliance.services.measures import (
    measure_apply,
    measure_approve,
    measure_lift,
    measures_execute_due,
    vendor_state_recompute,
)
from marketplace.audit import save_audited
from marketplace.exceptions import PermissionDenied, StateConflict, ValidationFailed
from marketplace.money import to_money
from marketplace.service_helpers import (
    lock_in_pk_order,
    lock_row,
    require_perm,
    require_reason,
    run_transition,
    transition_allowed,
)
from marketplace.timeutils import china_date
from vendors.models import Vendor
from vendors.validators import validate_document_file

PERM_CONFIRM = "compliance.confirm_penaltycase"
PERM_APPLY = "compliance.apply_penaltycase"
PERM_APPROVE = "compliance.approve_penaltycase"
PERM_DECIDE = "compliance.decide_appeal"


@dataclass(frozen=True)
class ExtraMeasure:
    """A measure a reviewer adds beyond the table's row (MS-7.2, annex note)."""

    kind: str
    days: int | None = None
    amount: Decimal | None = None
    product: Product | None = None


@dataclass
class PlannedMeasure:
    """What applying will do, shown on the confirmation page before anything is written."""

    kind: str
    product: Product | None
    days: int | None
    amount: Decimal | None
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    needs_approval: bool  # the kind needs a second approver (evict, ban, deduction)
    # Created waiting for the second approver, without effect until then. Applying a case
    # makes every measure wait when one needs approval (`penalty_apply_plan`).
    waits: bool = False
    extra: bool = False
    skipped: str = ""
    affected_products: list[Product] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(MeasureKind(self.kind).label)


# --- helpers -------------------------------------------------------------------------------


def _lock(case: PenaltyCase | int) -> PenaltyCase:
    pk = case.pk if isinstance(case, PenaltyCase) else case
    return lock_row(PenaltyCase, pk)


def _event(
    case: PenaltyCase,
    *,
    action: str,
    actor: Any,
    reason: str,
    before: str,
    at: dt.datetime | None = None,
    details: dict | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at or timezone.now(),
        reason=reason,
        from_status=before,
        to_status=case.status,
        details=details or {},
    )


def _measure_summary(measure: AppliedMeasure) -> dict[str, Any]:
    return {
        "id": measure.pk,
        "kind": measure.kind,
        "product": measure.product_id,
        "starts_at": measure.starts_at.isoformat(),
        "ends_at": measure.ends_at.isoformat() if measure.ends_at else None,
        "amount": str(measure.amount) if measure.amount is not None else None,
        "awaiting_approval": measure.awaiting_approval,
    }


def case_problems(
    *,
    reference: str | None,
    vendor_id: int | None,
    violation: ViolationType | None,
    occurred_at: dt.datetime | None,
    product_vendor_id: int | None = None,
    versions: Sequence[tuple[dt.date, int]] | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[ValidationFailed], Any]:
    """The one validation of a reported case's facts, for the admin form, `case_create` and
    the import: every problem found, as domain errors with their codes (in this order:
    `reference_required`, `violation_retired`, `future`, `product_vendor`, `no_version`), and
    the violation's version in force on the China day of the conduct (MS-9.2): the row, or
    the id when the caller gave `versions`.

    A fact given as None is not checked (it is missing or unreadable and its own field says
    so). `versions`: the violation's (effective from, id), newest first, when the caller has
    them (the import fetches them once per file); else the table is read (one query).
    """
    problems: list[ValidationFailed] = []
    if reference is not None and not reference.strip():
        problems.append(
            ValidationFailed(_("A case reference is required."), code="reference_required")
        )
    if violation is not None and violation.retired:
        problems.append(
            ValidationFailed(
                _("Violation %(violation)s is retired and cannot be used."),
                code="violation_retired",
                violation=violation.code,
            )
        )
        violation = None  # no version to look for
    if occurred_at is not None and occurred_at > (now or timezone.now()):
        problems.append(
            ValidationFailed(_("The conduct cannot have happened in the future."), code="future")
        )
        occurred_at = None
    if product_vendor_id is not None and vendor_id is not None and product_vendor_id != vendor_id:
        problems.append(
            ValidationFailed(
                _("The product does not belong to this vendor."), code="product_vendor"
            )
        )
    version = None
    if violation is not None and occurred_at is not None:
        day = china_date(occurred_at)
        if versions is None:
            version = violation.version_on(day)
        else:
            version = next((pk for start, pk in versions if start <= day), None)
        if version is None:
            problems.append(
                ValidationFailed(
                    _("The violation table has no version of %(violation)s in force on %(day)s."),
                    code="no_version",
                    violation=violation.code,
                    day=day.isoformat(),
                )
            )
    return problems, version


# --- report ---------------------------------------------------------------------------------


def case_create(
    *,
    reference: str,
    vendor: Vendor,
    violation: ViolationType,
    occurred_at: dt.datetime,
    description: str,
    reporter: str,
    product: Product | None = None,
    content: str = "",
    evidence_url: str = "",
    source: str = CaseSource.ADMIN,
    actor: Any,
    reason: str = "",
) -> PenaltyCase:
    """Record a reported case. It waits for a reviewer; nothing is applied."""
    reference = (reference or "").strip()
    problems, version = case_problems(
        reference=reference,
        vendor_id=vendor.pk,
        violation=violation,
        occurred_at=occurred_at,
        product_vendor_id=product.vendor_id if product is not None else None,
    )
    if problems:
        raise problems[0]
    with transaction.atomic():
        if PenaltyCase.objects.filter(reference=reference).exists():
            raise StateConflict(
                _("A case with reference %(reference)s already exists."),
                code="reference_exists",
                reference=reference,
            )
        case = PenaltyCase(
            reference=reference,
            vendor=vendor,
            violation=violation,
            violation_version=version,
            product=product,
            content=content,
            occurred_at=occurred_at,
            description=description,
            evidence_url=evidence_url,
            reporter=reporter,
            source=source,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        why = reason or str(_("Case reported"))
        save_audited(case, actor=actor, reason=why)
        _event(case, action="report", actor=actor, reason=why, before="")
    return case


def penalty_confirm(*, case: PenaltyCase, actor: Any, reason: str) -> PenaltyCase:
    """A reviewer finds the report true (MS-7.1 认定属实)."""
    reason = require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        before = case.status
        run_transition(case, "confirm", actor=actor)
        case.decision_reason = reason
        save_audited(case, actor=actor, reason=reason, update_fields=["status", "decision_reason"])
        _event(case, action="confirm", actor=actor, reason=reason, before=before)
    return case


def penalty_dismiss(*, case: PenaltyCase, actor: Any, reason: str) -> PenaltyCase:
    reason = require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        before = case.status
        run_transition(case, "dismiss", actor=actor)
        case.decision_reason = reason
        save_audited(case, actor=actor, reason=reason, update_fields=["status", "decision_reason"])
        _event(case, action="dismiss", actor=actor, reason=reason, before=before)
    return case


# --- apply ----------------------------------------------------------------------------------


def _check_extra(extra: ExtraMeasure, case: PenaltyCase) -> None:
    if extra.kind not in MeasureKind.values:
        raise ValidationFailed(_("Unknown measure kind."), code="unknown_measure")
    if extra.days is not None and extra.days <= 0:
        raise ValidationFailed(_("The number of days must be positive."), code="days")
    if extra.kind == MeasureKind.DEDUCT_DEPOSIT and (
        extra.amount is None or to_money(extra.amount) <= 0
    ):
        raise ValidationFailed(_("A deduction needs a positive amount."), code="amount")
    product = extra.product or case.product
    if extra.kind in PRODUCT_KINDS - {MeasureKind.SHIELD_CONTENT} and product is None:
        raise ValidationFailed(_("This measure needs a product."), code="product_required")
    if product is not None and product.vendor_id != case.vendor_id:
        raise ValidationFailed(
            _("The product does not belong to this vendor."), code="product_vendor"
        )


def penalty_plan(
    *, case: PenaltyCase, extra: Sequence[ExtraMeasure] = (), at: dt.datetime | None = None
) -> list[PlannedMeasure]:
    """The measures applying `case` would create: the row's (as in force when the conduct
    happened, MS-9.2) plus the reviewer's extras (MS-7.2). Reads only."""
    start = at or timezone.now()
    rows: list[tuple[str, int | None, Decimal | None, Product | None, bool]] = [
        (m.kind, m.duration_days, m.amount, None, False)
        for m in case.violation_version.measures.all()
    ]
    for item in extra:
        _check_extra(item, case)
        rows.append(
            (
                item.kind,
                item.days,
                to_money(item.amount) if item.amount is not None else None,
                item.product,
                True,
            )
        )
    plan = []
    for kind, days, amount, product, is_extra in rows:
        target = (product or case.product) if kind in PRODUCT_KINDS else None
        item = PlannedMeasure(
            kind=kind,
            product=target,
            days=days,
            amount=amount if kind == MeasureKind.DEDUCT_DEPOSIT else None,
            starts_at=start,
            ends_at=start + dt.timedelta(days=days) if days else None,
            needs_approval=kind in SECOND_APPROVAL_KINDS,
            waits=kind in SECOND_APPROVAL_KINDS,
            extra=is_extra,
        )
        if kind == MeasureKind.DELIST_PRODUCT and target is None:
            item.skipped = str(_("No product is concerned: nothing to delist."))
        item.affected_products = _affected_products(case, kind, target)
        plan.append(item)
    return plan


@dataclass
class ApplyPlan:
    """What `penalty_apply` will create, and which of it takes effect at once."""

    measures: list[PlannedMeasure]

    @property
    def waits(self) -> bool:
        return any(item.waits for item in self.measures)


def penalty_apply_plan(
    *, case: PenaltyCase, extra: Sequence[ExtraMeasure] = (), at: dt.datetime | None = None
) -> ApplyPlan:
    """The plan `penalty_apply` carries out, for its preview too (one function, so the page
    cannot promise what applying does not do). MS-7 / MS-8.3: when any measure is an evict,
    ban or deduction, the penalty is one decision for the second approver: every measure of
    the case waits with it, and nothing takes effect before the approval."""
    plan = penalty_plan(case=case, extra=extra, at=at)
    waits = any(item.needs_approval and not item.skipped for item in plan)
    for item in plan:
        item.waits = waits and not item.skipped
    return ApplyPlan(measures=plan)


def _affected_products(case: PenaltyCase, kind: str, product: Product | None) -> list[Product]:
    if kind in PRODUCT_KINDS:
        return [product] if product is not None else []
    if kind in HIDE_ALL_PRODUCTS:
        return list(Product.objects.filter(vendor_id=case.vendor_id).order_by("pk"))
    if kind in SAAS_PRODUCTS_KINDS:
        return list(
            Product.objects.filter(vendor_id=case.vendor_id, saas_delivered=True).order_by("pk")
        )
    return []


def _create_measures(
    case: PenaltyCase,
    plan: Iterable[PlannedMeasure],
    *,
    actor: Any,
    reason: str,
) -> list[AppliedMeasure]:
    created = []
    for item in plan:
        if item.skipped:
            continue
        created.append(
            measure_apply(
                vendor=case.vendor,
                kind=item.kind,
                product=item.product,
                cause_type=CauseType.PENALTY,
                cause_id=case.reference,
                penalty_case=case,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                amount=item.amount,
                awaiting_approval=item.waits,
                actor=actor,
                reason=reason,
                recompute=False,
            )
        )
    return created


def penalty_apply(
    *,
    case: PenaltyCase,
    actor: Any,
    reason: str,
    extra: Sequence[ExtraMeasure] = (),
    extra_reason: str = "",
    at: dt.datetime | None = None,
) -> PenaltyCase:
    """Apply a confirmed case: create its measures and bring their effects into force.

    If any measure is an evict, ban or deduction, all the case's measures are created waiting
    for a second approver and the case waits in the approval queue (status pending_approval).
    Idempotent: a case already applied or waiting is returned unchanged.
    """
    reason = require_reason(reason)
    if extra and not (extra_reason or "").strip():
        raise ValidationFailed(
            _("Measures beyond the table's need their own reason (MS-7.2)."),
            code="extra_reason_required",
        )
    require_perm(actor, PERM_APPLY)
    moment = at or timezone.now()
    with transaction.atomic():
        case = _lock(case)
        if case.status in (CaseStatus.PENDING_APPROVAL, CaseStatus.APPLIED):
            return case  # a retried click or a concurrent twin: applied once only
        before = case.status
        plan = penalty_apply_plan(case=case, extra=extra, at=moment)
        needs_approval = plan.waits
        extra_label = _("extra measures")  # not inside the f-string: makemessages finds it
        why = reason if not extra else f"{reason} / {extra_label!s}: {extra_reason}"
        run_transition(case, "propose" if needs_approval else "apply", actor=actor)
        measures = _create_measures(case, plan.measures, actor=actor, reason=why)
        case.decision_reason = why
        if needs_approval:
            case.proposed_by = actor if getattr(actor, "pk", None) else None
            case.proposed_at = moment
            fields = ["status", "decision_reason", "proposed_by", "proposed_at"]
        else:
            case.applied_at = moment
            fields = ["status", "decision_reason", "applied_at"]
            measures_execute_due(vendor_ids=[case.vendor_id], at=moment, actor=actor)
            vendor_state_recompute(
                vendor_ids=[case.vendor_id], at=moment, actor=actor, reason=f"{case}: {why}"
            )
        save_audited(case, actor=actor, reason=why, update_fields=fields)
        _event(
            case,
            action="propose" if needs_approval else "apply",
            actor=actor,
            reason=why,
            before=before,
            at=moment,
            details={
                "measures": [_measure_summary(m) for m in measures],
                "extra_reason": extra_reason,
                "table_version": case.violation_version_id,
            },
        )
    return case


def penalty_approve(*, case: PenaltyCase, actor: Any, reason: str) -> PenaltyCase:
    """Second approval (evict, ban, deduction): a compliance lead other than the proposer.

    Approves every measure of the case that waits, and applies the case if it was waiting.
    """
    reason = require_reason(reason)
    require_perm(actor, PERM_APPROVE)
    with transaction.atomic():
        case = _lock(case)
        waiting = list(
            case.measures.filter(awaiting_approval=True, lifted_at__isnull=True).order_by("pk")
        )
        if not waiting:
            return case  # approved already
        if any(m.created_by_id == getattr(actor, "pk", None) for m in waiting):
            raise PermissionDenied(
                _("The second approver must be another compliance lead than the proposer."),
                code="same_approver",
            )
        before = case.status
        approved = [
            measure_approve(measure=m, actor=actor, reason=reason, recompute=False) for m in waiting
        ]
        measures_execute_due(vendor_ids=[case.vendor_id], actor=actor)
        vendor_state_recompute(vendor_ids=[case.vendor_id], actor=actor, reason=f"{case}: {reason}")
        fields = ["decision_reason"]
        if case.status == CaseStatus.PENDING_APPROVAL:
            case.apply()
            case.applied_at = timezone.now()
            fields += ["status", "applied_at"]
        case.decision_reason = reason
        save_audited(case, actor=actor, reason=reason, update_fields=fields)
        _event(
            case,
            action="approve",
            actor=actor,
            reason=reason,
            before=before,
            details={"measures": [_measure_summary(m) for m in approved]},
        )
    return case


def penalty_reject(*, case: PenaltyCase, actor: Any, reason: str) -> PenaltyCase:
    """The second approver refuses: the waiting measures are dropped; a waiting case goes
    back to confirmed for the reviewer to decide again."""
    reason = require_reason(reason)
    require_perm(actor, PERM_APPROVE)
    with transaction.atomic():
        case = _lock(case)
        waiting = list(case.measures.filter(awaiting_approval=True, lifted_at__isnull=True))
        if not waiting:
            raise StateConflict(_("Nothing waits for approval on this case."), code="no_proposal")
        before = case.status
        for measure in waiting:
            measure_lift(measure=measure, actor=actor, reason=reason, recompute=False)
        fields = ["decision_reason"]
        if case.status == CaseStatus.PENDING_APPROVAL:
            case.reject_proposal()
            fields.append("status")
        case.decision_reason = reason
        save_audited(case, actor=actor, reason=reason, update_fields=fields)
        _event(
            case,
            action="reject",
            actor=actor,
            reason=reason,
            before=before,
            details={"measures": [m.pk for m in waiting]},
        )
    return case


def penalty_measure_add(
    *,
    case: PenaltyCase,
    extra: ExtraMeasure,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
) -> AppliedMeasure:
    """Add a measure to an applied case for severity (MS-7.2); evict, ban and deductions wait
    for the second approver."""
    reason = require_reason(reason)
    require_perm(actor, PERM_APPLY)
    moment = at or timezone.now()
    with transaction.atomic():
        case = _lock(case)
        if case.status not in PenaltyCase.IN_FORCE:
            raise StateConflict(
                _("Measures can be added only to an applied case; apply it first."),
                code="case_state",
            )
        (item,) = penalty_plan(case=case, extra=[extra], at=moment)[-1:]
        if item.skipped:
            raise ValidationFailed(item.skipped, code="product_required")
        (measure,) = _create_measures(case, [item], actor=actor, reason=reason)
        if not item.waits:
            measures_execute_due(vendor_ids=[case.vendor_id], at=moment, actor=actor)
            vendor_state_recompute(
                vendor_ids=[case.vendor_id], at=moment, actor=actor, reason=f"{case}: {reason}"
            )
        _event(
            case,
            action="add_measure",
            actor=actor,
            reason=reason,
            before=case.status,
            details={"measures": [_measure_summary(measure)]},
        )
    return measure


def lift_needs_lead(measure: AppliedMeasure) -> bool:
    """MS-8.3 / MS-7: lifting a proposal that waits for its second approver, or an evict, ban
    or deposit deduction (carried out or not), is the compliance lead's decision."""
    return measure.awaiting_approval or measure.kind in SECOND_APPROVAL_KINDS


def _require_lift_perm(actor: Any, measure: AppliedMeasure) -> None:
    require_perm(actor, PERM_APPLY)
    if actor is not None and lift_needs_lead(measure) and not actor.has_perm(PERM_APPROVE):
        raise PermissionDenied(
            _(
                "Only a compliance lead may lift a measure that waits for approval, or an "
                "eviction, a ban or a deposit deduction."
            ),
            code="lift_needs_lead",
        )


def penalty_measure_lift(*, measure: AppliedMeasure, actor: Any, reason: str) -> AppliedMeasure:
    """Lift one measure of a case early; other measures, of this or other causes, stay.

    A case waiting for its second approver whose last waiting measure is lifted goes back to
    "confirmed" (as a refused proposal would): it is never left waiting with nothing to
    approve.
    """
    reason = require_reason(reason)
    _require_lift_perm(actor, measure)
    with transaction.atomic():
        # The case first, then the measure: the order penalty_approve / penalty_reject use.
        case = _lock(measure.penalty_case_id) if measure.penalty_case_id else None
        locked = lock_row(AppliedMeasure, measure.pk)
        _require_lift_perm(actor, locked)  # it may have changed since the page was shown
        if locked.lifted_at is not None:
            return locked
        was_waiting = locked.awaiting_approval
        lifted = measure_lift(measure=locked, actor=actor, reason=reason)
        if case is not None:
            before = case.status
            if (
                was_waiting
                and case.status == CaseStatus.PENDING_APPROVAL
                and not case.measures.filter(
                    awaiting_approval=True, lifted_at__isnull=True
                ).exists()
            ):
                case.reject_proposal()
                case.decision_reason = reason
                save_audited(
                    case, actor=actor, reason=reason, update_fields=["status", "decision_reason"]
                )
            _event(
                case,
                action="lift_measure",
                actor=actor,
                reason=reason,
                before=before,
                details={"measures": [_measure_summary(lifted)]},
            )
    return lifted


# --- appeal ---------------------------------------------------------------------------------


def penalty_appeal(
    *,
    case: PenaltyCase,
    statement: str,
    actor: Any,
    evidence_urls: Sequence[str] = (),
    evidence_files: Sequence[Any] = (),
) -> PenaltyCase:
    """The vendor appeals an applied case with a statement and evidence. The caller has
    scoped `case` to the actor's vendor (`compliance.selectors.case_for_vendor`)."""
    statement = (statement or "").strip()
    if not statement:
        raise ValidationFailed(_("An appeal needs a statement."), code="statement_required")
    _check_evidence_files(evidence_files)
    saved: list[str] = []
    # A file is written to storage before its row: if the appeal fails after that, the files
    # written so far are deleted so no orphan stays in media.
    try:
        return _appeal(case, statement, actor, evidence_urls, evidence_files, saved)
    except Exception:
        for name in saved:
            CaseEvidence._meta.get_field("file").storage.delete(name)
        raise


def _check_evidence_files(uploads: Sequence[Any]) -> None:
    """Issue 8 §4: evidence files are the document types of MS-3.1.3 (PDF, JPG, PNG, checked
    by content, same size limit), refused before anything is written."""
    for upload in uploads:
        try:
            validate_document_file(upload)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                "%(name)s: %(text)s",
                code="evidence_file",
                name=getattr(upload, "name", ""),
                text=" ".join(exc.messages),
            ) from exc


def _appeal(
    case: PenaltyCase,
    statement: str,
    actor: Any,
    evidence_urls: Sequence[str],
    evidence_files: Sequence[Any],
    saved: list[str],
) -> PenaltyCase:
    with transaction.atomic():
        case = _lock(case)
        before = case.status
        run_transition(case, "appeal", actor=None)
        case.appeal_statement = statement
        case.appealed_at = timezone.now()
        save_audited(
            case,
            actor=actor,
            reason=statement,
            update_fields=["status", "appeal_statement", "appealed_at"],
        )
        for url in evidence_urls:
            if url:
                save_audited(
                    CaseEvidence(case=case, kind=CaseEvidence.Kind.APPEAL, url=url, added_by=actor),
                    actor=actor,
                    reason=statement,
                )
        for upload in evidence_files:
            evidence = CaseEvidence(case=case, kind=CaseEvidence.Kind.APPEAL, added_by=actor)
            evidence.file.save(upload.name, upload, save=False)
            saved.append(evidence.file.name)
            save_audited(evidence, actor=actor, reason=statement)
        _event(case, action="appeal", actor=actor, reason=statement, before=before)
    return case


def penalty_uphold(*, case: PenaltyCase, actor: Any, reason: str) -> PenaltyCase:
    """The appeal is rejected: the penalty stands, its measures run on."""
    reason = require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        before = case.status
        run_transition(case, "uphold", actor=actor)
        case.decision_reason = reason
        save_audited(case, actor=actor, reason=reason, update_fields=["status", "decision_reason"])
        _event(case, action="uphold", actor=actor, reason=reason, before=before)
    return case


def penalty_revoke(*, case: PenaltyCase, actor: Any, reason: str) -> PenaltyCase:
    """Revoke a penalty: lift its measures, give back its deposit deductions with reversing
    ledger entries (MS-3.1.5), and re-derive the vendor's state. An eviction cannot be undone
    here (MS-8.3 bans for ever); the event records that it stays."""
    reason = require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        before = case.status
        run_transition(case, "revoke", actor=actor)
        lifted, reversed_refs, kept = [], [], []
        for measure in lock_in_pk_order(case.measures.all()):
            if measure.kind == MeasureKind.DEDUCT_DEPOSIT and measure.executed_at:
                try:
                    reversed_refs.append(
                        deduction_reverse(measure=measure, actor=actor, reason=reason)
                    )
                except StateConflict as exc:
                    if exc.code != "entry_reversed":
                        raise
            if measure.kind in EVICTING_KINDS and measure.executed_at:
                kept.append(measure.pk)
            if measure.lifted_at is None:
                measure_lift(measure=measure, actor=actor, reason=reason, recompute=False)
                lifted.append(measure.pk)
        vendor_state_recompute(vendor_ids=[case.vendor_id], actor=actor, reason=f"{case}: {reason}")
        case.decision_reason = reason
        save_audited(case, actor=actor, reason=reason, update_fields=["status", "decision_reason"])
        _event(
            case,
            action="revoke",
            actor=actor,
            reason=reason,
            before=before,
            details={"lifted": lifted, "reversals": reversed_refs, "eviction_stays": kept},
        )
    return case


# --- closing --------------------------------------------------------------------------------


def open_measures_q(at: dt.datetime) -> Q:
    """Measures that still have something to run at `at`: waiting for approval, timed and not
    yet ended, or a one-shot act not yet carried out."""
    return Q(lifted_at__isnull=True) & (
        Q(awaiting_approval=True)
        | Q(ends_at__gt=at)
        | Q(kind__in=ONE_SHOT_KINDS, executed_at__isnull=True)
    )


def penalty_cases_due_to_close(*, at: dt.datetime, vendor_ids=None):
    """Applied or upheld cases none of whose measures is still running at `at` (one query)."""
    open_measures = AppliedMeasure.objects.filter(open_measures_q(at), penalty_case=OuterRef("pk"))
    due = PenaltyCase.objects.filter(status__in=[CaseStatus.APPLIED, CaseStatus.UPHELD]).exclude(
        Exists(open_measures)
    )
    if vendor_ids is not None:
        due = due.filter(vendor_id__in=list(vendor_ids))
    return due.order_by("pk")


def penalty_case_close(*, case_id: int, at: dt.datetime, actor: Any = None) -> bool:
    """Close one case whose measures have all run their course; False when it is not due
    (any more): another run closed it, or a measure was added meanwhile."""
    with transaction.atomic():
        case = _lock(case_id)
        if not transition_allowed(case, "close", None):
            return False
        if case.measures.filter(open_measures_q(at)).exists():
            return False
        before = case.status
        case.close()
        case.closed_at = at
        reason = str(_("All measures have run their course"))
        save_audited(case, actor=actor, reason=reason, update_fields=["status", "closed_at"])
        _event(case, action="close", actor=actor, reason=reason, before=before, at=at)
    return True
