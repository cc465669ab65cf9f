"""Integration API: every endpoint for success, bad input and another caller's objects."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import ProductKind, SalesMode
from orders.models import DeliveryFailure, Invoice, Order, Refund
from tests.orders.factories import (
    PAID_AT,
    make_account,
    make_order,
    make_spec,
)
from tests.threads import run_concurrently

pytestmark = pytest.mark.django_db

PAID = "2026-07-01T10:00:00+08:00"


def client_for(token: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def storefront():
    _account, token = make_account(channel="cn", preset="storefront")
    return client_for(token)


@pytest.fixture
def billing():
    _account, token = make_account(channel="cn", preset="billing")
    return client_for(token)


@pytest.fixture
def other_channel():
    _account, token = make_account(channel="intl", preset="storefront")
    return client_for(token)


@pytest.fixture
def other_billing():
    _account, token = make_account(channel="intl", preset="billing")
    return client_for(token)


def order_body(spec, **over):
    body = {
        "external_id": "SF-1",
        "buyer_account_id": "200001",
        "specification_id": spec.pk,
        "amount": "100.00",
        "paid_at": PAID,
    }
    body.update(over)
    return body


# --- authentication and scopes ------------------------------------------------------------


def test_no_token_is_401_with_an_error_body():
    response = APIClient().post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 401
    assert set(response.json()) >= {"code", "message"}


def test_bad_token_is_401():
    response = client_for("mkt_deadbeef_nope").post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 401


def test_token_allowed_only_its_own_operations(billing):
    spec = make_spec()
    response = billing.post("/api/v1/orders/", order_body(spec), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Order.objects.exists()


# --- POST /api/v1/orders/ ---------------------------------------------------------------


def test_create_order_then_retry_returns_the_same(storefront):
    spec = make_spec(kind=ProductKind.IMAGE)
    first = storefront.post("/api/v1/orders/", order_body(spec), format="json")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert data["review_period_ends_at"].startswith("2026-07-05T23:59:59")
    assert data["kind"] == "image" and data["amount"] == "100.00"
    again = storefront.post("/api/v1/orders/", order_body(spec), format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Order.objects.count() == 1


def test_same_external_id_different_data_is_409(storefront):
    spec = make_spec()
    storefront.post("/api/v1/orders/", order_body(spec), format="json")
    response = storefront.post("/api/v1/orders/", order_body(spec, amount="99.00"), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "external_id_conflict"
    assert Order.objects.count() == 1


def test_another_channels_external_id_is_its_own_order(storefront, other_channel):
    """External IDs are per channel: no conflict and nothing of the other order leaks."""
    spec = make_spec()
    mine = storefront.post("/api/v1/orders/", order_body(spec), format="json").json()
    theirs = other_channel.post(
        "/api/v1/orders/", order_body(spec, buyer_account_id="999"), format="json"
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine["id"] and theirs.json()["buyer_account_id"] == "999"


def test_open_refund_conflict_is_409(storefront):
    order = recent_order()
    storefront.post("/api/v1/refunds/", refund_body(order, amount="10.00"), format="json")
    response = storefront.post(
        "/api/v1/refunds/", refund_body(order, external_id="RF-2", amount="10.00"), format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "refund_open"


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"paid_at": "2026-07-01T10:00:00"}, "invalid"),
        ({"amount": "0.00"}, "amount_invalid"),
        ({"amount": "-3.00"}, "amount_invalid"),
        ({"amount": "abc"}, "invalid"),
        ({"specification_id": 987654}, "unknown_specification"),
    ],
)
def test_create_order_bad_input_is_400_and_writes_nothing(storefront, override, code):
    spec = make_spec()
    response = storefront.post("/api/v1/orders/", order_body(spec, **override), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["message"]
    assert not Order.objects.exists()


def test_naive_datetime_error_names_the_field(storefront):
    spec = make_spec()
    response = storefront.post(
        "/api/v1/orders/", order_body(spec, paid_at="2026-07-01T10:00:00"), format="json"
    )
    assert "paid_at" in response.json()["details"]


def test_ms_4_1_5_zero_price_saas_order_is_400(storefront):
    spec = make_spec(kind=ProductKind.SAAS, price="0.00")
    response = storefront.post("/api/v1/orders/", order_body(spec, amount="1.00"), format="json")
    assert response.status_code == 400 and response.json()["code"] == "zero_price_order"


def test_error_message_is_translated_for_chinese_callers(storefront):
    spec = make_spec()
    response = storefront.post(
        "/api/v1/orders/",
        order_body(spec, amount="0.00"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json() == {"code": "amount_invalid", "message": "金额必须大于零。"}


# --- POST /api/v1/orders/{id}/delivery/ -----------------------------------------------------


def test_delivery_failure_and_repair(storefront):
    order = make_order(kind=ProductKind.SAAS)
    url = f"/api/v1/orders/{order.pk}/delivery/"
    failed = storefront.post(
        url, {"outcome": "failed", "at": PAID, "reason": "provisioning error"}, format="json"
    )
    assert failed.status_code == 200 and failed.json()["status"] == "delivery_failed"
    assert DeliveryFailure.objects.filter(order=order, repaired_at__isnull=True).exists()
    repaired = storefront.post(
        url, {"outcome": "repaired", "at": "2026-07-02T10:00:00+08:00"}, format="json"
    )
    assert repaired.status_code == 200 and repaired.json()["status"] == "delivered"


def test_delivery_bad_input_and_conflict(storefront):
    order = make_order()
    url = f"/api/v1/orders/{order.pk}/delivery/"
    bad = storefront.post(url, {"outcome": "lost", "at": PAID}, format="json")
    assert bad.status_code == 400
    conflict = storefront.post(url, {"outcome": "repaired", "at": PAID}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "transition_not_allowed"


def test_delivery_of_another_channels_order_is_404(other_channel):
    order = make_order(channel="cn")
    response = other_channel.post(
        f"/api/v1/orders/{order.pk}/delivery/", {"outcome": "delivered", "at": PAID}, format="json"
    )
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


# --- POST /api/v1/orders/{id}/service-confirmation/ ----------------------------------------


def test_service_confirmation(storefront, other_channel):
    order = make_order(kind=ProductKind.OPS)
    url = f"/api/v1/orders/{order.pk}/service-confirmation/"
    body = {"confirmed_at": "2026-07-20T12:00:00+08:00"}
    assert other_channel.post(url, body, format="json").status_code == 404
    response = storefront.post(url, body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "service_confirmed"
    assert response.json()["review_period_ends_at"].startswith("2026-07-20T12:00:00")
    software = make_order()
    wrong = storefront.post(
        f"/api/v1/orders/{software.pk}/service-confirmation/", body, format="json"
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "not_a_service"
    naive = storefront.post(url, {"confirmed_at": "2026-07-20T12:00:00"}, format="json")
    assert naive.status_code == 400


# --- refunds ---------------------------------------------------------------------------------


def recent_order(**kw):
    """An order paid yesterday: refund times must be near our clock (issue 9 §1)."""
    return make_order(paid_at=timezone.now() - dt.timedelta(days=1), **kw)


def refund_body(order, **over):
    body = {
        "order_id": order.pk,
        "external_id": "RF-1",
        "reason": "not_as_expected",
        "amount": "100.00",
        "description": "crashes on start",
        "evidence": ["https://example.com/shot.png"],
        "requested_at": timezone.localtime().isoformat(),
    }
    body.update(over)
    return body


def test_refund_create_read_and_retry(storefront, billing):
    order = recent_order()
    created = storefront.post("/api/v1/refunds/", refund_body(order), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["basis"] == "review_period" and data["computed_amount"] == "100.00"
    assert data["counts_against_vendor"] is True and data["in_review_period"] is True
    retry = storefront.post("/api/v1/refunds/", refund_body(order), format="json")
    assert retry.status_code == 200 and retry.json()["id"] == data["id"]
    read = billing.get(f"/api/v1/refunds/{data['id']}/")
    assert read.status_code == 200 and read.json()["status"] == "requested"


@pytest.mark.parametrize(
    ("override", "status", "code"),
    [
        ({"amount": "0"}, 400, "amount_invalid"),
        ({"amount": "100.01"}, 400, "exceeds_remaining"),
        ({"reason": "because"}, 400, "invalid"),
        ({"requested_at": "2026-07-02T09:00:00"}, 400, "invalid"),
    ],
)
def test_refund_bad_input(storefront, override, status, code):
    order = recent_order()
    response = storefront.post("/api/v1/refunds/", refund_body(order, **override), format="json")
    assert response.status_code == status and response.json()["code"] == code
    assert not Refund.objects.exists()


def test_refund_of_a_tool_product_is_refused(storefront):
    order = recent_order(kind=ProductKind.TOOL)
    response = storefront.post("/api/v1/refunds/", refund_body(order), format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_refundable"
    assert "Tool products" in response.json()["message"]


def test_refund_of_another_channels_order_and_reading_its_refund_is_404(storefront, other_channel):
    order = recent_order(channel="cn")
    assert (
        other_channel.post("/api/v1/refunds/", refund_body(order), format="json").status_code == 404
    )
    refund_id = storefront.post("/api/v1/refunds/", refund_body(order), format="json").json()["id"]
    assert other_channel.get(f"/api/v1/refunds/{refund_id}/").status_code == 404
    assert Refund.objects.count() == 1


def test_storefront_cannot_read_invoices(storefront):
    invoice_id = 1
    assert storefront.get(f"/api/v1/invoices/{invoice_id}/").status_code == 403


# --- invoices --------------------------------------------------------------------------------


def invoice_body(order, **over):
    body = {
        "order_id": order.pk,
        "external_id": "INV-1",
        "purpose": "sale",
        "invoice_type": "special",
        "title": "Buyer Co.",
        "tax_id": "91310000MA1FL4J046",
    }
    body.update(over)
    return body


def test_invoice_create_read_and_retry(billing, other_billing):
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    created = billing.post("/api/v1/invoices/", invoice_body(order), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["direction"] == "platform_to_buyer" and data["amount"] == "100.00"
    retry = billing.post("/api/v1/invoices/", invoice_body(order), format="json")
    assert retry.status_code == 200 and retry.json()["id"] == data["id"]
    assert billing.get(f"/api/v1/invoices/{data['id']}/").json()["status"] == "requested"
    assert other_billing.get(f"/api/v1/invoices/{data['id']}/").status_code == 404
    assert (
        other_billing.post("/api/v1/invoices/", invoice_body(order), format="json").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("override", "status", "code"),
    [
        ({"purpose": "gift"}, 400, "invalid"),
        ({"purpose": "settlement"}, 400, "no_such_invoice"),
        ({"tax_id": ""}, 400, "tax_id_required"),
        ({"order_id": 99999999}, 404, "not_found"),
    ],
)
def test_invoice_bad_input(billing, override, status, code):
    order = make_order(sales_mode=SalesMode.PLATFORM)
    response = billing.post("/api/v1/invoices/", invoice_body(order, **override), format="json")
    assert response.status_code == status and response.json()["code"] == code
    assert not Invoice.objects.exists()


def test_second_invoice_of_the_same_kind_is_409(billing):
    order = make_order()
    billing.post("/api/v1/invoices/", invoice_body(order), format="json")
    response = billing.post(
        "/api/v1/invoices/", invoice_body(order, external_id="INV-2"), format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "invoice_exists"


# --- schema ----------------------------------------------------------------------------------


def test_openapi_schema_validates_and_lists_every_endpoint(client):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    for path in [
        "/api/v1/orders/",
        "/api/v1/orders/{id}/delivery/",
        "/api/v1/orders/{id}/service-confirmation/",
        "/api/v1/refunds/",
        "/api/v1/refunds/{id}/",
        "/api/v1/invoices/",
        "/api/v1/invoices/{id}/",
    ]:
        assert path in paths
    assert client.get("/api/schema/").status_code == 200


def test_spectacular_command_validates_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


# --- concurrency (PostgreSQL) -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_order_posts_create_once():
    spec = make_spec()
    _account, token = make_account()
    body = order_body(spec, external_id="RACE-1")

    def post():
        return client_for(token).post("/api/v1/orders/", body, format="json").status_code

    statuses = [outcome.get() for outcome in run_concurrently(*[post] * 6)]
    assert sorted(statuses) == [200] * 5 + [201]
    assert Order.objects.filter(external_id="RACE-1").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refund_requests_on_one_order_never_exceed_it():
    from orders.services import refund_request

    order = make_order(amount="100.00")

    def ask(i):
        refund, _ = refund_request(
            order=order,
            external_id=f"R-{i}",
            reason_code="no_longer_needed",
            amount_requested="60.00",
            requested_at=PAID_AT + dt.timedelta(days=1),
            received_at=PAID_AT + dt.timedelta(days=1),  # seeded history
        )
        return refund

    outcomes = run_concurrently(*(functools.partial(ask, i) for i in range(5)))
    results = [outcome.result for outcome in outcomes]  # a refund, or the error refusing it
    made = [r for r in results if isinstance(r, Refund)]
    assert len(made) == 1  # the order lock serialises them; the others see the open one
    total = sum((r.amount_requested for r in Refund.objects.filter(order=order)), Decimal(0))
    assert total <= order.amount
