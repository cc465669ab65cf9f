"""MS-8.4.1: on a vendor's exit every order whose service is unfinished or not started is
refunded in full, at once and set-based.

One run, whatever the number of orders (the `test_ms_8_4_1_query_count_constant` test):
lock the orders (1), read what refunds already hold on them (1), reject the requests still in
negotiation, superseded by the exit refund (1 read + 1 update + 1 history insert), insert the
exit refunds and their history rows (2), the clawbacks of settled money and their history rows
(2, MS-5.6). The outbox event per order (`order.refund_on_exit`) is the feed's own insert.

Idempotent: an exit refund takes what is left on the order, so a rerun finds nothing left and
creates nothing; the unique (order, external ID `exit:<exit id>`) is the backstop. Two runs at
once: the orders are locked in primary-key order first, so the second waits, then reads the
first one's refunds and skips (proven on PostgreSQL by `test_ms_8_4_1_concurrent_runs`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from marketplace.money import ZERO, to_money
from marketplace.outbox import event_emit_many
from marketplace.service_helpers import lock_in_pk_order
from orders.models import (
    Clawback,
    Order,
    PlatformRefundGround,
    Refund,
    RefundBasis,
    RefundReason,
)

EXIT_PREFIX = "exit:"
BATCH = 500


def exit_external_id(exit_id: int) -> str:
    return f"{EXIT_PREFIX}{exit_id}"


def _refund_on_exit_event(order: Order, refund: Refund) -> tuple[int, dict, str]:
    """(order, payload, sales channel) of the feed's order.refund_on_exit event."""
    payload = {
        "order_id": order.pk,
        "external_id": order.external_id,
        "channel": order.channel,
        "buyer_account_id": order.buyer_account_id,
        "refund_id": refund.pk,
        "amount": str(refund.approved_amount),
        "currency": "CNY",
        "reason": "MS-8.4.1",
    }
    return order.pk, payload, order.channel


@transaction.atomic
def orders_refund_on_exit(
    *,
    exits: Mapping[int, int],
    actor: Any,
    reason: str,
    at: dt.datetime,
) -> list[Refund]:
    """Refund in full every unfinished order of the vendors in `exits` ({vendor id: exit id}).

    Returns the refunds created (empty on a rerun). Each refund is approved by the platform
    on the MS-5.2 ④ ground "vendor's business ended", basis MS-8.4.1, reason and actor in its
    history; settled money is clawed back (MS-5.6); the buyer's storefront is told.
    """
    if not exits:
        return []
    user = actor if getattr(actor, "pk", None) else None
    orders = list(
        lock_in_pk_order(
            Order.objects.filter(vendor_id__in=list(exits), status__in=Order.UNFINISHED)
        ).only(
            "pk",
            "vendor_id",
            "external_id",
            "channel",
            "buyer_account_id",
            "amount",
            "settled_at",
            "settled_amount",
            "review_rule",
            "status",
        )
    )
    if not orders:
        return []
    ids = [o.pk for o in orders]
    committed = dict(
        Refund.objects.filter(order_id__in=ids, status__in=Refund.COMMITTED)
        .values("order_id")
        .annotate(s=Sum("approved_amount"))
        .values_list("order_id", "s")
    )
    # Requests still in negotiation are superseded: the exit refund pays all that is left.
    open_requests = list(
        lock_in_pk_order(Refund.objects.filter(order_id__in=ids, status__in=Refund.OPEN))
    )
    superseded = "MS-8.4.1: superseded by the full refund on the vendor's exit"
    for request in open_requests:
        request.supersede_on_exit()  # in memory; written below in one bulk update
        request.decided_by, request.decided_at = user, at
        request.decision_reason = superseded
    if open_requests:
        bulk_update_with_history(
            open_requests,
            Refund,
            ["status", "decided_by", "decided_at", "decision_reason"],
            batch_size=BATCH,
            default_user=user,
            default_change_reason=superseded,
            default_date=at,
        )
    refunds: list[Refund] = []
    for order in orders:
        already = to_money(committed.get(order.pk) or ZERO)
        left = order.amount - already
        if left <= 0:
            continue  # refunded already (a rerun, or a refund agreed before the exit)
        refunds.append(
            Refund(
                order_id=order.pk,
                vendor_id=order.vendor_id,
                external_id=exit_external_id(exits[order.vendor_id]),
                reason_code=RefundReason.VENDOR_EXIT,
                counts_against_vendor=False,  # MS-5.8: not a buyer's complaint
                amount_requested=left,
                description=reason,
                requested_at=at,
                paid_amount=order.amount,
                already_refunded=already,
                review_rule=order.review_rule,
                in_review_period=False,
                consumed_fraction=Decimal("0"),
                platform_ground=PlatformRefundGround.BUSINESS_ENDED,
                basis=RefundBasis.VENDOR_EXIT,
                computed_amount=left,
                approved_amount=left,
                status=Refund.Status.APPROVED,
                decided_by=user,
                decided_at=at,
                decision_reason=reason,
            )
        )
    if not refunds:
        return []
    history_reason = f"MS-8.4.1: {reason}"
    refunds = bulk_create_with_history(
        refunds,
        Refund,
        batch_size=BATCH,
        default_user=user,
        default_change_reason=history_reason,
        default_date=at,
    )
    by_pk = {o.pk: o for o in orders}
    clawbacks = []
    for refund in refunds:
        order = by_pk[refund.order_id]
        if order.settled_at is None or not order.settled_amount:
            continue
        # MS-5.6: the vendor's share of what is refunded, as refund_mark_refunded computes it.
        share = to_money(refund.approved_amount * order.settled_amount / order.amount)
        if share > 0:
            clawbacks.append(
                Clawback(
                    refund_id=refund.pk,
                    order_id=order.pk,
                    vendor_id=order.vendor_id,
                    amount=share,
                    created_at=at,
                )
            )
    if clawbacks:
        bulk_create_with_history(
            clawbacks,
            Clawback,
            batch_size=BATCH,
            default_user=user,
            default_change_reason="MS-5.6 settled share of a refund on exit (MS-8.4.1)",
            default_date=at,
        )
    # The buyers' storefronts are told in the same transaction, in one insert (MS-8.4.1).
    event_emit_many(
        kind="order.refund_on_exit",
        model=Order,
        items=[_refund_on_exit_event(by_pk[r.order_id], r) for r in refunds],
    )
    return refunds


def on_vendor_exit_started(
    sender: Any, exit: Any, actor: Any, at: dt.datetime, **kwargs: Any
) -> int:
    """Receiver of vendors.signals.vendor_exit_started (inside the exit's transaction)."""
    refunds = orders_refund_on_exit(
        exits={exit.vendor_id: exit.pk},
        actor=actor,
        reason=str(exit.get_cause_display()),
        at=at,
    )
    return len(refunds)
