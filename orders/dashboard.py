"""The orders summary on the vendor home page (registered with vendors.dashboard)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from orders.models import DeliveryFailure, Order, Refund

AWAITING_SHOWN = 10


def _reply_deadline(refund: Refund, calendar: Any) -> Any:
    """MS-5.1 / MS-5.2 ①: the vendor's time to answer, from orders' selector when present
    (issue 13's refund pages add it; until then the panel lists the requests without it)."""
    from orders import selectors

    fn = getattr(selectors, "refund_reply_deadline", None)
    return fn(refund, calendar) if fn is not None else None


def _refund_url(refund: Refund) -> str:
    try:
        return reverse("vendor:refund", args=[refund.pk])
    except NoReverseMatch:
        return reverse("vendor:refunds") + "?status=requested"


def panel(request: HttpRequest, vendor: Any):
    from marketplace.workcalendar import WorkCalendar
    from vendors.dashboard import Panel

    # Scoped to the vendor: three counts and the oldest requests awaiting an answer, with
    # their reply deadlines from one working calendar (four queries plus the calendar's).
    awaiting = list(
        Refund.objects.filter(vendor=vendor, status=Refund.Status.REQUESTED)
        .select_related("order__product")
        .order_by("requested_at", "pk")[:AWAITING_SHOWN]
    )
    calendar = WorkCalendar()
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
            "awaiting_rows": [
                {"refund": r, "deadline": _reply_deadline(r, calendar), "url": _refund_url(r)}
                for r in awaiting
            ],
        },
        order=30,
    )
