"""Order services: creation by the storefront, delivery, service confirmation, completion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, ProductKind, ReviewPeriodRule, Specification, zero_price_refused
from marketplace.audit import save_audited
from marketplace.exceptions import DomainError, StateConflict, ValidationFailed
from marketplace.money import to_money
from marketplace.service_helpers import lock_row, run_transition
from marketplace.timeutils import china_date, end_of_day
from orders import signals
from orders.exceptions import AmountInvalid, ExternalIdConflict
from orders.models import DeliveryFailure, Order, RenewalPart
from orders.refdata import RefData
from orders.refdata import current as refdata_current
from orders.services.common import (
    Precompiled,
    insert_once_with_history,
    reason_with_caller,
    split_api_caller,
)
from orders.services.times import require_aware, require_not_before, require_not_future
from vendors.models import Vendor

__all__ = [
    "DeliveryOutcome",
    "order_close",
    "order_complete",
    "order_confirm_service",
    "order_create",
    "order_report_delivery",
    "order_settle",
    "review_period_end",
]


class DeliveryOutcome:
    STARTED = "started"
    DELIVERED = "delivered"
    FAILED = "failed"
    REPAIRED = "repaired"
    ALL = (STARTED, DELIVERED, FAILED, REPAIRED)


def review_period_end(*, rule: str, days: int | None, paid_at: dt.datetime) -> dt.datetime | None:
    """MS-2.8: the end of the review period, for kinds that count days.

    The purchase day (China time) is day 1; the period ends at the end of day `days`
    (bought 07-01 with 5 days → ends 07-05 23:59:59.999999 China time). Ops and manual
    services end at confirmation (set then), tools have none.
    """
    if rule != ReviewPeriodRule.DAYS_FROM_PURCHASE or not days:
        return None
    return end_of_day(china_date(paid_at) + dt.timedelta(days=days - 1))


class _Sellable(NamedTuple):
    """What an order needs of its specification, product, vendor and store (one query)."""

    price: Decimal
    active: bool
    billing_period: str
    product_id: int
    kind: str
    sales_mode: str
    saas_delivered: bool
    product_status: str
    category_id: int
    vendor_id: int
    vendor_status: str
    store_id: int | None
    store_trading: bool | None
    store_closed: bool | None


_SELLABLE_COLUMNS = (
    "price",
    "active",
    "billing_period",
    "product_id",
    "product__kind",
    "product__sales_mode",
    "product__saas_delivered",
    "product__status",
    "product__category_id",
    "product__vendor_id",
    "product__vendor__status",
    "product__vendor__store__id",
    "product__vendor__store__trading",
    "product__vendor__store__closed",
)


_SELLABLE = Precompiled(
    lambda pk: Specification.objects.filter(pk=pk).order_by().values_list(*_SELLABLE_COLUMNS),
    -1,
)


def _sellable(specification_id: int, using: str) -> _Sellable | None:
    rows = _SELLABLE.rows(specification_id, using=using)
    if rows is None:  # a database whose values need converting: the ORM does it
        rows = list(_SELLABLE.build(specification_id).using(using))
    return _Sellable(*rows[0]) if rows else None


# MS-8.4.2: vendors whose exit has begun (or who were evicted) sell nothing new.
EXITED_STATUSES = (Vendor.Status.EXITING, Vendor.Status.EXITED, Vendor.Status.EVICTED)


def _renewed_order(
    renewal_of: int | None,
    renewal_part: str,
    *,
    channel: str,
    buyer: str,
    spec: _Sellable,
    using: str,
) -> Order | None:
    """MS-8.4.2: the earlier order a renewal is for: same channel, buyer and product."""
    if renewal_of is None and not renewal_part:
        return None
    if renewal_of is None or renewal_part not in RenewalPart.values:
        raise ValidationFailed(
            _("A renewal names the order it renews (renewal_of) and the part (renewal_part)."),
            code="renewal_incomplete",
        )
    renewed = (
        Order.objects.using(using)
        .filter(pk=renewal_of, channel=channel, buyer_account_id=buyer, product_id=spec.product_id)
        .first()
    )
    if renewed is None:
        raise ValidationFailed(
            _("Order %(id)s is not an order of this buyer for this product."),
            code="renewal_unknown_order",
            id=renewal_of,
        )
    return renewed


def _check_orderable(spec: _Sellable, amount: Decimal) -> None:
    # An exited, suspended or evicted vendor sells nothing new (MS-8.4.2).
    if spec.vendor_status != Vendor.Status.ACTIVE:
        raise StateConflict(_("The vendor is not active."), code="vendor_not_active")
    # Only listed products of a store open for trading are sold (MS-4.1.1, MS-3.1.5 ③).
    if spec.product_status != Product.Status.LISTED or not spec.active:
        raise StateConflict(_("This product is not on sale."), code="product_not_on_sale")
    if spec.store_id is None or not spec.store_trading or spec.store_closed:
        raise StateConflict(
            _("The vendor's store is not open for trading."), code="store_not_trading"
        )
    # MS-4.1.5: no 0-price order for access-type SaaS or manual services.
    if zero_price_refused(kind=spec.kind, price=spec.price, is_trial=False):
        raise ValidationFailed(
            _("Access-type SaaS and manual-service products cannot be ordered at price 0."),
            code="zero_price_order",
        )


def _check_amount(spec: _Sellable, amount: Decimal, discount_reason: str) -> None:
    """MS-2.7: the buyer pays the specification's price for its billing period.

    Less only with a stated discount reason (recorded on the order); never more.
    """
    if amount > spec.price:
        raise ValidationFailed(
            _("The amount %(amount)s is above the specification's list price %(price)s."),
            code="amount_above_price",
            field="amount",
            amount=str(amount),
            price=str(spec.price),
        )
    if amount < spec.price and not discount_reason:
        raise ValidationFailed(
            _(
                "The amount %(amount)s does not match the specification's price %(price)s; "
                "a lower amount needs a discount_reason."
            ),
            code="amount_mismatch",
            field="amount",
            amount=str(amount),
            price=str(spec.price),
        )


def _same_order(order: Order, data: dict[str, Any]) -> bool:
    return (
        order.buyer_account_id == data["buyer_account_id"]
        and order.specification_id == data["specification_id"]
        and order.amount == data["amount"]
        and order.paid_at == data["paid_at"]
        and order.discount_reason == data["discount_reason"]
    )


_EXISTING = Precompiled(
    lambda channel, external_id: Order.objects.filter(
        channel=channel, external_id=external_id
    ).order_by()[:1],
    "\x00channel",
    "\x00external_id",
)


def _existing(channel: str, external_id: str, using: str = "default") -> Order | None:
    """The order of this idempotency key, if any (the retry's one lookup)."""
    rows = _EXISTING.rows(channel, external_id, using=using)
    if rows is None:
        return next(iter(_EXISTING.build(channel, external_id).using(using)), None)
    columns = _EXISTING.columns(using)
    return Order.from_db(using, columns, rows[0]) if rows else None


def order_create(
    *,
    channel: str,
    external_id: str,
    buyer_account_id: str,
    specification_id: int,
    amount: Decimal | str,
    paid_at: dt.datetime,
    discount_reason: str = "",
    renewal_of: int | None = None,
    renewal_part: str = "",
    actor: Any = None,
    received_at: dt.datetime | None = None,
    refdata: RefData | None = None,
) -> tuple[Order, bool]:
    """Record a paid order; idempotent on (channel, external ID).

    Returns (order, created). The same external ID with the same data returns the existing
    order; with different data it is a conflict (409). Concurrent duplicates are settled by
    the unique constraint: on PostgreSQL the order and its history row are written by one
    `INSERT … ON CONFLICT DO NOTHING` statement, elsewhere inside a savepoint; exactly one
    row is ever written and the losers answer as retries.

    `paid_at` may not lie in the future (beyond the clock skew); `received_at` is our clock
    (default now), given only when seeding past history. The amount must be the
    specification's price unless `discount_reason` states why it is lower (MS-2.7).

    Kind policies and fee rates come from `refdata` (the API passes the one its
    authentication checked; default: `orders.refdata.current()`).

    Queries (PostgreSQL): a retry 1 (the existing order); a creation 3 (the existing order,
    the specification with its product, vendor and store, the insert), plus the stamp when
    `refdata` is not given and one per cached table after a reference-data change.
    """
    caller, actor = split_api_caller(actor)
    require_aware(paid_at, "paid_at")
    require_not_future(paid_at, field="paid_at", received_at=received_at)
    discount_reason = (discount_reason or "").strip()
    amount = to_money(amount)
    if amount <= 0:
        raise AmountInvalid()
    if not buyer_account_id.strip():
        raise ValidationFailed(_("The buyer account is required."), code="buyer_required")
    data = {
        "buyer_account_id": buyer_account_id,
        "specification_id": specification_id,
        "amount": amount,
        "paid_at": paid_at,
        "discount_reason": discount_reason,
    }
    using = router.db_for_write(Order)
    existing = _existing(channel, external_id, using)
    if existing is not None:
        return _idempotent(existing, data, external_id)

    spec = _sellable(specification_id, using)
    if spec is None:
        raise ValidationFailed(
            _("Unknown specification %(id)s."), code="unknown_specification", id=specification_id
        )
    renewed = _renewed_order(
        renewal_of, renewal_part, channel=channel, buyer=buyer_account_id, spec=spec, using=using
    )
    # MS-8.4.2: after a vendor's exit only the cloud's own part of a sold product is renewed.
    cloud_renewal_after_exit = spec.vendor_status in EXITED_STATUSES and (
        renewed is not None and renewal_part == RenewalPart.CLOUD
    )
    if spec.vendor_status in EXITED_STATUSES and not cloud_renewal_after_exit:
        raise StateConflict(
            _(
                "The vendor has left the marketplace: its products cannot be ordered; only "
                "the cloud's own part of an order it sold can be renewed (MS-8.4.2)."
            ),
            code="vendor_exited",
        )
    if not cloud_renewal_after_exit:
        _check_orderable(spec, amount)
        _check_amount(spec, amount, discount_reason)
    if refdata is None:
        refdata = refdata_current()
    try:
        policy = refdata.kind_policy(spec.kind, paid_at)
        fee_rate = refdata.service_fee_rate(spec.category_id, paid_at)
    except DomainError as exc:
        # A gap in the platform's rule data is a conflict, not "not found" for the caller.
        raise StateConflict(exc.message, code=exc.code, **exc.params) from exc

    rule = policy.review_period_rule
    if cloud_renewal_after_exit:
        # The cloud's own part: all of it is the platform's, nothing settles to the vendor.
        fee_rate = Decimal("1.0000")
    order = Order(
        channel=channel,
        external_id=external_id,
        created_by=caller,
        buyer_account_id=buyer_account_id,
        vendor_id=spec.vendor_id,
        product_id=spec.product_id,
        specification_id=specification_id,
        kind=spec.kind,
        sales_mode=spec.sales_mode,
        saas_delivered=spec.saas_delivered,
        unit_price=spec.price,
        billing_period=spec.billing_period,
        service_fee_rate=fee_rate,
        amount=amount,
        discount_amount=max(spec.price - amount, Decimal("0.00")),
        discount_reason=discount_reason,
        paid_at=paid_at,
        review_rule=rule,
        review_days=policy.review_period_days,
        refundable=policy.refundable,
        review_period_ends_at=review_period_end(
            rule=rule, days=policy.review_period_days, paid_at=paid_at
        ),
        # Kinds without a review period (tools) have nothing for the sweep to close.
        review_period_closed=rule == ReviewPeriodRule.NONE,
        renewal_of_id=renewed.pk if renewed is not None else None,
        renewal_part=renewal_part if renewed is not None else "",
    )
    reason = reason_with_caller("order paid", caller)
    if connections[using].vendor == "postgresql":
        created = insert_once_with_history(
            order,
            conflict_fields=("channel", "external_id"),
            actor=actor,
            reason=reason,
            using=using,
        )
        if created:
            order._loaded_buyer = buyer_account_id  # as Order.save() leaves it (UA-4.3)
    else:
        try:
            with transaction.atomic(using=using):
                save_audited(order, actor=actor, reason=reason)
            created = True
        except IntegrityError:
            if _existing(channel, external_id, using) is None:
                raise  # not the idempotency key
            created = False
    if not created:
        # A concurrent duplicate won the race: answer as the retry it is.
        existing = _existing(channel, external_id, using)
        if existing is None:  # pragma: no cover - the conflicting row is committed and kept
            raise IntegrityError(f"order {channel}/{external_id} conflicted but is not visible")
        return _idempotent(existing, data, external_id)
    return order, True


def _idempotent(existing: Order, data: dict[str, Any], external_id: str) -> tuple[Order, bool]:
    if not _same_order(existing, data):
        raise ExternalIdConflict(external_id=external_id)
    return existing, False


@transaction.atomic
def order_report_delivery(
    *,
    order: Order,
    outcome: str,
    at: dt.datetime,
    reason: str = "",
    actor: Any = None,
    received_at: dt.datetime | None = None,
) -> Order:
    """Record delivery progress: started, delivered, failed (with a reason) or repaired.

    A repeated report of the state already reached is a no-op. `at` lies between the payment
    (the repair: the failure) and our clock plus the allowed skew (MS-4.2's clocks start
    from it, so a future failure would start them late).

    Ops and manual services start their service on delivery. A failure is only for
    SaaS-delivered orders (MS-4.2): it opens a DeliveryFailure and tells compliance on commit.
    """
    caller, actor = split_api_caller(actor)
    require_aware(at, "at")
    require_not_future(at, field="at", received_at=received_at)
    order = lock_row(Order, order.pk)
    require_not_before(at, order.paid_at, field="at", event=_("payment"))
    if outcome == DeliveryOutcome.STARTED:
        if order.status == Order.Status.DELIVERING:
            return order
        run_transition(order, "start_delivery", actor=actor)
        save_audited(
            order,
            actor=actor,
            reason=reason_with_caller("delivery started", caller),
            update_fields=["status"],
        )
        return order
    if outcome == DeliveryOutcome.DELIVERED:
        return _deliver(order, at=at, caller=caller, actor=actor)
    if outcome == DeliveryOutcome.FAILED:
        if not reason.strip():
            raise ValidationFailed(_("A delivery failure needs a reason."), code="reason_required")
        return _fail(order, at=at, reason=reason, caller=caller, actor=actor)
    if outcome == DeliveryOutcome.REPAIRED:
        return _repair(order, at=at, caller=caller, actor=actor)
    raise ValidationFailed(_("Unknown delivery outcome."), code="unknown_outcome")


def _deliver(order: Order, *, at, caller, actor) -> Order:
    service_kind = order.review_rule == ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED
    target = Order.Status.IN_SERVICE if service_kind else Order.Status.DELIVERED
    if order.status == target:
        return order
    if service_kind:
        run_transition(order, "start_service", actor=actor)
        fields = ["status"]
    else:
        run_transition(order, "deliver", actor=actor, at=at)
        fields = ["status", "delivered_at"]
    save_audited(
        order, actor=actor, reason=reason_with_caller("delivered", caller), update_fields=fields
    )
    return order


def _fail(order: Order, *, at, reason, caller, actor) -> Order:
    if order.status == Order.Status.DELIVERY_FAILED:
        return order  # the same failure reported again
    if not (order.saas_delivered or order.kind == ProductKind.SAAS):
        raise StateConflict(
            _("Only SaaS-delivered orders record a delivery failure (MS-4.2)."),
            code="not_saas_delivered",
        )
    run_transition(order, "fail_delivery", actor=actor)
    save_audited(
        order,
        actor=actor,
        reason=reason_with_caller(f"delivery failed: {reason}", caller),
        update_fields=["status"],
    )
    failure = DeliveryFailure(
        order=order,
        vendor_id=order.vendor_id,
        product_id=order.product_id,
        failed_at=at,
        reason=reason,
    )
    save_audited(failure, actor=actor, reason=reason_with_caller("MS-4.2 delivery failed", caller))
    # MS-4.2: compliance hides the product at once; sent only if this commits.
    transaction.on_commit(
        lambda: signals.saas_delivery_failed.send(
            sender=DeliveryFailure,
            failure_id=failure.pk,
            vendor_id=failure.vendor_id,
            product_id=failure.product_id,
        )
    )
    return order


def _repair(order: Order, *, at, caller, actor) -> Order:
    failure = (
        DeliveryFailure.objects.select_for_update(of=("self",))
        .filter(order=order, repaired_at__isnull=True)
        .first()
    )
    if failure is None and order.status == Order.Status.DELIVERED:
        if order.delivery_failures.exists():
            return order  # the repair reported again
    if failure is not None and at < failure.failed_at:
        raise ValidationFailed(
            _("%(field)s: a repair cannot be earlier than the failure."),
            code="repair_before_failure",
            field="at",
        )
    run_transition(order, "repair_delivery", actor=actor, at=at)
    save_audited(
        order,
        actor=actor,
        reason=reason_with_caller("delivery repaired", caller),
        update_fields=["status", "delivered_at"],
    )
    if failure is not None:
        failure.repaired_at = at
        save_audited(
            failure,
            actor=actor,
            reason=reason_with_caller("MS-4.2 delivery repaired", caller),
            update_fields=["repaired_at"],
        )
        transaction.on_commit(
            lambda: signals.saas_delivery_repaired.send(
                sender=DeliveryFailure,
                failure_id=failure.pk,
                vendor_id=failure.vendor_id,
                product_id=failure.product_id,
            )
        )
    return order


@transaction.atomic
def order_confirm_service(
    *,
    order: Order,
    at: dt.datetime,
    actor: Any = None,
    reason: str = "service confirmed complete",
    time_field: str = "at",
    received_at: dt.datetime | None = None,
) -> Order:
    """MS-2.8 / MS-5.4.1: the buyer confirmed the ops or manual service complete.

    Confirmation ends the review period. A repeated confirmation is a no-op. `at` lies
    between the payment and our clock plus the allowed skew; `time_field` is the caller's
    name of it, for the error.
    """
    caller, actor = split_api_caller(actor)
    require_aware(at, time_field)
    require_not_future(at, field=time_field, received_at=received_at)
    order = lock_row(Order, order.pk)
    if order.review_rule != ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED:
        raise StateConflict(
            _("Only ops and manual services are confirmed complete."), code="not_a_service"
        )
    if order.status == Order.Status.SERVICE_CONFIRMED:
        return order
    if at < order.paid_at:
        raise ValidationFailed(
            _("%(field)s: a confirmation cannot be earlier than the payment."),
            code="before_payment",
            field=time_field,
        )
    run_transition(order, "confirm_service", actor=actor, at=at)
    save_audited(
        order,
        actor=actor,
        reason=reason_with_caller(reason, caller),
        update_fields=[
            "status",
            "service_confirmed_at",
            "review_period_ends_at",
            "review_period_closed",
        ],
    )
    return order


@transaction.atomic
def order_complete(
    *, order: Order, actor: Any, reason: str, at: dt.datetime | None = None
) -> Order:
    order = lock_row(Order, order.pk)
    run_transition(order, "complete", actor=actor, at=at or timezone.now())
    save_audited(order, actor=actor, reason=reason, update_fields=["status", "completed_at"])
    return order


@transaction.atomic
def order_close(*, order: Order, actor: Any, reason: str) -> Order:
    order = lock_row(Order, order.pk)
    run_transition(order, "close", actor=actor)
    save_audited(order, actor=actor, reason=reason, update_fields=["status"])
    return order


@transaction.atomic
def order_settle(*, order: Order, actor: Any, reason: str, at: dt.datetime | None = None) -> Order:
    """MS-5.6: record that the vendor's share was settled to it (net of the service fee)."""
    order = lock_row(Order, order.pk)
    if order.settled_at is not None:
        raise StateConflict(_("This order was already settled."), code="already_settled")
    if order.status in Order.TERMINAL:
        raise StateConflict(_("A refunded or closed order is not settled."), code="not_settleable")
    from orders.models import StatementLine

    if StatementLine.objects.filter(order=order, kind=StatementLine.Kind.ORDER).exists():
        # Settled by its statement (paid with it): settling by hand too would pay twice.
        raise StateConflict(
            _("This order is on a settlement statement; it is settled with it."),
            code="on_statement",
        )
    order.settled_at = at or timezone.now()
    order.settled_amount = vendor_share(order.amount, order.service_fee_rate)
    save_audited(order, actor=actor, reason=reason, update_fields=["settled_at", "settled_amount"])
    return order


def vendor_share(amount: Decimal, fee_rate: Decimal) -> Decimal:
    """What the vendor receives of `amount`: the amount less the platform service fee."""
    return to_money(amount - to_money(amount * fee_rate))
