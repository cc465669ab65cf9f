"""Deposit ledger writes (MS-3.1.5): payments, deductions, top-ups, reversals, the refund.

Every write locks the vendor row first (`lock_vendor`), then reads the balance from the
entries, then appends: two concurrent writes of one vendor cannot both read the same balance,
so no deduction overdraws and no entry is lost. Entries are never changed; a correction is a
reversing entry with a reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.audit import save_audited
from marketplace.exceptions import PermissionDenied, StateConflict, ValidationFailed
from marketplace.money import ZERO
from marketplace.service_helpers import lock_in_pk_order, lock_row, require_reason
from marketplace.timeutils import china_date
from marketplace.workcalendar import WorkCalendar
from vendors import deduction_refs, exit_checks
from vendors.models import (
    DeductionCause,
    DepositEntry,
    DepositRefund,
    EntryKind,
    TopUpObligation,
    Vendor,
)
from vendors.selectors import DepositPosition, deposit_position
from vendors.services.common import lock_vendor, positive_amount
from vendors.services.status import activate_if_ready
from vendors.signals import deposit_made_whole

TOP_UP_WORKING_DAYS = 7  # MS-3.1.5 ③
REFUND_WORKING_DAYS = 15  # MS-3.1.5 ④
# Vendors still trading must keep their deposit whole; leaving vendors owe no top-up.
TOP_UP_STATUSES = (Vendor.Status.ACTIVE, Vendor.Status.SUSPENDED)
# MS-3.1.5 ④: the deposit is refunded when the term has ended.
REFUNDABLE_STATUSES = (Vendor.Status.EXITING, Vendor.Status.EXITED, Vendor.Status.EVICTED)


def _append(
    vendor: Vendor,
    *,
    kind: str,
    amount: Decimal,
    delta: Decimal,
    owed_delta: Decimal = ZERO,
    actor: Any,
    reason: str,
    at: dt.datetime,
    cause: str = "",
    reference: str = "",
    reverses: DepositEntry | None = None,
) -> DepositEntry:
    entry = DepositEntry(
        vendor=vendor,
        kind=kind,
        amount=amount,
        delta=delta,
        owed_delta=owed_delta,
        cause=cause,
        reference=reference,
        reverses=reverses,
        reason=reason,
        actor=actor if getattr(actor, "pk", None) else None,
        created_at=at,
    )
    save_audited(entry, actor=actor, reason=reason)
    return entry


def _open_obligation(
    vendor: Vendor, entry: DepositEntry, position: DepositPosition, *, actor: Any, at: dt.datetime
) -> TopUpObligation | None:
    """MS-3.1.5 ③: a trading vendor left short tops up by the end of the 7th working day."""
    if vendor.status not in TOP_UP_STATUSES or position.whole:
        return None
    deadline = WorkCalendar().deadline_after(at, TOP_UP_WORKING_DAYS)
    obligation = TopUpObligation(
        vendor=vendor,
        opened_by=entry,
        opened_at=at,
        due_at=deadline.at,
        provisional=deadline.provisional,
        amount_due=position.to_top_up,
    )
    save_audited(obligation, actor=actor, reason="MS-3.1.5 ③: deposit below the required amount")
    return obligation


def _close_obligations_if_whole(
    vendor: Vendor, entry: DepositEntry, position: DepositPosition, *, actor: Any, at: dt.datetime
) -> int:
    """Close every open obligation once the deposit is whole; tell compliance on commit."""
    if not position.whole:
        return 0
    closed = 0
    for obligation in lock_in_pk_order(
        TopUpObligation.objects.filter(vendor=vendor, closed_at__isnull=True)
    ):
        obligation.closed_at = at
        obligation.closed_by = entry
        save_audited(
            obligation,
            actor=actor,
            reason="MS-3.1.5 ③: deposit made whole",
            update_fields=["closed_at", "closed_by"],
        )
        closed += 1
    if closed:
        vendor_id = vendor.pk
        transaction.on_commit(lambda: deposit_made_whole.send(sender=Vendor, vendor_id=vendor_id))
    return closed


def _credit(
    *, vendor: Vendor, kind: str, amount: Any, actor: Any, reason: str, at: dt.datetime | None
) -> DepositEntry:
    amount = positive_amount(amount)
    reason = require_reason(reason)
    at = at or timezone.now()
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        before = deposit_position(vendor, china_date(at))
        # What a deduction could not cover is paid first; the rest goes into the deposit.
        settles = min(amount, max(before.owed, ZERO))
        entry = _append(
            vendor,
            kind=kind,
            amount=amount,
            delta=amount - settles,
            owed_delta=-settles,
            actor=actor,
            reason=reason,
            at=at,
        )
        after = DepositPosition(
            balance=before.balance + entry.delta,
            owed=before.owed + entry.owed_delta,
            required=before.required,
        )
        _close_obligations_if_whole(vendor, entry, after, actor=actor, at=at)
        activate_if_ready(vendor, actor=actor, position=after)
    return entry


def deposit_pay(
    *, vendor: Vendor, amount: Any, actor: Any, reason: str, at: dt.datetime | None = None
) -> DepositEntry:
    """MS-3.1.5 ①: the onboarding deposit (or a payment after a tier rise) is received.

    An approved applying vendor becomes active once its deposit is whole.
    """
    return _credit(
        vendor=vendor, kind=EntryKind.PAYMENT, amount=amount, actor=actor, reason=reason, at=at
    )


def deposit_topup(
    *, vendor: Vendor, amount: Any, actor: Any, reason: str, at: dt.datetime | None = None
) -> DepositEntry:
    """MS-3.1.5 ③: the vendor tops up; a deposit made whole closes its obligations."""
    return _credit(
        vendor=vendor, kind=EntryKind.TOP_UP, amount=amount, actor=actor, reason=reason, at=at
    )


def deposit_deduct(
    *,
    vendor: Vendor,
    amount: Any,
    cause: str,
    reference: str,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
) -> DepositEntry:
    """MS-3.1.5 ②: take money from the deposit for a violation or a refund compensation.

    Never below zero: the part the deposit cannot cover is recorded as owed. A deduction that
    leaves the deposit short opens a top-up obligation (MS-3.1.5 ③).
    """
    amount = positive_amount(amount)
    reason = require_reason(reason)
    if cause not in DeductionCause.values:
        raise ValidationFailed(
            _("A deduction needs its cause: a violation or a refund compensation."),
            code="deduction_cause_required",
        )
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed(
            _("A deduction needs a reference to the penalty case or refund it pays for."),
            code="deduction_reference_required",
        )
    at = at or timezone.now()
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        # MS-3.1.5 ② / MS-7: the reference must name a real penalty case (violation) or
        # refund / clawback (refund) of this vendor, checked by the app that owns it.
        refused = deduction_refs.refusal(vendor, cause, reference, amount)
        if refused is not None:
            raise ValidationFailed(
                _("The reference %(reference)s does not name a valid cause: %(why)s"),
                code="deduction_reference_unknown",
                reference=reference,
                why=refused
                if refused != "unchecked"
                else str(_("no application checks this kind of reference.")),
            )
        before = deposit_position(vendor, china_date(at))
        covered = min(amount, max(before.balance, ZERO))
        entry = _append(
            vendor,
            kind=EntryKind.DEDUCTION,
            amount=amount,
            delta=-covered,
            owed_delta=amount - covered,
            cause=cause,
            reference=reference,
            actor=actor,
            reason=reason,
            at=at,
        )
        after = DepositPosition(
            balance=before.balance - covered,
            owed=before.owed + entry.owed_delta,
            required=before.required,
        )
        _open_obligation(vendor, entry, after, actor=actor, at=at)
    return entry


def is_violation_deduction(entry: DepositEntry) -> bool:
    return entry.kind == EntryKind.DEDUCTION and entry.cause == DeductionCause.VIOLATION


def deposit_reverse(
    *,
    entry: DepositEntry,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
    case_revoked: bool = False,
) -> DepositEntry:
    """Correct a mistaken entry by appending its opposite (the original stays as it was).

    Refused for reversals and refunds, for an entry already reversed, and when reversing a
    credit would overdraw the deposit. A deduction for a violation is given back only when
    its penalty case is revoked (MS-7, MS-3.1.5 ②): compliance's revocation, decided by a
    compliance lead, passes `case_revoked=True`; the ledger's own "reverse" (finance) may not.
    """
    reason = require_reason(reason)
    at = at or timezone.now()
    with transaction.atomic():
        vendor = lock_vendor(entry.vendor_id)
        entry = DepositEntry.objects.get(pk=entry.pk)
        if entry.kind in (EntryKind.REVERSAL, EntryKind.REFUND):
            raise StateConflict(
                _("Reversals and refunds cannot be reversed; record a new entry instead."),
                code="entry_not_reversible",
            )
        if is_violation_deduction(entry) and not case_revoked:
            raise PermissionDenied(
                _(
                    "A deduction for a violation is given back only by revoking its penalty "
                    "case (compliance lead)."
                ),
                code="violation_deduction_reverse",
            )
        if DepositEntry.objects.filter(reverses=entry).exists():
            raise StateConflict(_("This entry is already reversed."), code="entry_reversed")
        before = deposit_position(vendor, china_date(at))
        if entry.kind == EntryKind.DEDUCTION:
            # Give back the whole deduction: cancel what is still owed of it, credit the rest
            # (the covered part, plus any owed part the vendor already paid).
            owed_cancelled = min(entry.owed_delta, max(before.owed, ZERO))
            delta, owed_delta = entry.amount - owed_cancelled, -owed_cancelled
        else:
            delta, owed_delta = -entry.delta, -entry.owed_delta
            if before.balance + delta < 0:
                raise StateConflict(
                    _(
                        "Reversing this entry would take the deposit below zero: the money "
                        "was already deducted."
                    ),
                    code="reversal_overdraws",
                )
        reversal = _append(
            vendor,
            kind=EntryKind.REVERSAL,
            amount=entry.amount,
            delta=delta,
            owed_delta=owed_delta,
            actor=actor,
            reason=reason,
            at=at,
            reverses=entry,
        )
        after = DepositPosition(
            balance=before.balance + delta, owed=before.owed + owed_delta, required=before.required
        )
        if (
            delta < 0
            and not TopUpObligation.objects.filter(vendor=vendor, closed_at__isnull=True).exists()
        ):
            # A reversed payment leaves the deposit short like a deduction does (MS-3.1.5 ③).
            _open_obligation(vendor, reversal, after, actor=actor, at=at)
        else:
            _close_obligations_if_whole(vendor, reversal, after, actor=actor, at=at)
    return reversal


# --- the refund at the end of the term (MS-3.1.5 ④) -------------------------------------------


class RefundRefused(StateConflict):
    code = "deposit_refund_refused"

    def __init__(self, items: list[str]) -> None:
        super().__init__(_("The deposit cannot be refunded yet: %(items)s"), items=" ".join(items))
        self.items = items


def _refund_blockers(vendor: Vendor, position: DepositPosition) -> list[str]:
    """Everything outstanding; this app's checks first, then those of the higher apps."""
    reasons: list[str] = []
    if vendor.status not in REFUNDABLE_STATUSES:
        reasons.append(
            str(_("The cooperation term has not ended (the vendor is %(status)s)."))
            % {"status": vendor.get_status_display()}
        )
    if TopUpObligation.objects.filter(vendor=vendor, closed_at__isnull=True).exists():
        reasons.append(str(_("A top-up obligation is still open.")))
    if position.owed > 0:
        reasons.append(
            str(_("The vendor still owes ¥%(owed)s beyond its deposit.")) % {"owed": position.owed}
        )
    if position.balance <= 0:
        reasons.append(str(_("There is no deposit left to refund.")))
    reasons.extend(exit_checks.outstanding_reasons(vendor))
    return reasons


