"""Reads of the sweep's records; the vendor-facing ones go through the scoping selector."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from compliance.models import EvaluationOutcome, RuleEvaluation, VendorNotification
from vendors.selectors import vendor_for_user


def evaluations_for_vendor(*, user: Any) -> QuerySet[RuleEvaluation]:
    """The vendor's own rule outcomes (its dashboard); internal errors are not shown."""
    vendor = vendor_for_user(user=user)
    return (
        RuleEvaluation.objects.filter(vendor=vendor)
        .exclude(outcome=EvaluationOutcome.ERROR)
        .order_by("-as_of", "-pk")
    )


def notifications_for_vendor(*, user: Any) -> QuerySet[VendorNotification]:
    """The vendor's inbox, newest first."""
    vendor = vendor_for_user(user=user)
    return VendorNotification.objects.filter(vendor=vendor).order_by("-created_at", "-pk")


def unread_count(*, user: Any) -> int:
    return notifications_for_vendor(user=user).filter(read_at__isnull=True).count()
