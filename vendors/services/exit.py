"""Exit writes (MS-8): the agreement term, asking to leave, ending early, starting and
advancing an exit until the deposit is refunded (MS-3.1.5 ④) and the exit closes.

Lock order: the vendor row, then its exit row (then what the receivers lock: orders in
primary-key order). Permission checks are the callers' (admin, views), except the second
approver rule, which is a rule of the service itself (MS-8.1: the proposer never approves).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from marketplace.audit import save_audited
from marketplace.exceptions import PermissionDenied, StateConflict, ValidationFailed
from marketplace.outbox import event_emit
from marketplace.service_helpers import lock_row, require_reason
from marketplace.timeutils import china_date
from vendors import exit_progress
from vendors.models import DepositRefund, Vendor, VendorExit
from vendors.selectors import deposit_position, exit_outstanding
from vendors.services.common import lock_vendor
from vendors.signals import vendor_exit_started

__all__ = [
    "exit_advance",
    "exit_approve",
    "exit_propose",
    "exit_reject",
    "exit_request",
    "exit_start",
    "exit_start_on_eviction",
    "live_exit",
    "vendor_term_set",
]

# Vendors that may still be asked to leave (MS-8.1, MS-8.2).
TRADING = (Vendor.Status.ACTIVE, Vendor.Status.SUSPENDED)
DEFAULT_AFTER_SALES = _(
    "MS-8.4.3: after its exit the vendor itself owes its buyers after-sales service for the "
    "orders it sold."
)


def live_exit(vendor: Vendor | int) -> VendorExit | None:
    """The vendor's exit that is not rejected (at most one), or None."""
    pk = vendor.pk if isinstance(vendor, Vendor) else vendor
    return (
        VendorExit.objects.filter(vendor_id=pk)
        .exclude(status=VendorExit.Status.REJECTED)
        .order_by("-pk")
        .first()
    )


def _lock_exit(exit_: VendorExit) -> tuple[Vendor, VendorExit]:
    vendor = lock_vendor(exit_.vendor_id)
    return vendor, lock_row(VendorExit, exit_.pk)


def _refuse_second(vendor: Vendor) -> None:
    existing = live_exit(vendor)
    if existing is not None:
        raise StateConflict(
            _("This vendor's exit is already under way (%(status)s)."),
            code="exit_exists",
            status=existing.get_status_display(),
        )


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# --- MS-8.1 the agreement term -------------------------------------------------------------


def vendor_term_set(
    *, vendor: Vendor, start: dt.date | None, end: dt.date | None, actor: Any, reason: str
) -> Vendor:
    """MS-8.1: record the agreement term (a renewal moves the end later)."""
    reason = require_reason(reason)
    if start and end and end < start:
        raise ValidationFailed(
            _("The term cannot end before it starts."), code="term_end_before_start"
        )
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        vendor.term_start, vendor.term_end = start, end
        save_audited(vendor, actor=actor, reason=reason, update_fields=["term_start", "term_end"])
    return vendor


# --- MS-8.2 the vendor asks, MS-8.1 the platform proposes --------------------------------


def _open(
    *, vendor: Vendor, cause: str, status: str, actor: Any, reason: str, at: dt.datetime
) -> VendorExit:
    exit_ = VendorExit(
        vendor=vendor,
        cause=cause,
        status=status,
        reason=reason,
        requested_by=_actor_or_none(actor),
        requested_at=at,
        after_sales_duty=str(DEFAULT_AFTER_SALES),
    )
    save_audited(exit_, actor=actor, reason=reason)
    return exit_


def exit_request(*, vendor: Vendor, actor: Any, reason: str) -> VendorExit:
    """MS-8.2 (and MS-8.1 vendor side): vendor staff ask to leave; a reviewer decides."""
    reason = require_reason(reason)
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        if vendor.status not in TRADING:
            raise StateConflict(
                _("Only a trading vendor can ask to leave (the vendor is %(status)s)."),
                code="vendor_state",
                status=vendor.get_status_display(),
            )
        _refuse_second(vendor)
        return _open(
            vendor=vendor,
            cause=VendorExit.Cause.VENDOR_REQUEST,
            status=VendorExit.Status.REQUESTED,
            actor=actor,
            reason=reason,
            at=timezone.now(),
        )