def deposit_refund_request(
    *, vendor: Vendor, actor: Any, reason: str, at: dt.datetime | None = None
) -> DepositRefund:
    """Open the refund of the deposit; refused while anything is outstanding, and only once."""
    reason = require_reason(reason)
    at = at or timezone.now()
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        existing = DepositRefund.objects.filter(vendor=vendor).first()
        if existing is not None:
            raise StateConflict(
                _("The deposit refund was already requested on %(date)s; it is refunded once."),
                code="deposit_refund_exists",
                date=china_date(existing.requested_at).isoformat(),
            )
        blockers = _refund_blockers(vendor, deposit_position(vendor, china_date(at)))
        if blockers:
            raise RefundRefused(blockers)
        refund = DepositRefund(vendor=vendor, requested_at=at)
        save_audited(refund, actor=actor, reason=reason)
    return refund


def _lock_refund(refund: DepositRefund) -> tuple[Vendor, DepositRefund]:
    vendor = lock_vendor(refund.vendor_id)
    return vendor, lock_row(DepositRefund, refund.pk)


def deposit_refund_receipt_received(
    *, refund: DepositRefund, actor: Any, reason: str, received_at: dt.datetime | None = None
) -> DepositRefund:
    """The vendor returned the deposit receipt: refund due within 15 working days (④)."""
    reason = require_reason(reason)
    received_at = received_at or timezone.now()
    with transaction.atomic():
        _vendor, refund = _lock_refund(refund)
        if refund.status != DepositRefund.Status.REQUESTED:
            raise StateConflict(_("The receipt was already recorded."), code="receipt_recorded")
        deadline = WorkCalendar().deadline_after(received_at, REFUND_WORKING_DAYS)
        refund.receive_receipt()
        refund.receipt_received_at = received_at
        refund.due_at = deadline.at
        refund.provisional = deadline.provisional
        save_audited(
            refund,
            actor=actor,
            reason=reason,
            update_fields=["status", "receipt_received_at", "due_at", "provisional"],
        )
    return refund


