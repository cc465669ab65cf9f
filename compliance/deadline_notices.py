"""Tell vendors that a change of the working calendar moved their deposit deadlines.

`vendors` recomputes open top-up and deposit-refund deadlines when a year is confirmed or a
day corrected (MS-3.1.5 ③ ④) and sends `deposit_deadlines_moved`; each move is recorded as a
rule evaluation of the rule that watches that deadline, with a notice in the vendor's inbox
(and e-mail), once per subject and new due time.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import EvaluationOutcome, RuleSetting, SweepRule
from compliance.sweep.base import Notice, Outcome, SweepContext
from compliance.sweep.recording import record_outcomes, taken_keys
from compliance.sweep.registry import get_rules
from vendors.services.deadlines import DeadlineMove

RULE_OF_SUBJECT = {
    "topupobligation": SweepRule.DEPOSIT_TOPUP,  # MS-3.1.5 ③
    "depositrefund": SweepRule.DEPOSIT_REFUND_DUE,  # MS-3.1.5 ④
}
NOTICES = {
    "topupobligation": (
        _("Your deposit top-up deadline has moved"),
        _(
            "The working calendar changed, so the deadline to top up your deposit was "
            "computed again: it is now %(new)s (China time), it was %(old)s. %(note)s"
        ),
    ),
    "depositrefund": (
        _("The due date of your deposit refund has moved"),
        _(
            "The working calendar changed, so the date by which the platform refunds your "
            "deposit was computed again: it is now %(new)s (China time), it was %(old)s. %(note)s"
        ),
    ),
}


def _outcome(move: DeadlineMove) -> Outcome:
    subject, body = NOTICES[move.subject_type]
    # Lazy parameters are rendered in the vendor's language with the rest of the notice.
    note = _("The date is still provisional.") if move.provisional else ""
    params = {"new": move.new_due_at, "old": move.old_due_at, "note": note}
    return Outcome(
        outcome=EvaluationOutcome.RECORDED,
        vendor_id=move.vendor_id,
        subject_type=move.subject_type,
        subject_id=str(move.subject_id),
        figures={
            "old_due_at": move.old_due_at.isoformat(),
            "new_due_at": move.new_due_at.isoformat(),
            "provisional": move.provisional,
        },
        message="deadline recomputed after a working-calendar change",
        dedupe_key=(
            f"deadline:{move.subject_type}:{move.subject_id}:"
            f"{move.new_due_at.isoformat()}:{int(move.provisional)}"
        ),
        notice=Notice(
            subject=subject,
            body=body,
            params=params,
            action_required_by=move.new_due_at if move.subject_type == "topupobligation" else None,
        ),
    )


def notify_deadline_moves(moves: Sequence[DeadlineMove]) -> int:
    """Record one evaluation and one vendor notice per moved deadline; returns how many."""
    at = timezone.now()
    ctx = SweepContext(as_of=at, setting=RuleSetting.in_force(at))
    outcomes = [_outcome(move) for move in moves]
    taken = taken_keys(o.dedupe_key for o in outcomes if o.dedupe_key)
    fresh = [o for o in outcomes if o.dedupe_key not in taken]
    rules = {rule.name: rule for rule in get_rules(list(set(RULE_OF_SUBJECT.values())))}
    with transaction.atomic():
        for subject_type, rule_name in RULE_OF_SUBJECT.items():
            group = [o for o in fresh if o.subject_type == subject_type]
            record_outcomes(ctx, rules[rule_name], group)
    return len(fresh)
