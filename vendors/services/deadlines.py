"""Deadlines counted in working days, recomputed when the working calendar changes.

MS-3.1.5 ③ (top up within 7 working days) and ④ (refund within 15 working days of the
receipt) are stored as due times with a `provisional` flag. When a reviewer confirms a year or
corrects a day, every open deadline is computed again from its own start, so the sweep judges
it by the confirmed calendar; vendors whose deadline moved are told (compliance's receiver of
`deposit_deadlines_moved`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from marketplace.audit import save_audited
from marketplace.service_helpers import lock_in_pk_order
from marketplace.workcalendar import Deadline, WorkCalendar
from vendors.models import DepositRefund, TopUpObligation
from vendors.services.deposit import REFUND_WORKING_DAYS, TOP_UP_WORKING_DAYS
from vendors.signals import deposit_deadlines_moved


@dataclass(frozen=True)
class DeadlineMove:
    vendor_id: int
    subject_type: str  # "topupobligation" | "depositrefund"
    subject_id: int
    old_due_at: dt.datetime
    new_due_at: dt.datetime
    provisional: bool


def deposit_deadlines_recompute(*, actor: Any, reason: str) -> list[DeadlineMove]:
    """Recompute every open top-up and deposit-refund deadline with the current calendar."""
    calendar = WorkCalendar()  # one snapshot of overrides and confirmed years for all of them
    moves: list[DeadlineMove | None] = []
    with transaction.atomic():
        # Locked in primary-key order; a top-up that closes an obligation meanwhile writes
        # other fields, and a closed obligation keeps its due time (nothing is owed any more).
        obligations = lock_in_pk_order(TopUpObligation.objects.filter(closed_at=None))
        for obligation in obligations:
            deadline = calendar.deadline_after(obligation.opened_at, TOP_UP_WORKING_DAYS)
            moves.append(_recompute(obligation, deadline, actor=actor, reason=reason))
        refunds = lock_in_pk_order(
            DepositRefund.objects.filter(status=DepositRefund.Status.RECEIPT_RECEIVED)
        )
        for refund in refunds:
            assert refund.receipt_received_at is not None
            deadline = calendar.deadline_after(refund.receipt_received_at, REFUND_WORKING_DAYS)
            moves.append(_recompute(refund, deadline, actor=actor, reason=reason))
        moved = [move for move in moves if move is not None]
        if moved:
            transaction.on_commit(
                lambda: deposit_deadlines_moved.send(sender=TopUpObligation, moves=moved)
            )
    return moved


def _recompute(
    obj: TopUpObligation | DepositRefund, deadline: Deadline, *, actor: Any, reason: str
) -> DeadlineMove | None:
    if obj.due_at == deadline.at and obj.provisional == deadline.provisional:
        return None
    assert obj.due_at is not None
    move = DeadlineMove(
        vendor_id=obj.vendor_id,
        subject_type=obj._meta.model_name,
        subject_id=obj.pk,
        old_due_at=obj.due_at,
        new_due_at=deadline.at,
        provisional=deadline.provisional,
    )
    obj.due_at = deadline.at
    obj.provisional = deadline.provisional
    save_audited(obj, actor=actor, reason=reason, update_fields=["due_at", "provisional"])
    return move
