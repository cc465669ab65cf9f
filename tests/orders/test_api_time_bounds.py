"""Times the callers send (issue 9 §1): MS-2.8 review periods, MS-4.2 failure clocks, MS-5.1.

Every caller-supplied time is refused with 400 naming its field when it lies before the event
it follows or further in the future than the allowed clock skew; a refund cannot be backdated
into a review period that has ended.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import ProductKind
from marketplace.exceptions import ValidationFailed
from orders.models import DeliveryFailure, Order, Refund
from orders.services import DeliveryOutcome, order_report_delivery
from tests.orders.factories import make_account, make_order, make_spec

pytestmark = pytest.mark.django_db


def iso(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat()


def client(preset: str) -> APIClient:
    _account, token = make_account(channel="cn", preset=preset)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.fixture
def storefront() -> APIClient:
    return client("storefront")


def ago(**delta: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


def ahead(**delta: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


def refund(api: APIClient, order: Order, **over):
    body = {
        "order_id": order.pk,
        "external_id": "RF-1",
        "reason": "not_as_expected",
        "amount": str(order.amount),
    }
    body.update(over)
    return api.post("/api/v1/refunds/", body, format="json")


def assert_refused(response, field: str, code: str) -> None:
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code, body
    assert field in body["message"]
    assert field in body["details"], body


# --- refunds (MS-2.8, MS-5.1) ------------------------------------------------------------------


def test_ms_5_1_refund_dated_before_the_payment_is_refused(storefront):
    """Symptom: requested_at before paid_at was accepted as inside the review period."""
    order = make_order(paid_at=ago(minutes=5))
    response = refund(storefront, order, requested_at=iso(ago(minutes=10)))
    assert_refused(response, "requested_at", "time_before_event")
    assert not Refund.objects.exists()


def test_ms_5_1_refund_dated_a_month_before_the_payment_is_refused(storefront):
    """The issue's case: paid on day X, refund dated a month earlier → never a full refund."""
    order = make_order(paid_at=ago(days=1))
    response = refund(storefront, order, requested_at=iso(ago(days=31)))
    assert response.status_code == 400
    assert "requested_at" in response.json()["details"]
    assert not Refund.objects.exists()


def test_ms_2_8_refund_backdated_into_an_ended_review_period_is_refused(storefront):
    """Symptom: a refund dated inside the 5 days of an older order got the full amount."""
    order = make_order(kind=ProductKind.SOFTWARE, paid_at=ago(days=10), billing_period="month")
    inside = order.paid_at + dt.timedelta(days=1)
    response = refund(storefront, order, requested_at=iso(inside))
    assert_refused(response, "requested_at", "time_too_old")
    assert not Refund.objects.exists()
    # Asked now, it is judged now: outside the review period, pro rata (MS-5.2), not full.
    honest = refund(storefront, order)
    assert honest.status_code == 201, honest.json()
    data = honest.json()
    assert data["in_review_period"] is False
    assert data["basis"] != "review_period"
    assert data["computed_amount"] != str(order.amount)


def test_ms_5_1_refund_within_the_backdate_window_keeps_its_time(storefront):
    order = make_order(paid_at=ago(days=1))
    asked = ago(minutes=5)
    response = refund(storefront, order, requested_at=iso(asked))
    assert response.status_code == 201, response.json()
    assert response.json()["in_review_period"] is True
    assert Refund.objects.get().requested_at == asked.replace(microsecond=asked.microsecond)


def test_ms_5_1_refund_dated_before_a_recorded_delivery_is_refused(storefront):
    """A refund follows every event already recorded on the order (here the delivery)."""
    order = make_order(paid_at=ago(days=1))
    order_report_delivery(order=order, outcome=DeliveryOutcome.DELIVERED, at=ago(minutes=2))
    response = refund(storefront, order, requested_at=iso(ago(minutes=10)))
    assert_refused(response, "requested_at", "time_before_event")


def test_ms_5_1_refund_dated_in_the_future_is_refused_beyond_the_skew(storefront):
    order = make_order(paid_at=ago(days=1))
    assert_refused(
        refund(storefront, order, requested_at=iso(ahead(days=1))), "requested_at", "time_in_future"
    )
    within = refund(storefront, order, requested_at=iso(ahead(seconds=60)))
    assert within.status_code == 201, within.json()


@override_settings(REFUND_REQUEST_MAX_BACKDATE_SECONDS=60)
def test_ms_5_1_backdate_window_is_a_setting(storefront):
    order = make_order(paid_at=ago(days=1))
    response = refund(storefront, order, requested_at=iso(ago(minutes=5)))
    assert_refused(response, "requested_at", "time_too_old")


# --- orders (MS-2.8) ---------------------------------------------------------------------------


def order_body(spec, **over):
    body = {
        "external_id": "SF-1",
        "buyer_account_id": "200001",
        "specification_id": spec.pk,
        "amount": str(spec.price),
        "paid_at": iso(ago(minutes=1)),
    }
    body.update(over)
    return body


def test_ms_2_8_paid_at_in_2099_is_refused(storefront):
    spec = make_spec()
    response = storefront.post(
        "/api/v1/orders/", order_body(spec, paid_at="2099-07-01T10:00:00+08:00"), format="json"
    )
    assert_refused(response, "paid_at", "time_in_future")
    assert not Order.objects.exists()


