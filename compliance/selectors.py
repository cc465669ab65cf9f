"""Reads of penalty cases and measures, with the scoping selector vendor pages use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
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
