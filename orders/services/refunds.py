"""Refund services (MS-5): request, vendor answer, arbitration, payment, clawback, terms.

Lock order: the order row first, then the refund (then invoices, then the clawback), so two
refunds of one order never deadlock and the cap on the order's total is checked under lock.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import ROUND_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Specification
from marketplace.audit import save_audited
from marketplace.exceptions import StateConflict, ValidationFailed
from marketplace.money import ZERO, to_money
from marketplace.outbox import EventKind, event_emit
from marketplace.service_helpers import lock_row, require_reason, run_transition
from marketplace.timeutils import china_date
from orders.exceptions import AmountInvalid, ExternalIdConflict, RefundRefused
from orders.models import (
    COUNTS_AGAINST_VENDOR,
    Clawback,
    FullRefundCase,
    Order,
    PlatformRefundGround,
    Refund,
    RefundEvidence,
    RefundReason,
    VendorRefundTerms,
)
from orders.refund_amount import RefundInputs, RefundQuote, compute_refund
from orders.services.common import reason_with_caller, split_api_caller
from orders.services.invoices import invoices_apply_refund
from orders.services.times import (
    require_aware,
    require_not_before,
    require_not_future,
    require_recent,
)
from vendors.validators import validate_document_file

__all__ = [
    "clawback_deduct_from_deposit",
    "clawback_mark_netted",
    "committed_refund_total",
    "consumed_fraction",
    "refund_approve",
    "refund_mark_refunded",
    "refund_open_arbitration",
    "refund_record_payment",
    "refund_reject",
    "refund_request",
    "refund_vendor_agree",
    "refund_vendor_dispute",
    "vendor_terms_approve",
    "vendor_terms_in_force",
    "vendor_terms_reject",
    "vendor_terms_submit",
]

FRACTION = Decimal("0.0001")


def committed_refund_total(order: Order) -> Decimal:
    """What refunds already took or hold on the order: agreed, approved or paid."""
    total = Refund.objects.filter(order=order, status__in=Refund.COMMITTED).aggregate(
        s=Sum("approved_amount")
    )["s"]
    return to_money(total or ZERO)


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def consumed_fraction(order: Order, at: dt.datetime) -> Decimal:
    """How much of the bought term was used by `at`: the default pro rata input (MS-5.2).

    Monthly and yearly terms count China days from payment; a one-off purchase is consumed
    once delivered (or its service started) and not at all before. Rounded up, so the
    unconsumed part is never overstated; reviewers may override it when arbitrating.
    """
    period = order.billing_period
    if period in (Specification.BillingPeriod.MONTH, Specification.BillingPeriod.YEAR):
        start = china_date(order.paid_at)
        end = _add_months(start, 1 if period == Specification.BillingPeriod.MONTH else 12)
        used = min(max((china_date(at) - start).days, 0), (end - start).days)
        return (Decimal(used) / Decimal((end - start).days)).quantize(FRACTION, ROUND_UP)
    not_started = (Order.Status.PAID, Order.Status.DELIVERING, Order.Status.DELIVERY_FAILED)
    return Decimal("0") if order.status in not_started else Decimal("1")


def latest_order_event(order: Order) -> dt.datetime:
    """The latest time already recorded on the order: payment, delivery, confirmation,
    delivery failures and repairs, earlier refund requests (a refund follows all of them)."""
    moments = [order.paid_at, order.delivered_at, order.service_confirmed_at]
    for failed_at, repaired_at in order.delivery_failures.values_list("failed_at", "repaired_at"):
        moments += [failed_at, repaired_at]
    moments += list(Refund.objects.filter(order=order).values_list("requested_at", flat=True))
    return max(m for m in moments if m is not None)


def vendor_terms_in_force(order: Order, at: dt.datetime) -> VendorRefundTerms | None:
    """MS-5.7.2: approved terms in force at `at`; product-specific terms beat vendor-wide."""
    approved = VendorRefundTerms.objects.filter(
        vendor_id=order.vendor_id,
        status=VendorRefundTerms.Status.APPROVED,
        effective_from__lte=at,
    ).order_by("-effective_from", "-pk")
    return (
        approved.filter(product_id=order.product_id).first()
        or approved.filter(product__isnull=True).first()
    )


def _inputs(refund: Refund, order: Order, *, vendor_agreed: bool = False) -> RefundInputs:
    return RefundInputs(
        paid=refund.paid_amount,
        already_refunded=refund.already_refunded,
        requested=refund.amount_requested,
        refundable=order.refundable,
        review_rule=refund.review_rule,
        in_review_period=refund.in_review_period,
        consumed_fraction=refund.consumed_fraction,
        compensation=refund.compensation,
        full_refund_case=refund.full_refund_case,
        platform_ground=refund.platform_ground,
        vendor_terms_percent=refund.vendor_terms_percent,
        vendor_agreed=vendor_agreed,
    )


def _apply_quote(refund: Refund, quote: RefundQuote) -> None:
    refund.basis = quote.basis
    refund.computed_amount = quote.amount


QUOTE_FIELDS = ["already_refunded", "basis", "computed_amount"]


def _same_request(refund: Refund, data: dict[str, Any]) -> bool:
    return (
        refund.reason_code == data["reason_code"]
        and refund.amount_requested == data["amount_requested"]
        and refund.description == data["description"]
    )


@transaction.atomic
def refund_request(
    *,
    order: Order,
    external_id: str,
    reason_code: str,
    amount_requested: Decimal | str,
    description: str = "",
    evidence: list[str] | None = None,
    requested_at: dt.datetime | None = None,
    actor: Any = None,
    received_at: dt.datetime | None = None,
) -> tuple[Refund, bool]:
    """A buyer asks for a refund (MS-5.1/5.2). Idempotent on (order, external ID).

    Returns (refund, created). Refused: tool products (MS-5.1), a non-positive amount, more
    than is left on the order, a second request while one is in negotiation.

    MS-2.8/MS-5.1: the review period is judged at `requested_at`, so it must be trustworthy:
    not in the future (beyond the clock skew), not more than the backdate window before
    `received_at` (our clock; given only when seeding past history) and not before the
    latest event already recorded on the order.
    """
    caller, actor = split_api_caller(actor)
    received_at = received_at or timezone.now()
    requested_at = requested_at or received_at
    require_aware(requested_at, "requested_at")
    require_not_future(requested_at, field="requested_at", received_at=received_at)
    amount = to_money(amount_requested)
    if amount <= 0:
        raise AmountInvalid()
    if reason_code not in RefundReason.values:
        raise ValidationFailed(_("Unknown refund reason."), code="unknown_reason")
    order = lock_row(Order, order.pk)
    data = {"reason_code": reason_code, "amount_requested": amount, "description": description}
    existing = Refund.objects.filter(order=order, external_id=external_id).first()
    if existing is not None:
        if not _same_request(existing, data):
            raise ExternalIdConflict(external_id=external_id)
        return existing, False
    # After the retry check: a retry of an accepted request arrives later, and is no new claim.
    require_recent(requested_at, field="requested_at", received_at=received_at)
    require_not_before(
        requested_at,
        latest_order_event(order),
        field="requested_at",
        event=_("latest event recorded on this order"),
    )
    if not order.refundable:
        # MS-5.1: tool products cannot be refunded.
        raise RefundRefused(_("Tool products cannot be refunded (MS-5.1)."), code="not_refundable")
    if order.status in Order.TERMINAL:
        raise StateConflict(_("This order is already refunded or closed."), code="order_closed")
    if Refund.objects.filter(order=order, status__in=Refund.OPEN).exists():
        raise StateConflict(
            _("Another refund of this order is still being negotiated."), code="refund_open"
        )
    already = committed_refund_total(order)
    remaining = order.amount - already
    if amount > remaining:
        raise ValidationFailed(
            _("The amount asked exceeds what is left to refund on this order (%(left)s)."),
            code="exceeds_remaining",
            left=str(remaining),
        )
    terms = vendor_terms_in_force(order, requested_at)
    refund = Refund(
        order=order,
        vendor_id=order.vendor_id,
        external_id=external_id,
        reason_code=reason_code,
        counts_against_vendor=reason_code in COUNTS_AGAINST_VENDOR,  # MS-5.8
        amount_requested=amount,
        description=description,
        evidence=list(evidence or []),
        requested_at=requested_at,
        paid_amount=order.amount,
        already_refunded=already,
        review_rule=order.review_rule,
        in_review_period=order.in_review_period(requested_at),
        consumed_fraction=consumed_fraction(order, requested_at),
        vendor_terms=terms,
        vendor_terms_percent=terms.refund_percent if terms else None,
    )
    _apply_quote(refund, compute_refund(_inputs(refund, order)))
    save_audited(refund, actor=actor, reason=reason_with_caller("refund requested", caller))
    return refund, True


def _lock_pair(refund: Refund) -> tuple[Order, Refund]:
    order = lock_row(Order, refund.order_id)
    return order, lock_row(Refund, refund.pk)


def refund_vendor_agree(
    *,
    refund: Refund,
    actor: Any,
    note: str = "",
    evidence_urls: Sequence[str] = (),
    evidence_files: Sequence[Any] = (),
) -> Refund:
    """MS-5.1: the vendor accepts; the asked amount is committed, capped by what is left."""
    check_evidence_files(evidence_files)
    return _with_stored_files(
        lambda saved: _agree(refund, actor, note.strip(), evidence_urls, evidence_files, saved)
    )


@transaction.atomic
def _agree(refund, actor, note, evidence_urls, evidence_files, saved) -> Refund:
    order, refund = _lock_pair(refund)
    run_transition(refund, "vendor_agree", actor=actor)
    refund.already_refunded = committed_refund_total(order)
    quote = compute_refund(_inputs(refund, order, vendor_agreed=True))
    if quote.amount <= 0:
        raise RefundRefused(_("Nothing is left to refund on this order."), code="nothing_left")
    _apply_quote(refund, quote)
    refund.approved_amount = quote.amount
    refund.vendor_note = note
    save_audited(
        refund,
        actor=actor,
        reason=note or "vendor agreed",
        update_fields=[*QUOTE_FIELDS, "status", "approved_amount", "vendor_note"],
    )
    _store_evidence(refund, actor, note or "vendor agreed", evidence_urls, evidence_files, saved)
    _emit_approved(refund, by="vendor")
    return refund


def _emit_approved(refund: Refund, *, by: str) -> None:
    """Issue 14: billing pays back the amount now committed (by the vendor's agreement or the
    platform's approval), the storefront tells the buyer; written with the decision."""
    event_emit(
        kind=EventKind.REFUND_APPROVED,
        subject=refund,
        payload={
            "refund_id": refund.pk,
            "order_id": refund.order_id,
            "external_id": refund.external_id,
            "amount": refund.approved_amount,
            "currency": "CNY",
            "approved_by": by,
            "basis": refund.basis,
        },
    )


def refund_vendor_dispute(
    *,
    refund: Refund,
    actor: Any,
    note: str,
    evidence_urls: Sequence[str] = (),
    evidence_files: Sequence[Any] = (),
) -> Refund:
    """MS-5.1: the vendor does not agree and says why; the platform may arbitrate."""
    note = require_reason(note)
    check_evidence_files(evidence_files)
    return _with_stored_files(
        lambda saved: _dispute(refund, actor, note.strip(), evidence_urls, evidence_files, saved)
    )


@transaction.atomic
def _dispute(refund, actor, note, evidence_urls, evidence_files, saved) -> Refund:
    _order, refund = _lock_pair(refund)
    run_transition(refund, "vendor_dispute", actor=actor)
    refund.vendor_note = note
    save_audited(refund, actor=actor, reason=note, update_fields=["status", "vendor_note"])
    _store_evidence(refund, actor, note, evidence_urls, evidence_files, saved)
    return refund


# Issue 13: at most this many pieces of evidence per answer (the API's limit for buyers).
MAX_VENDOR_EVIDENCE = 20


def check_evidence_files(uploads: Sequence[Any]) -> None:
    """Evidence files are the document types of MS-3.1.3 (PDF, JPG, PNG by content, the same
    size limit), refused before anything is written."""
    if len(uploads) > MAX_VENDOR_EVIDENCE:
        raise ValidationFailed(
            _("At most %(n)s pieces of evidence."), code="too_much_evidence", n=MAX_VENDOR_EVIDENCE
        )
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


def _with_stored_files(work: Callable[[list[str]], Refund]) -> Refund:
    # A file is written to storage before its row: if the answer fails after that (the
    # transaction rolls back), the files written so far are deleted so none is orphaned.
    saved: list[str] = []
    try:
        return work(saved)
    except Exception:
        storage = RefundEvidence._meta.get_field("file").storage
        for name in saved:
            storage.delete(name)
        raise


def _store_evidence(
    refund: Refund,
    actor: Any,
    reason: str,
    urls: Sequence[str],
    uploads: Sequence[Any],
    saved: list[str],
) -> None:
    at = timezone.now()
    for url in urls:
        if url:
            evidence = RefundEvidence(refund=refund, url=url, added_by=actor, added_at=at)
            save_audited(evidence, actor=actor, reason=reason)
    for upload in uploads:
        evidence = RefundEvidence(refund=refund, added_by=actor, added_at=at)
        evidence.file.save(upload.name, upload, save=False)
        saved.append(evidence.file.name)
        save_audited(evidence, actor=actor, reason=reason)


@transaction.atomic
def refund_open_arbitration(*, refund: Refund, actor: Any, reason: str) -> Refund:
    reason = require_reason(reason)
    _order, refund = _lock_pair(refund)
    run_transition(refund, "open_arbitration", actor=actor)
    save_audited(refund, actor=actor, reason=reason, update_fields=["status"])
    return refund


@transaction.atomic
def refund_approve(
    *,
    refund: Refund,
    actor: Any,
    reason: str,
    amount: Decimal | str | None = None,
    platform_ground: str = "",
    full_refund_case: str = "",
    compensation: Decimal | str | None = None,
    consumed: Decimal | str | None = None,
) -> Refund:
    """The platform approves an amount (MS-5.1 full inside the review period; MS-5.2/5.3/
    5.4.1/5.7.2 outside). The recorded ground, case, compensation and consumed fraction are
    stored on the refund and the amount is recomputed from them; a larger amount is refused.

    Straight from `requested` (the vendor has not answered) a MS-5.2 ground is required.
    """
    reason = require_reason(reason)
    if platform_ground and platform_ground not in PlatformRefundGround.values:
        raise ValidationFailed(_("Unknown MS-5.2 ground."), code="unknown_ground")
    if full_refund_case and full_refund_case not in FullRefundCase.values:
        raise ValidationFailed(_("Unknown MS-5.3 case."), code="unknown_case")
    order, refund = _lock_pair(refund)
    if refund.status == Refund.Status.REQUESTED and not platform_ground:
        raise ValidationFailed(
            _("Approving before the vendor answered needs a MS-5.2 ground."),
            code="ground_required",
        )
    run_transition(refund, "approve", actor=actor)
    if compensation is not None:
        refund.compensation = to_money(compensation)
        if refund.compensation < 0:
            raise AmountInvalid(_("The compensation cannot be negative."))
    if consumed is not None:
        refund.consumed_fraction = Decimal(str(consumed)).quantize(FRACTION)
        if not 0 <= refund.consumed_fraction <= 1:
            raise ValidationFailed(
                _("The consumed fraction must be between 0 and 1."), code="invalid_fraction"
            )
    refund.platform_ground = platform_ground or refund.platform_ground
    refund.full_refund_case = full_refund_case or refund.full_refund_case
    refund.already_refunded = committed_refund_total(order)
    quote = compute_refund(_inputs(refund, order))
    _apply_quote(refund, quote)
    approved = quote.amount if amount in (None, "") else to_money(amount)
    if approved <= 0:
        raise AmountInvalid(_("Nothing is due on these inputs; reject the request instead."))
    if approved > quote.amount:
        raise ValidationFailed(
            _("The amount exceeds what the rules allow (%(due)s)."),
            code="exceeds_due",
            due=str(quote.amount),
        )
    refund.approved_amount = approved
    refund.decided_by = actor if getattr(actor, "pk", None) else None
    refund.decided_at = timezone.now()
    refund.decision_reason = reason
    save_audited(
        refund,
        actor=actor,
        reason=reason,
        update_fields=[
            *QUOTE_FIELDS,
            "status",
            "approved_amount",
            "compensation",
            "consumed_fraction",
            "platform_ground",
            "full_refund_case",
            "decided_by",
            "decided_at",
            "decision_reason",
        ],
    )
    _emit_approved(refund, by="platform")
    return refund


@transaction.atomic
def refund_reject(*, refund: Refund, actor: Any, reason: str) -> Refund:
    reason = require_reason(reason)
    _order, refund = _lock_pair(refund)
    run_transition(refund, "reject", actor=actor)
    refund.decided_by = actor if getattr(actor, "pk", None) else None
    refund.decided_at = timezone.now()
    refund.decision_reason = reason
    save_audited(
        refund,
        actor=actor,
        reason=reason,
        update_fields=["status", "decided_by", "decided_at", "decision_reason"],
    )
    return refund


@transaction.atomic
def refund_mark_refunded(
    *,
    refund: Refund,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
    payment_reference: str = "",
) -> Refund:
    """The money went back to the buyer. Ends the order when all is refunded, claws back a
    settled vendor share (MS-5.6) and applies MS-5.5 to the order's invoices.

    Finance's manual path (admin) and billing's report (`refund_record_payment`, with the
    payment's reference) both come here."""
    reason = require_reason(reason)
    at = at or timezone.now()
    order, refund = _lock_pair(refund)
    run_transition(refund, "mark_refunded", actor=actor, at=at)
    refund.payment_reference = payment_reference
    save_audited(
        refund,
        actor=actor,
        reason=reason,
        update_fields=["status", "refunded_at", "payment_reference"],
    )
    paid_back = to_money(
        Refund.objects.filter(order=order, status=Refund.Status.REFUNDED).aggregate(
            s=Sum("approved_amount")
        )["s"]
        or ZERO
    )
    if paid_back > order.amount:  # the cap held at every step; this is the last guard
        raise StateConflict(_("Refunds would exceed the amount paid."), code="over_refund")
    fully = paid_back == order.amount
    if fully and order.status not in Order.TERMINAL:
        run_transition(order, "mark_refunded", actor=actor)
        save_audited(order, actor=actor, reason="refunded in full", update_fields=["status"])
    invoices_apply_refund(
        order=order, amount=refund.approved_amount, fully=fully, at=at, actor=actor
    )
    if order.settled_at is not None and order.settled_amount:
        _open_clawback(order=order, refund=refund, at=at, actor=actor)
    event_emit(
        kind=EventKind.REFUND_PAID,
        subject=refund,
        payload={
            "refund_id": refund.pk,
            "order_id": order.pk,
            "external_id": refund.external_id,
            "amount": refund.approved_amount,
            "currency": "CNY",
            "paid_at": at,
            "payment_reference": payment_reference,
            "order_status": order.status,
        },
    )
    return refund


@transaction.atomic
def refund_record_payment(
    *,
    refund: Refund,
    paid_at: dt.datetime,
    reference: str,
    actor: Any = None,
    received_at: dt.datetime | None = None,
) -> tuple[Refund, bool]:
    """Billing reports that a refund's money was paid back (issue 14). Returns (refund,
    recorded): False for a retry of the same report, which writes nothing.

    The refund, the order and the invoices (MS-5.5) follow through `refund_mark_refunded`,
    finance's own path. A refund already paid under another reference, or marked paid by
    finance, is a 409: billing must not pay twice without somebody looking.
    """
    caller, actor = split_api_caller(actor)
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed(
            _("The payment reference is required."), code="reference_required", field="reference"
        )
    require_aware(paid_at, "paid_at")
    require_not_future(paid_at, field="paid_at", received_at=received_at)
    # The order row first, as every refund service (lock order); retries wait here.
    _order, locked = _lock_pair(refund)
    if locked.status == Refund.Status.REFUNDED:
        if locked.payment_reference == reference:
            return locked, False
        if not locked.payment_reference:
            raise StateConflict(
                _("Finance already marked this refund paid on %(day)s; nothing was recorded."),
                code="refund_paid_manually",
                day=china_date(locked.refunded_at).isoformat() if locked.refunded_at else "",
            )
        raise StateConflict(
            _("This refund was already paid under another reference (%(reference)s)."),
            code="payment_reference_conflict",
            reference=locked.payment_reference,
        )
    require_not_before(
        paid_at,
        locked.decided_at or locked.requested_at,
        field="paid_at",
        event=_("refund's approval"),
    )
    refund = refund_mark_refunded(
        refund=locked,
        actor=None,
        reason=reason_with_caller(f"refund paid back, reference {reference}", caller),
        at=paid_at,
        payment_reference=reference,
    )
    return refund, True


def _open_clawback(*, order: Order, refund: Refund, at: dt.datetime, actor: Any) -> None:
    # MS-5.6: the vendor's share of what was refunded, in proportion to what it was settled.
    share = to_money(refund.approved_amount * order.settled_amount / order.amount)
    if share <= 0 or Clawback.objects.filter(refund=refund).exists():
        return  # an exit refund's clawback is raised when the exit starts (MS-8.4.1)
    clawback = Clawback(
        refund=refund, order=order, vendor_id=order.vendor_id, amount=share, created_at=at
    )
    save_audited(clawback, actor=actor, reason="MS-5.6 settled share of a refund")


@transaction.atomic
def clawback_deduct_from_deposit(*, clawback: Clawback, actor: Any, reason: str) -> Clawback:
    """MS-5.6 / MS-3.1.5 ②: recover a clawback by a deposit deduction whose cause is the refund."""
    reason = require_reason(reason)
    from vendors.models import DeductionCause
    from vendors.services import deposit_deduct  # the lower app's ledger service

    clawback = lock_row(Clawback, clawback.pk)
    from orders.models import StatementLine

    if StatementLine.objects.filter(clawback=clawback).exists():
        # MS-5.6: already netted off a statement; deducting too would recover it twice.
        raise StateConflict(
            _("This clawback is netted off a settlement statement."), code="on_statement"
        )
    run_transition(clawback, "mark_deducted", actor=actor, at=timezone.now(), entry_id=None)
    entry = deposit_deduct(
        vendor=clawback.vendor,
        amount=clawback.amount,
        cause=DeductionCause.REFUND,
        reference=f"refund:{clawback.refund_id}",
        actor=actor,
        reason=reason,
    )
    clawback.deposit_entry_id = getattr(entry, "pk", None)
    save_audited(
        clawback,
        actor=actor,
        reason=reason,
        update_fields=["status", "recovered_at", "deposit_entry_id"],
    )
    return clawback


@transaction.atomic
def clawback_mark_netted(*, clawback: Clawback, actor: Any, reason: str) -> Clawback:
    """MS-5.6: netted off the vendor's next settlement instead."""
    reason = require_reason(reason)
    clawback = lock_row(Clawback, clawback.pk)
    run_transition(clawback, "mark_netted", actor=actor, at=timezone.now())
    save_audited(clawback, actor=actor, reason=reason, update_fields=["status", "recovered_at"])
    return clawback


@transaction.atomic
def vendor_terms_submit(
    *,
    vendor: Any,
    text: str,
    refund_percent: Decimal | str,
    effective_from: dt.datetime,
    actor: Any,
    product: Any = None,
) -> VendorRefundTerms:
    """MS-5.7.2: a vendor proposes its own refund terms; unused until the platform approves."""
    require_aware(effective_from, "effective_from")
    percent = Decimal(str(refund_percent))
    if not 0 <= percent <= 100:
        raise ValidationFailed(_("The percent must be between 0 and 100."), code="invalid_percent")
    if product is not None and product.vendor_id != vendor.pk:
        raise ValidationFailed(_("Not this vendor's product."), code="foreign_product")
    if not text.strip():
        raise ValidationFailed(_("The terms' text is required."), code="text_required")
    terms = VendorRefundTerms(
        vendor=vendor,
        product=product,
        text=text.strip(),
        refund_percent=percent,
        effective_from=effective_from,
        submitted_at=timezone.now(),
        submitted_by=actor if getattr(actor, "pk", None) else None,
    )
    save_audited(terms, actor=actor, reason="refund terms submitted")
    return terms


@transaction.atomic
def vendor_terms_approve(*, terms: VendorRefundTerms, actor: Any, reason: str) -> VendorRefundTerms:
    """MS-5.7.2: the platform's written approval; the reason is the written record."""
    reason = require_reason(reason)
    terms = lock_row(VendorRefundTerms, terms.pk)
    run_transition(terms, "approve", actor=actor, by=actor, at=timezone.now())
    terms.decision_note = reason
    save_audited(
        terms,
        actor=actor,
        reason=reason,
        update_fields=["status", "decided_by", "decided_at", "decision_note"],
    )
    return terms


@transaction.atomic
def vendor_terms_reject(*, terms: VendorRefundTerms, actor: Any, reason: str) -> VendorRefundTerms:
    reason = require_reason(reason)
    terms = lock_row(VendorRefundTerms, terms.pk)
    run_transition(terms, "reject", actor=actor, by=actor, at=timezone.now())
    terms.decision_note = reason
    save_audited(
        terms,
        actor=actor,
        reason=reason,
        update_fields=["status", "decided_by", "decided_at", "decision_note"],
    )
    return terms