def test_ms_2_8_paid_at_within_the_clock_skew_is_accepted(storefront):
    spec = make_spec()
    response = storefront.post(
        "/api/v1/orders/", order_body(spec, paid_at=iso(ahead(seconds=60))), format="json"
    )
    assert response.status_code == 201, response.json()


@override_settings(API_CLOCK_SKEW_SECONDS=0)
def test_ms_2_8_clock_skew_is_a_setting(storefront):
    spec = make_spec()
    response = storefront.post(
        "/api/v1/orders/", order_body(spec, paid_at=iso(ahead(seconds=60))), format="json"
    )
    assert_refused(response, "paid_at", "time_in_future")


# --- delivery and SaaS failures (MS-4.2) -------------------------------------------------------


def deliver(api: APIClient, order: Order, outcome: str, at: dt.datetime, **extra):
    return api.post(
        f"/api/v1/orders/{order.pk}/delivery/",
        {"outcome": outcome, "at": iso(at), **extra},
        format="json",
    )


@pytest.mark.parametrize("outcome", ["started", "delivered"])
def test_ms_4_2_delivery_dated_before_the_payment_is_refused(storefront, outcome):
    order = make_order(paid_at=ago(days=1))
    response = deliver(storefront, order, outcome, ago(days=2))
    assert_refused(response, "at", "time_before_event")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.delivered_at is None


def test_ms_4_2_saas_failure_dated_before_the_payment_is_refused(storefront):
    order = make_order(kind=ProductKind.SAAS, paid_at=ago(days=1))
    response = deliver(storefront, order, "failed", ago(days=3), reason="licence server down")
    assert_refused(response, "at", "time_before_event")
    assert not DeliveryFailure.objects.exists()


def test_ms_4_2_saas_failure_dated_a_day_ahead_is_refused(storefront):
    """Symptom: a future failure left the product visible and started the 7/30-day clocks late."""
    order = make_order(kind=ProductKind.SAAS, paid_at=ago(days=1))
    response = deliver(storefront, order, "failed", ahead(days=1), reason="licence server down")
    assert_refused(response, "at", "time_in_future")
    assert not DeliveryFailure.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    now = deliver(storefront, order, "failed", ago(minutes=1), reason="licence server down")
    assert now.status_code == 200, now.json()
    assert DeliveryFailure.objects.get().failed_at <= timezone.now()


def test_ms_4_2_repair_in_the_future_or_before_the_failure_is_refused(storefront):
    order = make_order(kind=ProductKind.SAAS, paid_at=ago(days=1))
    deliver(storefront, order, "failed", ago(hours=2), reason="licence server down")
    assert_refused(deliver(storefront, order, "repaired", ahead(days=2)), "at", "time_in_future")
    assert_refused(
        deliver(storefront, order, "repaired", ago(hours=3)), "at", "repair_before_failure"
    )
    assert DeliveryFailure.objects.get().repaired_at is None


def test_ms_4_2_the_service_layer_refuses_too():
    """Every path, not only the API: the service itself checks the bounds."""
    order = make_order(kind=ProductKind.SAAS, paid_at=ago(days=1))
    with pytest.raises(ValidationFailed) as err:
        order_report_delivery(
            order=order, outcome=DeliveryOutcome.FAILED, at=ahead(days=1), reason="x"
        )
    assert err.value.code == "time_in_future" and err.value.params["field"] == "at"


# --- service confirmation (MS-2.8, MS-5.4.1) ---------------------------------------------------


def test_ms_2_8_service_confirmation_dated_2999_is_refused(storefront):
    order = make_order(kind=ProductKind.OPS, paid_at=ago(days=3))
    deliver(storefront, order, "delivered", ago(days=2))
    response = storefront.post(
        f"/api/v1/orders/{order.pk}/service-confirmation/",
        {"confirmed_at": "2999-01-01T00:00:00+08:00"},
        format="json",
    )
    assert_refused(response, "confirmed_at", "time_in_future")
    order.refresh_from_db()
    assert order.service_confirmed_at is None and order.in_review_period(timezone.now())


def test_ms_2_8_service_confirmation_before_the_payment_is_refused(storefront):
    order = make_order(kind=ProductKind.OPS, paid_at=ago(days=3))
    deliver(storefront, order, "delivered", ago(days=2))
    response = storefront.post(
        f"/api/v1/orders/{order.pk}/service-confirmation/",
        {"confirmed_at": iso(ago(days=4))},
        format="json",
    )
    assert_refused(response, "confirmed_at", "before_payment")


def test_ms_5_1_a_late_retry_of_an_accepted_refund_returns_it():
    """Idempotent retries keep working: the backdate window judges new requests only."""
    from orders.services import refund_request

    order = make_order(paid_at=ago(days=1))
    asked = ago(minutes=1)
    first, created = refund_request(
        order=order,
        external_id="RF-1",
        reason_code="not_as_expected",
        amount_requested="100.00",
        requested_at=asked,
    )
    assert created
    again, created = refund_request(
        order=order,
        external_id="RF-1",
        reason_code="not_as_expected",
        amount_requested="100.00",
        requested_at=asked,
        received_at=asked + dt.timedelta(hours=2),
    )
    assert again.pk == first.pk and not created
