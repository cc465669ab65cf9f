"""MS-8.4.1 refunds on exit (set-based, idempotent, clawbacks, events) and MS-8.4.2 orders
after exit (refused, except renewals of the cloud's own part)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import ProductKind
from orders.models import Clawback, Order, Refund, RefundReason
from orders.services import refund_request
from orders.services.exit import orders_refund_on_exit
from tests.feed import EXIT_EVENTS, FeedEvents
from tests.orders.factories import PAID_AT, make_account, make_order, make_spec
from tests.threads import errors_of, run_concurrently
from tests.vendors.factories import active_vendor
from vendors.models import Vendor, VendorExit
from vendors.services import exit_request, exit_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    """What the storefront and billing feed received on exit (MS-8.4.1): the outbox's rows."""
    return FeedEvents(EXIT_EVENTS)


def _exit_for(vendor) -> VendorExit:
    # An exit row to name the refunds after (its start is exercised in tests/vendors).
    return exit_request(vendor=vendor, actor=None, reason="leaving")


def _vendor_with_orders(n: int, *, settled: int = 0):
    vendor = active_vendor()
    orders = [make_order(vendor=vendor, amount="100.00") for _ in range(n)]
    for order in orders[:settled]:
        order.settled_at, order.settled_amount = timezone.now(), Decimal("90.00")
        order.save(update_fields=["settled_at", "settled_amount"])
    return vendor, orders


def _run(vendor, exit_):
    return orders_refund_on_exit(
        exits={vendor.pk: exit_.pk}, actor=None, reason="MS-8.4.1 test", at=timezone.now()
    )


def test_ms_8_4_1_every_unfinished_order_refunded_in_full_with_reason(events):
    vendor, orders = _vendor_with_orders(3)
    done = make_order(vendor=vendor)
    done.status = Order.Status.COMPLETED
    done.save(update_fields=["status"])
    exit_ = _exit_for(vendor)
    refunds = _run(vendor, exit_)
    assert sorted(r.order_id for r in refunds) == sorted(o.pk for o in orders)
    for refund in Refund.objects.filter(vendor=vendor):
        assert refund.status == Refund.Status.APPROVED
        assert refund.approved_amount == refund.paid_amount == Decimal("100.00")
        assert refund.reason_code == RefundReason.VENDOR_EXIT and not refund.counts_against_vendor
        assert refund.external_id == f"exit:{exit_.pk}"
        assert refund.history.first().history_change_reason == "MS-8.4.1: MS-8.4.1 test"
    assert not Refund.objects.filter(order=done).exists()
    assert sorted(e[1] for e in events) == sorted(o.pk for o in orders)
    assert {e[0] for e in events} == {"order.refund_on_exit"}
    assert events[0][2]["amount"] == "100.00"


def test_ms_8_4_1_rerun_creates_nothing(events):
    vendor, _orders = _vendor_with_orders(2, settled=1)
    exit_ = _exit_for(vendor)
    assert len(_run(vendor, exit_)) == 2
    assert _run(vendor, exit_) == []
    assert Refund.objects.filter(vendor=vendor).count() == 2
    assert Clawback.objects.filter(vendor=vendor).count() == 1
    assert len(events) == 2


def test_ms_8_4_1_ms_5_6_clawback_where_money_was_settled(events):
    vendor, orders = _vendor_with_orders(2, settled=1)
    _run(vendor, _exit_for(vendor))
    clawback = Clawback.objects.get(vendor=vendor)
    assert clawback.order_id == orders[0].pk and clawback.amount == Decimal("90.00")
    assert clawback.history.count() == 1
    # Paying the refund later raises no second clawback.
    from orders.services import refund_mark_refunded

    refund_mark_refunded(refund=clawback.refund, actor=None, reason="paid")
    assert Clawback.objects.filter(vendor=vendor).count() == 1


def test_ms_8_4_1_only_what_is_left_is_refunded_and_open_requests_are_superseded(events):
    vendor, orders = _vendor_with_orders(1)
    open_request, _created = refund_request(
        order=orders[0],
        external_id="R-1",
        reason_code="bought_by_mistake",
        amount_requested="40.00",
    )
    exit_ = _exit_for(vendor)
    (refund,) = _run(vendor, exit_)
    assert refund.approved_amount == Decimal("100.00")
    open_request.refresh_from_db()
    assert open_request.status == Refund.Status.REJECTED
    assert "superseded" in open_request.decision_reason
    assert open_request.history.first().history_change_reason.startswith("MS-8.4.1")


def test_ms_8_4_1_query_count_constant(events):
    counts = []
    for n in (2, 6):
        vendor, _orders = _vendor_with_orders(n, settled=1)
        refund_request(
            order=_orders[-1], external_id=f"R-{n}", reason_code="other", amount_requested="10.00"
        )
        exit_ = _exit_for(vendor)
        with CaptureQueriesContext(connection) as ctx:
            created = _run(vendor, exit_)
        assert len(created) == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_ms_8_4_1_exit_of_one_vendor_leaves_others_alone(events):
    vendor, _orders = _vendor_with_orders(1)
    other, _other_orders = _vendor_with_orders(2)
    _run(vendor, _exit_for(vendor))
    assert not Refund.objects.filter(vendor=other).exists()


# --- MS-8.4.2 orders after exit -------------------------------------------------------------


