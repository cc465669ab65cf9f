"""MS-2.8: closing the review periods that have ended (called by the compliance sweep).

`Order.review_period_closed` is a DERIVED, NON-AUDITED fact: it is exactly
`review_period_ends_at <= now`, and `review_period_ends_at` itself is audited (history of the
order). Marking it is therefore one set-based UPDATE that writes no history rows
(docs/decisions/sweep.md): at marketplace scale the first run would otherwise write millions
of history rows for a fact the history already implies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from orders.models import Order

__all__ = ["review_periods_close", "review_periods_due"]


def review_periods_due(
    *, until: dt.datetime, vendor_ids: Sequence[int] | None = None
) -> QuerySet[Order]:
    """The orders `review_periods_close` closes: review period ended by `until`, not yet
    marked closed (of `vendor_ids`, or all vendors); served by the partial index on open
    review periods. The sweep counts them with it when it plans, so both see the same rows."""
    orders = Order.objects.filter(
        review_period_closed=False,
        review_period_ends_at__isnull=False,
        review_period_ends_at__lte=until,
    )
    return orders.filter(vendor_id__in=list(vendor_ids)) if vendor_ids is not None else orders


def review_periods_close(
    *,
    until: dt.datetime,
    due: int,
    batch: int,
    vendor_ids: Sequence[int] | None = None,
    actor: Any = None,
) -> tuple[int, bool]:
    """Mark closed the review periods ended by `until` (of `vendor_ids`, or all vendors).

    `due`: how many the caller counted (`review_periods_due(...).count()`); at most `batch`
    are closed, oldest period first. Returns (how many were closed, whether some remain).
    `actor` is not recorded: the flag is derived and writes no history (module docstring).
    """
    periods = review_periods_due(until=until, vendor_ids=vendor_ids)
    # Derived, non-audited flag: a plain set-based UPDATE (see the module docstring).
    if due <= batch:
        # The usual case (a daily run: about a day of orders): one UPDATE over the
        # partial index. (With `id IN (… LIMIT …)` PostgreSQL hash-joins the whole
        # orders table: 0.7 s more at 2,000,000 orders.)
        return periods.update(review_period_closed=True), False
    # A backlog (first deployment, a stopped sweep): the oldest `batch` only.
    oldest = periods.order_by("review_period_ends_at", "pk").values("pk")[:batch]
    closed = Order.objects.filter(pk__in=oldest).update(review_period_closed=True)
    return closed, periods.exists()
