"""Buyer complaints about a vendor's service (MS-4.3, MS-4.4) and the "unreachable" case.

`complaint_record` stores one complaint (idempotent on the channel and the storefront's ID)
and, in the same transaction, counts the vendor's complaints in the window: at the threshold
it reports a penalty case of the violation UNREACHABLE through `case_create`, for a compliance
reviewer to confirm (nothing is applied automatically). Never a second case while one is open.
Threshold and window are settings (`UNREACHABLE_COMPLAINT_THRESHOLD`, default 3;
`UNREACHABLE_COMPLAINT_WINDOW_DAYS`, default 30).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import CaseSource, CaseStatus, PenaltyCase, ServiceComplaint, ViolationType
from compliance.services.penalties import case_create
from marketplace.audit import create_audited, save_audited
from marketplace.exceptions import StateConflict, ValidationFailed
from marketplace.service_helpers import lock_row
from vendors.models import Vendor

UNREACHABLE_CODE = "UNREACHABLE"
# A case still waiting for, or under, a decision: a new one would duplicate it.
OPEN_CASE_STATUSES = (CaseStatus.REPORTED, CaseStatus.CONFIRMED, CaseStatus.PENDING_APPROVAL)


def complaint_threshold() -> tuple[int, int]:
    """(complaints, days): reaching this many in this many days reports a case."""
    return (
        max(1, int(getattr(settings, "UNREACHABLE_COMPLAINT_THRESHOLD", 3))),
        max(1, int(getattr(settings, "UNREACHABLE_COMPLAINT_WINDOW_DAYS", 30))),
    )


def complaint_record(
    *,
    order: Any,
    actor: Any,
    external_id: str,
    kind: str,
    occurred_at: dt.datetime,
    description: str = "",
) -> tuple[ServiceComplaint, bool]:
    """Record a buyer's complaint against the order's vendor; returns (complaint, created)."""
    caller = actor  # the storefront's service account (compliance/api.py)
    channel = caller.channel
    external_id = (external_id or "").strip()
    if not external_id:
        raise ValidationFailed(_("The complaint ID is required."), code="external_id_required")
    if occurred_at > timezone.now():
        raise ValidationFailed(
            _("The complaint cannot be about the future."), code="occurred_in_future"
        )
    existing = ServiceComplaint.objects.filter(channel=channel, external_id=external_id).first()
    if existing is not None:
        return _same_or_conflict(existing, order=order, kind=kind), False
    try:
        with transaction.atomic():
            # Complaints of one vendor are counted under its lock: two at once cannot both
            # see "one below the threshold" and both skip, nor both open a case.
            vendor = lock_row(Vendor, order.vendor_id)
            complaint = create_audited(
                ServiceComplaint,
                actor=None,
                reason=f"reported by the storefront ({caller}) (MS-4.3, MS-4.4)",
                vendor=vendor,
                order=order,
                channel=channel,
                external_id=external_id,
                kind=kind,
                occurred_at=occurred_at,
                description=description or "",
            )
            _open_case_if_due(vendor, complaint)
            complaint.refresh_from_db(fields=["case"])  # attached through a fresh row
    except IntegrityError:  # the same complaint, reported twice at once
        existing = ServiceComplaint.objects.get(channel=channel, external_id=external_id)
        return _same_or_conflict(existing, order=order, kind=kind), False
    return complaint, True


def _same_or_conflict(existing: ServiceComplaint, *, order: Any, kind: str) -> ServiceComplaint:
    if existing.order_id != order.pk or existing.kind != kind:
        raise StateConflict(
            _("A different complaint was already reported with this ID."),
            code="external_id_reused",
        )
    return existing


def _open_case_if_due(vendor: Vendor, complaint: ServiceComplaint) -> PenaltyCase | None:
    threshold, days = complaint_threshold()
    since = complaint.occurred_at - dt.timedelta(days=days)
    window = ServiceComplaint.objects.filter(
        vendor=vendor, occurred_at__gt=since, occurred_at__lte=complaint.occurred_at
    )
    open_case = PenaltyCase.objects.filter(
        vendor=vendor, violation__code=UNREACHABLE_CODE, status__in=OPEN_CASE_STATUSES
    ).first()
    if open_case is not None:
        _attach(complaint, open_case)  # the reviewer sees it with the case already open
        return None
    # Complaints already judged in an earlier case do not count again.
    if window.filter(case__isnull=True).count() < threshold:
        return None
    violation = ViolationType.objects.get(code=UNREACHABLE_CODE)  # reference data, never deleted
    if violation.retired:
        return None  # the rule book no longer has this violation: nothing to report
    count = window.filter(case__isnull=True).count()
    case = case_create(
        reference=f"UNREACHABLE-{vendor.pk}-{complaint.pk}",
        vendor=vendor,
        violation=violation,
        occurred_at=complaint.occurred_at,
        description=str(
            _(
                "%(count)d buyer complaints in %(days)d days that the vendor could not be "
                "reached or offered no alternative (MS-4.3, MS-4.4)."
            )
            % {"count": count, "days": days}
        ),
        reporter="storefront complaints",
        source=CaseSource.RULE,
        actor=None,
        reason=f"complaint threshold reached: {count} in {days} days (MS-4.3, MS-4.4)",
    )
    for row in window.filter(case__isnull=True):
        _attach(row, case)
    return case


def _attach(complaint: ServiceComplaint, case: PenaltyCase) -> None:
    complaint.case = case
    save_audited(
        complaint, actor=None, reason=f"counted in case {case.reference}", update_fields=["case"]
    )
