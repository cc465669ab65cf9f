"""Pieces shared by the vendors admins: read-only bases and annotations."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.money import ZERO
from marketplace.timeutils import china_date
from vendors.models import DepositEntry, TopUpObligation, VendorDocument
from vendors.models.onboarding import EXPIRY_WARNING_DAYS

MONEY = DecimalField(max_digits=14, decimal_places=2)


def today() -> dt.date:
    return china_date(timezone.now())


def balance_subquery(vendor_ref: str = "pk"):
    sums = (
        DepositEntry.objects.filter(vendor=OuterRef(vendor_ref))
        .order_by()
        .values("vendor")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    return Coalesce(Subquery(sums, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _count_subquery(qs):
    counted = qs.order_by().values("vendor").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def open_obligations_subquery(vendor_ref: str = "pk"):
    return _count_subquery(
        TopUpObligation.objects.filter(vendor=OuterRef(vendor_ref), closed_at__isnull=True)
    )


def expiring_documents_subquery(vendor_ref: str = "pk"):
    """Current documents expired or expiring within 30 days (MS-6.1.1)."""
    limit = today() + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    return _count_subquery(
        VendorDocument.objects.filter(
            vendor=OuterRef(vendor_ref), replaced_at__isnull=True, valid_until__lte=limit
        )
    )


class NoDeleteMixin:
    def has_delete_permission(self, request, obj=None) -> bool:
        return False