def deposit_refund_complete(
    *, refund: DepositRefund, actor: Any, reason: str, at: dt.datetime | None = None
) -> DepositRefund:
    """Pay the whole balance back, without interest; checks everything outstanding again."""
    reason = require_reason(reason)
    at = at or timezone.now()
    with transaction.atomic():
        vendor, refund = _lock_refund(refund)
        if refund.status != DepositRefund.Status.RECEIPT_RECEIVED:
            raise StateConflict(
                _("The deposit is refunded only after its receipt came back, and only once."),
                code="refund_not_ready",
            )
        position = deposit_position(vendor, china_date(at))
        blockers = _refund_blockers(vendor, position)
        if blockers:
            raise RefundRefused(blockers)
        entry = _append(
            vendor,
            kind=EntryKind.REFUND,
            amount=position.balance,
            delta=-position.balance,
            actor=actor,
            reason=reason,
            at=at,
        )
        refund.complete()
        refund.completed_at = at
        refund.entry = entry
        save_audited(
            refund, actor=actor, reason=reason, update_fields=["status", "completed_at", "entry"]
        )
        # MS-8 / MS-3.1.5 ④: a vendor's exit waiting for its deposit moves on and closes.
        from vendors.services.exit import exit_advance, live_exit

        exit_ = live_exit(vendor)
        if exit_ is not None and exit_.status == exit_.Status.SETTLED:
            exit_advance(exit=exit_, actor=actor, reason=reason, at=at)
    return refund
