"""The orders summary on the vendor home page (registered with vendors.dashboard)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from orders.models import DeliveryFailure, Order, Refund


def panel(request: HttpRequest, vendor: Any):
    from vendors.dashboard import Panel

    # Scoped to the vendor: three counts, three queries.
    return Panel(
        template="orders/panel.html",
        context={
            "unfinished": Order.objects.filter(vendor=vendor, status__in=Order.UNFINISHED).count(),
            "awaiting": Refund.objects.filter(
                vendor=vendor, status=Refund.Status.REQUESTED
            ).count(),
            "open_failures": DeliveryFailure.objects.filter(
                vendor=vendor, repaired_at__isnull=True
            ).count(),
        },
        order=30,
    )