def exit_propose(*, vendor: Vendor, actor: Any, reason: str) -> VendorExit:
    """MS-8.1 platform side: a compliance lead proposes ending the term early."""
    reason = require_reason(reason)
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        if vendor.status not in TRADING:
            raise StateConflict(
                _("Only a trading vendor's term can be ended (the vendor is %(status)s)."),
                code="vendor_state",
                status=vendor.get_status_display(),
            )
        _refuse_second(vendor)
        return _open(
            vendor=vendor,
            cause=VendorExit.Cause.PLATFORM_EARLY,
            status=VendorExit.Status.PROPOSED,
            actor=actor,
            reason=reason,
            at=timezone.now(),
        )


def exit_approve(*, exit: VendorExit, actor: Any, reason: str) -> VendorExit:
    """Approve a request (MS-8.2) or a proposal (MS-8.1, by a second lead); exit starts."""
    reason = require_reason(reason)
    with transaction.atomic():
        vendor, exit_ = _lock_exit(exit)
        if exit_.status == VendorExit.Status.PROPOSED and (
            exit_.requested_by_id is not None and exit_.requested_by_id == getattr(actor, "pk", 0)
        ):
            # MS-8.1 / DESIGN "a second approver for the severest measures".
            raise PermissionDenied(
                _("A second compliance lead must approve: you proposed this exit."),
                code="second_approver_required",
            )
        if not can_proceed(exit_.start):
            raise StateConflict(
                _("This exit is %(status)s; only a pending one can be approved."),
                code="exit_state",
                status=exit_.get_status_display(),
            )
        exit_.decided_by, exit_.decided_at = _actor_or_none(actor), timezone.now()
        exit_.decision_reason = reason
        return _start(vendor, exit_, actor=actor, reason=reason, at=exit_.decided_at)


def exit_reject(*, exit: VendorExit, actor: Any, reason: str) -> VendorExit:
    reason = require_reason(reason)
    with transaction.atomic():
        _vendor, exit_ = _lock_exit(exit)
        if not can_proceed(exit_.reject):
            raise StateConflict(
                _("This exit is %(status)s; only a pending one can be rejected."),
                code="exit_state",
                status=exit_.get_status_display(),
            )
        exit_.reject()
        exit_.decided_by, exit_.decided_at = _actor_or_none(actor), timezone.now()
        exit_.decision_reason = reason
        save_audited(
            exit_,
            actor=actor,
            reason=reason,
            update_fields=["status", "decided_by", "decided_at", "decision_reason"],
        )
    return exit_


# --- starting (MS-8.1 term end, MS-8.3 eviction, approvals) ---------------------------------


def _start(
    vendor: Vendor, exit_: VendorExit, *, actor: Any, reason: str, at: dt.datetime
) -> VendorExit:
    """Inside a transaction with the vendor and exit locked: vendor exiting, exit started,
    then the receivers (orders) refund the unfinished orders in this same transaction."""
    if vendor.status in TRADING:
        vendor.begin_exit()
        save_audited(vendor, actor=actor, reason=reason, update_fields=["status"])
    exit_.start()
    exit_.started_at = at
    responses = vendor_exit_started.send(sender=VendorExit, exit=exit_, actor=actor, at=at)
    exit_.orders_to_refund = sum(int(r or 0) for _fn, r in responses)
    save_audited(
        exit_,
        actor=actor,
        reason=reason,
        update_fields=[
            "status",
            "started_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "orders_to_refund",
        ],
    )
    return exit_


def exit_start(
    *, vendor: Vendor, cause: str, actor: Any, reason: str, at: dt.datetime | None = None
) -> VendorExit | None:
    """Start an exit at once (MS-8.1 term ended, MS-8.3 eviction). Idempotent: a vendor whose
    exit has already begun gets None and nothing changes; a pending request is started."""
    reason = require_reason(reason)
    at = at or timezone.now()
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        existing = live_exit(vendor)
        if existing is not None and existing.status not in VendorExit.PENDING:
            return None
        if existing is None:
            if vendor.status not in (*TRADING, Vendor.Status.EVICTED):
                return None  # applying, or exited long ago: nothing to start
            existing = _open(
                vendor=vendor,
                cause=cause,
                status=VendorExit.Status.PROPOSED,
                actor=actor,
                reason=reason,
                at=at,
            )
        else:
            # A pending request or proposal overtaken (term ended, evicted): started as such.
            existing = lock_row(VendorExit, existing.pk)
            existing.cause = cause
            save_audited(existing, actor=actor, reason=reason, update_fields=["cause"])
        existing.decided_at = existing.decided_at or at
        existing.decision_reason = existing.decision_reason or reason
        return _start(vendor, existing, actor=actor, reason=reason, at=at)


