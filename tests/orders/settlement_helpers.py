"""Helpers of the settlement tests: orders, refunds paid and clawbacks at given moments."""

from __future__ import annotations

import datetime as dt
import itertools

from catalog.models import SalesMode
from marketplace.timeutils import CHINA_TZ
from orders.services import refund_mark_refunded, refund_request, refund_vendor_agree
from tests.orders.factories import make_order

_ext = itertools.count(1)


def at(month: int, day: int = 10, hour: int = 12, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=CHINA_TZ)


def order(
    vendor=None,
    amount: str = "100.00",
    when: dt.datetime | None = None,
    mode: str = SalesMode.PLATFORM,
):
    return make_order(vendor=vendor, amount=amount, paid_at=when or at(7), sales_mode=mode)


def refund_paid(the_order, amount: str, when: dt.datetime):
    """A refund asked, agreed by the vendor and paid at `when` (seeded history)."""
    refund, _created = refund_request(
        order=the_order,
        external_id=f"R-{next(_ext)}",
        reason_code="no_longer_needed",
        amount_requested=amount,
        requested_at=when,
        received_at=when,
    )
    refund = refund_vendor_agree(refund=refund, actor=None)
    return refund_mark_refunded(refund=refund, actor=None, reason="paid back", at=when)
