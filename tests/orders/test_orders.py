"""Orders: creation, snapshots, review periods (MS-2.8), delivery (MS-4.2), UA-4.3."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from catalog.models import ProductKind, SalesMode
from marketplace.exceptions import StateConflict, ValidationFailed
from marketplace.timeutils import CHINA_TZ
from orders import signals
from orders.exceptions import AmountInvalid, ExternalIdConflict, TransitionNotAllowed
from orders.models import DeliveryFailure, Order
from orders.services import (
    DeliveryOutcome,
    order_complete,
    order_confirm_service,
    order_create,
    order_report_delivery,
)
from tests.orders.factories import PAID_AT, make_order, make_spec

pytestmark = pytest.mark.django_db


def test_ms_2_8_review_period_runs_through_the_fifth_china_day():
    order = make_order(kind=ProductKind.IMAGE)
    end = dt.datetime(2026, 7, 5, 23, 59, 59, 999999, tzinfo=CHINA_TZ)
    assert order.review_period_ends_at == end
    assert order.in_review_period(end)
    assert not order.in_review_period(dt.datetime(2026, 7, 6, 0, 0, tzinfo=CHINA_TZ))
    assert not order.review_period_closed


def test_ms_2_8_purchase_day_is_the_china_day_even_when_utc_says_otherwise():
    # 2026-06-30 17:30 UTC is 2026-07-01 01:30 in China: day 1 is 07-01.
    paid = dt.datetime(2026, 6, 30, 17, 30, tzinfo=dt.UTC)
    order = make_order(kind=ProductKind.SAAS, paid_at=paid)
    assert order.review_period_ends_at.astimezone(CHINA_TZ).date() == dt.date(2026, 7, 5)


@pytest.mark.parametrize("kind", [ProductKind.TOOL, ProductKind.DEV_TOOL])
def test_ms_2_8_tools_have_no_review_period(kind):
    order = make_order(kind=kind)
    assert order.review_period_ends_at is None
    assert order.review_period_closed
    assert not order.in_review_period(PAID_AT)
    assert not order.refundable


@pytest.mark.parametrize("kind", [ProductKind.OPS, ProductKind.MANUAL])
def test_ms_2_8_ops_review_period_lasts_until_service_confirmed(kind):
    order = make_order(kind=kind)
    later = PAID_AT + dt.timedelta(days=60)
    assert order.in_review_period(later)
    confirmed_at = PAID_AT + dt.timedelta(days=10)
    order_report_delivery(order=order, outcome=DeliveryOutcome.DELIVERED, at=PAID_AT)
    order = order_confirm_service(order=order, at=confirmed_at)
    assert order.status == Order.Status.SERVICE_CONFIRMED
    assert order.review_period_ends_at == confirmed_at
    assert order.review_period_closed
    assert not order.in_review_period(later)


def test_order_snapshots_kind_mode_price_and_fee_rate():
    spec = make_spec(kind=ProductKind.CLOUD_APP, sales_mode=SalesMode.CONSIGNMENT, price="88.00")
    order, created = order_create(
        channel="cn",
        external_id="E-1",
        buyer_account_id="2001",
        specification_id=spec.pk,
        amount="88.00",
        paid_at=PAID_AT,
    )
    assert created
    product = spec.product
    product.kind, product.sales_mode = ProductKind.TOOL, SalesMode.PLATFORM
    product.save()
    spec.price = Decimal("1.00")
    spec.save()
    order.refresh_from_db()
    assert (order.kind, order.sales_mode, order.unit_price) == (
        ProductKind.CLOUD_APP,
        SalesMode.CONSIGNMENT,
        Decimal("88.00"),
    )
    assert order.service_fee_rate == Decimal("0.1000")
    assert order.vendor_id == product.vendor_id


def test_ua_4_3_the_buyer_account_can_never_change():
    order = make_order()
    order.buyer_account_id = "someone-else"
    with pytest.raises(ValueError, match=r"UA-4\.3"):
        order.save()
    order.refresh_from_db()
    assert order.buyer_account_id == "200000000001"


def test_create_is_idempotent_on_external_id():
    spec = make_spec()
    args = dict(
        channel="cn",
        external_id="E-9",
        buyer_account_id="2001",
        specification_id=spec.pk,
        amount="100.00",
        paid_at=PAID_AT,
    )
    first, created = order_create(**args)
    again, created_again = order_create(**args)
    assert created and not created_again and first.pk == again.pk
    assert Order.objects.count() == 1


def test_same_external_id_with_different_data_is_a_conflict_and_writes_nothing():
    spec = make_spec()
    order_create(
        channel="cn",
        external_id="E-9",
        buyer_account_id="2001",
        specification_id=spec.pk,
        amount="100.00",
        paid_at=PAID_AT,
    )
    with pytest.raises(ExternalIdConflict):
        order_create(
            channel="cn",
            external_id="E-9",
            buyer_account_id="2002",
            specification_id=spec.pk,
            amount="100.00",
            paid_at=PAID_AT,
        )
    assert Order.objects.count() == 1
    assert Order.history.count() == 1


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.00"])
def test_zero_or_negative_amount_is_refused(amount):
    spec = make_spec()
    with pytest.raises(AmountInvalid):
        order_create(
            channel="cn",
            external_id="E",
            buyer_account_id="1",
            specification_id=spec.pk,
            amount=amount,
            paid_at=PAID_AT,
        )
    assert not Order.objects.exists()


@pytest.mark.parametrize("kind", [ProductKind.SAAS, ProductKind.MANUAL])
def test_ms_4_1_5_no_zero_price_order_for_saas_or_manual(kind):
    spec = make_spec(kind=kind, price="0.00")
    with pytest.raises(ValidationFailed) as err:
        order_create(
            channel="cn",
            external_id="E",
            buyer_account_id="1",
            specification_id=spec.pk,
            amount="10.00",
            paid_at=PAID_AT,
        )
    assert err.value.code == "zero_price_order"
    assert not Order.objects.exists()


def test_unknown_specification_is_refused():
    with pytest.raises(ValidationFailed) as err:
        order_create(
            channel="cn",
            external_id="E",
            buyer_account_id="1",
            specification_id=999999,
            amount="10.00",
            paid_at=PAID_AT,
        )
    assert err.value.code == "unknown_specification"


def test_naive_paid_at_is_refused():
    spec = make_spec()
    with pytest.raises(ValidationFailed) as err:
        order_create(
            channel="cn",
            external_id="E",
            buyer_account_id="1",
            specification_id=spec.pk,
            amount="10.00",
            paid_at=dt.datetime(2026, 7, 1, 10, 0),
        )
    assert err.value.code == "naive_datetime"


def test_only_listed_products_of_a_trading_store_are_sold():
    spec = make_spec()
    spec.product.status = "delisted"
    spec.product.save()
    kwargs = dict(channel="cn", buyer_account_id="1", amount="10.00", paid_at=PAID_AT)
    with pytest.raises(StateConflict) as err:
        order_create(external_id="A", specification_id=spec.pk, **kwargs)
    assert err.value.code == "product_not_on_sale"
    other = make_spec()
    store = other.product.vendor.store
    store.trading = False
    store.save()
    with pytest.raises(StateConflict) as err:
        order_create(external_id="B", specification_id=other.pk, **kwargs)
    assert err.value.code == "store_not_trading"
    assert not Order.objects.exists()


def test_delivery_success_then_complete():
    order = make_order()
    order = order_report_delivery(order=order, outcome=DeliveryOutcome.DELIVERED, at=PAID_AT)
    assert order.status == Order.Status.DELIVERED and order.delivered_at == PAID_AT
    # A retried report changes nothing.
    order_report_delivery(order=order, outcome=DeliveryOutcome.DELIVERED, at=PAID_AT)
    assert Order.history.filter(id=order.pk).count() == 2
    order = order_complete(order=order, actor=None, reason="buyer confirmed")
    assert order.status == Order.Status.COMPLETED


def test_ms_4_2_saas_failure_opens_a_failure_and_signals_on_commit(
    django_capture_on_commit_callbacks,
):
    order = make_order(kind=ProductKind.SAAS)
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.saas_delivery_failed.connect(receiver)
    signals.saas_delivery_repaired.connect(receiver)
    try:
        at = PAID_AT + dt.timedelta(hours=1)
        with django_capture_on_commit_callbacks(execute=True):
            order_report_delivery(
                order=order, outcome=DeliveryOutcome.FAILED, at=at, reason="endpoint 500"
            )
        failure = DeliveryFailure.objects.get(order=order)
        assert (failure.vendor_id, failure.product_id, failure.failed_at) == (
            order.vendor_id,
            order.product_id,
            at,
        )
        assert failure.is_open and failure.reason == "endpoint 500"
        assert received[0]["failure_id"] == failure.pk
        assert received[0]["vendor_id"] == order.vendor_id
        assert received[0]["product_id"] == order.product_id
        repaired = at + dt.timedelta(days=2)
        with django_capture_on_commit_callbacks(execute=True):
            order = order_report_delivery(
                order=order, outcome=DeliveryOutcome.REPAIRED, at=repaired
            )
        failure.refresh_from_db()
        assert failure.repaired_at == repaired and order.status == Order.Status.DELIVERED
        assert len(received) == 2 and received[1]["failure_id"] == failure.pk
    finally:
        signals.saas_delivery_failed.disconnect(receiver)
        signals.saas_delivery_repaired.disconnect(receiver)


def test_ms_4_2_failure_needs_a_reason_and_a_saas_order():
    saas = make_order(kind=ProductKind.SAAS)
    with pytest.raises(ValidationFailed) as err:
        order_report_delivery(order=saas, outcome=DeliveryOutcome.FAILED, at=PAID_AT, reason=" ")
    assert err.value.code == "reason_required"
    image = make_order(kind=ProductKind.IMAGE)
    with pytest.raises(StateConflict) as err:
        order_report_delivery(order=image, outcome=DeliveryOutcome.FAILED, at=PAID_AT, reason="x")
    assert err.value.code == "not_saas_delivered"
    assert not DeliveryFailure.objects.exists()


def test_transition_not_allowed_from_current_state_writes_nothing():
    order = make_order()
    with pytest.raises(TransitionNotAllowed):
        order_report_delivery(order=order, outcome=DeliveryOutcome.REPAIRED, at=PAID_AT)
    with pytest.raises(TransitionNotAllowed):
        order_complete(order=order, actor=None, reason="x")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Order.history.filter(id=order.pk).count() == 1


def test_service_confirmation_only_for_ops_and_manual():
    order = make_order(kind=ProductKind.SOFTWARE)
    with pytest.raises(StateConflict) as err:
        order_confirm_service(order=order, at=PAID_AT)
    assert err.value.code == "not_a_service"


def test_delivery_started_then_delivered():
    order = make_order()
    order = order_report_delivery(order=order, outcome=DeliveryOutcome.STARTED, at=PAID_AT)
    assert order.status == Order.Status.DELIVERING
    order = order_report_delivery(order=order, outcome=DeliveryOutcome.DELIVERED, at=PAID_AT)
    assert order.status == Order.Status.DELIVERED


def test_ms_3_1_5_4_exit_check_reports_unfinished_orders_and_open_disputes():
    from orders.services import refund_request
    from vendors import exit_checks

    order = make_order()
    refund_request(
        order=order,
        external_id="R",
        reason_code="not_received",
        amount_requested="1.00",
        requested_at=PAID_AT,
        received_at=PAID_AT,  # seeded history: received when it was asked
    )
    reasons = exit_checks.outstanding_reasons(order.vendor)
    assert any("unfinished" in r for r in reasons)
    assert any("refund" in r for r in reasons)
    other = make_order(kind=ProductKind.IMAGE)
    order_report_delivery(order=other, outcome=DeliveryOutcome.DELIVERED, at=PAID_AT)
    order_complete(order=other, actor=None, reason="done")
    assert exit_checks.outstanding_reasons(other.vendor) == []


def test_roles_hold_the_orders_permissions():
    from marketplace import roles

    arbitrator = roles.group_for(roles.REFUND_ARBITRATOR).permissions
    finance = roles.group_for(roles.FINANCE).permissions
    assert arbitrator.filter(codename="arbitrate_refund").exists()
    assert not arbitrator.filter(codename="pay_refund").exists()
    assert finance.filter(codename="pay_refund").exists()
    assert finance.filter(codename="process_invoice").exists()


def test_ms_8_4_2_a_vendor_that_is_not_active_sells_nothing_new():
    spec = make_spec()
    vendor = spec.product.vendor
    vendor.status = "exited"
    vendor.save()
    with pytest.raises(StateConflict) as err:
        order_create(
            channel="cn",
            external_id="E",
            buyer_account_id="1",
            specification_id=spec.pk,
            amount="10.00",
            paid_at=PAID_AT,
        )
    assert err.value.code == "vendor_exited"
    assert not Order.objects.exists()


def test_create_service_account_command_prints_the_token_once():
    import io

    from django.core.management import call_command

    from orders.authentication import ServiceTokenAuthentication
    from orders.models import ServiceAccount

    out = io.StringIO()
    call_command(
        "create_service_account", "sf-cn", "--channel", "cn", "--preset", "storefront", stdout=out
    )
    token = out.getvalue().strip().splitlines()[-1]
    account = ServiceAccount.objects.get(name="sf-cn")
    assert token not in account.token_hash and account.allows("orders.create")
    assert not account.allows("invoices.create")

    from rest_framework.test import APIRequestFactory

    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ServiceTokenAuthentication().authenticate(request)[0] == account