def exit_start_on_eviction(*, vendor: Vendor, actor: Any, reason: str) -> VendorExit | None:
    """MS-8.3: an evicted vendor enters the same exit handling (MS-8.4)."""
    return exit_start(vendor=vendor, cause=VendorExit.Cause.EVICTION, actor=actor, reason=reason)


# --- advancing --------------------------------------------------------------------------


def _advance_step(exit_: VendorExit, method: str, *, actor: Any, reason: str) -> None:
    getattr(exit_, method)()
    save_audited(exit_, actor=actor, reason=reason, update_fields=["status"])


def exit_advance(
    *,
    exit: VendorExit,
    actor: Any,
    reason: str = "",
    at: dt.datetime | None = None,
) -> VendorExit:
    """Move an exit as far as it can go now; a rerun with nothing new changes nothing.

    started → orders_refunded when every exit refund was paid (orders' progress lines);
    → settled when nothing is outstanding, opening the deposit refund (MS-3.1.5 ④);
    → deposit_refunded when finance completed it (or there was no deposit left);
    → closed: the vendor has exited and `vendor.exited` is emitted.
    """
    from vendors.services.deposit import deposit_refund_request

    at = at or timezone.now()
    note = (reason or "").strip() or "MS-8.4 exit progress"
    with transaction.atomic():
        vendor, exit_ = _lock_exit(exit)
        S = VendorExit.Status
        if exit_.status == S.STARTED and exit_progress.stage_done(
            exit_, exit_progress.ORDERS_STAGE
        ):
            _advance_step(exit_, "orders_refunded", actor=actor, reason=f"MS-8.4.1: {note}")
        if exit_.status == S.ORDERS_REFUNDED and not exit_outstanding(vendor):
            _advance_step(exit_, "settle", actor=actor, reason=f"MS-3.1.5 ④: {note}")
            has_refund = DepositRefund.objects.filter(vendor=vendor).exists()
            if not has_refund and deposit_position(vendor, china_date(at)).balance > 0:
                deposit_refund_request(
                    vendor=vendor,
                    actor=actor,
                    reason="MS-3.1.5 ④: deposit refund on exit (MS-8), nothing outstanding",
                    at=at,
                )
        if exit_.status == S.SETTLED:
            refund = DepositRefund.objects.filter(vendor=vendor).first()
            nothing_left = deposit_position(vendor, china_date(at)).balance <= 0
            if (refund is not None and refund.status == DepositRefund.Status.COMPLETED) or (
                refund is None and nothing_left
            ):
                _advance_step(exit_, "deposit_refunded", actor=actor, reason=f"MS-3.1.5 ④: {note}")
        if exit_.status == S.DEPOSIT_REFUNDED:
            exit_.close()
            exit_.closed_at = at
            save_audited(
                exit_, actor=actor, reason=f"MS-8: {note}", update_fields=["status", "closed_at"]
            )
            if vendor.status == Vendor.Status.EXITING:
                vendor.complete_exit()
                save_audited(vendor, actor=actor, reason=f"MS-8: {note}", update_fields=["status"])
            event_emit(
                kind="vendor.exited",
                subject=vendor,
                payload={
                    "vendor_id": vendor.pk,
                    "exit_id": exit_.pk,
                    "cause": exit_.cause,
                    "closed_at": at.isoformat(),
                    "after_sales_duty": exit_.after_sales_duty,
                },
            )
    return exit_


def exit_set_after_sales(*, exit: VendorExit, text: str, actor: Any, reason: str) -> VendorExit:
    """MS-8.4.3: record what the vendor still owes its buyers after exit."""
    reason = require_reason(reason)
    if not (text or "").strip():
        raise ValidationFailed(_("Describe the after-sales duty."), code="duty_required")
    with transaction.atomic():
        _vendor, exit_ = _lock_exit(exit)
        exit_.after_sales_duty = text.strip()
        save_audited(exit_, actor=actor, reason=reason, update_fields=["after_sales_duty"])
    return exit_
