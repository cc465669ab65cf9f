"""Reads of penalty cases and measures, with the scoping selector vendor pages use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.models import AppliedMeasure, CaseStatus, PenaltyCase
from vendors.selectors import vendor_for_user

# Cases that still have something to execute or decide (MS-3.1.5 ④ "unexecuted penalty").
OPEN_STATUSES = (
    CaseStatus.CONFIRMED,
    CaseStatus.PENDING_APPROVAL,
    CaseStatus.APPLIED,
    CaseStatus.APPEALED,
    CaseStatus.UPHELD,
)


def cases_for_vendor(*, user: Any) -> QuerySet[PenaltyCase]:
    """The cases of the user's own vendor, as the vendor may see them: not the ones still
    being investigated (reported) or dismissed before confirmation."""
    vendor = vendor_for_user(user=user)
    return (
        PenaltyCase.objects.filter(vendor=vendor)
        .exclude(status__in=[CaseStatus.REPORTED])
        .select_related("violation_version", "product")
    )


def cases_awaiting_approval_for(*, user: Any) -> QuerySet[PenaltyCase]:
    """Cases with a measure waiting for a second approval that `user` may give (MS-7, MS-8.3).

    A proposed penalty (case pending approval) and a deduction added later to an applied
    case both wait as measures; the proposer of any waiting measure of a case never approves
    it (penalty_approve refuses), so such a case never waits for them. `waiting_from` is
    when the oldest waiting measure was proposed.
    """
    waiting = AppliedMeasure.objects.filter(
        penalty_case=OuterRef("pk"), awaiting_approval=True, lifted_at__isnull=True
    )
    oldest = (
        waiting.order_by().values("penalty_case").annotate(at=Min("created_at")).values("at")
    )
    return (
        PenaltyCase.objects.filter(Exists(waiting))
        .exclude(Exists(waiting.filter(created_by_id=getattr(user, "pk", None))))
        .annotate(waiting_from=Subquery(oldest))
    )


def measures_in_force(*, vendor_id: int, at: dt.datetime | None = None) -> QuerySet[AppliedMeasure]:
    return (
        AppliedMeasure.objects.in_force(at or timezone.now())
        .filter(vendor_id=vendor_id)
        .select_related("product")
    )


def penalty_exit_reasons(vendor: Any) -> list[str]:
    """vendors' exit check (MS-3.1.5 ④): no deposit refund while a penalty is unexecuted."""
    count = PenaltyCase.objects.filter(vendor_id=vendor.pk, status__in=OPEN_STATUSES).count()
    if not count:
        return []
    return [_("%(count)s penalty case(s) not yet closed.") % {"count": count}]