def _post_order(client, token, spec, external_id, **extra):
    body = {
        "external_id": external_id,
        "buyer_account_id": "200000000001",
        "specification_id": spec.pk,
        "amount": "100.00",
        "paid_at": PAID_AT.isoformat(),
        **extra,
    }
    return client.post(
        "/api/v1/orders/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_ms_8_4_2_new_orders_refused_after_exit_nothing_written(client, events):
    vendor = active_vendor()
    spec = make_spec(vendor=vendor, kind=ProductKind.IMAGE)
    _account, token = make_account()
    exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="ended")
    before = Order.objects.count()
    response = _post_order(client, token, spec, "AFTER-1")
    assert response.status_code == 409
    assert response.json()["code"] == "vendor_exited"
    assert Order.objects.count() == before


def test_ms_8_4_2_only_renewal_of_the_clouds_own_part_is_accepted(client, events):
    vendor = active_vendor()
    spec = make_spec(vendor=vendor, kind=ProductKind.IMAGE)
    _account, token = make_account()
    first = _post_order(client, token, spec, "SOLD-1")
    assert first.status_code == 201
    sold = first.json()["id"]
    exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="ended")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.EXITING

    refused = _post_order(client, token, spec, "RENEW-V", renewal_of=sold, renewal_part="vendor")
    assert refused.status_code == 409 and refused.json()["code"] == "vendor_exited"
    unnamed = _post_order(client, token, spec, "RENEW-X", renewal_part="cloud")
    assert unnamed.status_code == 400 and unnamed.json()["code"] == "renewal_incomplete"

    accepted = _post_order(
        client, token, spec, "RENEW-C", renewal_of=sold, renewal_part="cloud", amount="30.00"
    )
    assert accepted.status_code == 201, accepted.content
    body = accepted.json()
    assert body["renewal_of"] == sold and body["renewal_part"] == "cloud"
    order = Order.objects.get(pk=body["id"])
    # The cloud's own part: nothing of it settles to the exited vendor.
    assert order.service_fee_rate == Decimal("1.0000")


def test_ms_8_4_2_renewal_of_another_buyers_order_is_refused(client, events):
    vendor = active_vendor()
    spec = make_spec(vendor=vendor, kind=ProductKind.IMAGE)
    _account, token = make_account()
    sold = _post_order(client, token, spec, "SOLD-9").json()["id"]
    body = {
        "external_id": "RENEW-OTHER",
        "buyer_account_id": "200000000999",
        "specification_id": spec.pk,
        "amount": "30.00",
        "paid_at": PAID_AT.isoformat(),
        "renewal_of": sold,
        "renewal_part": "cloud",
    }
    response = client.post(
        "/api/v1/orders/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400 and response.json()["code"] == "renewal_unknown_order"


def test_ms_8_4_2_renewal_part_documented_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "renewal_part" in schema and "renewal_of" in schema
    assert "MS-8.4.2" in schema


# --- PostgreSQL: two exit runs at once refund each order once ---------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ms_8_4_1_concurrent_runs_refund_each_order_once():
    vendor, _orders = _vendor_with_orders(20, settled=5)
    exit_ = _exit_for(vendor)

    def work() -> int:
        return len(_run(vendor, exit_))

    outcomes = run_concurrently(work, work)
    assert errors_of(outcomes) == []
    assert sorted(outcome.value for outcome in outcomes) == [0, 20]
    assert Refund.objects.filter(vendor=vendor).count() == 20
    assert Clawback.objects.filter(vendor=vendor).count() == 5


def test_ms_2_3_ua_2_3_every_product_kind_is_refunded_in_full_on_exit(events):
    """MS-2.3 kinds (image, software, SaaS, ops, manual, tools) and UA-2.3's additions (cloud
    applications, developer tools): MS-8.4.1 refunds every kind in full, tools included (the
    platform refunds on exit; MS-5.1's "tools cannot be refunded" is the buyer's request)."""
    vendor = active_vendor()
    kinds = list(ProductKind.values)
    assert {"cloud_app", "dev_tool"} <= set(kinds)  # UA-2.3
    orders = [make_order(vendor=vendor, kind=kind) for kind in kinds]
    refunds = _run(vendor, _exit_for(vendor))
    assert sorted(r.order_id for r in refunds) == sorted(o.pk for o in orders)
    assert all(r.approved_amount == Decimal("100.00") for r in refunds)


def test_ms_5_4_2_image_order_after_the_5_days_is_still_refunded_in_full_on_exit(events):
    """MS-5.4.2: after the 5 days an image or software service is refunded pro rata on the
    buyer's request; MS-8.4.1: on the vendor's exit it is refunded in full."""
    import datetime as dt

    from orders.refund_amount import RefundInputs, compute_refund
    from orders.services.refunds import consumed_fraction

    vendor = active_vendor()
    paid_at = timezone.now() - dt.timedelta(days=15)
    order = make_order(
        vendor=vendor, kind=ProductKind.IMAGE, billing_period="month", paid_at=paid_at
    )
    now = timezone.now()
    assert not order.in_review_period(now)
    buyer_quote = compute_refund(
        RefundInputs(
            paid=order.amount,
            already_refunded=Decimal("0"),
            requested=order.amount,
            refundable=order.refundable,
            review_rule=order.review_rule,
            in_review_period=False,
            consumed_fraction=consumed_fraction(order, now),
        )
    )
    assert buyer_quote.amount < order.amount  # pro rata after the 5 days
    (refund,) = _run(vendor, _exit_for(vendor))
    assert refund.approved_amount == order.amount
