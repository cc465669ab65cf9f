"""MS-2.7: an order's amount is the specification's price for its billing period; issue 9 §2.

Lower only with a stated discount reason (recorded on the order), never above the list price;
amounts are parsed by the one money parser; free text from the API has length limits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace.exceptions import ValidationFailed
from orders.models import Order, Refund
from orders.serializers import text_max_length
from orders.services import order_create
from tests.orders.factories import make_account, make_order, make_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def storefront() -> APIClient:
    _account, token = make_account(channel="cn", preset="storefront")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def body(spec, **over):
    data = {
        "external_id": "SF-1",
        "buyer_account_id": "200001",
        "specification_id": spec.pk,
        "amount": str(spec.price),
        "paid_at": timezone.localtime().isoformat(),
    }
    data.update(over)
    return data


def post(api: APIClient, data):
    return api.post("/api/v1/orders/", data, format="json")


def test_ms_2_7_an_order_of_0_01_for_a_1999_specification_is_refused(storefront):
    """Symptom: the storefront created an order of 0.01 for a specification priced 1,999.00."""
    spec = make_spec(price="1999.00", billing_period="year")
    response = post(storefront, body(spec, amount="0.01"))
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "amount_mismatch"
    assert "amount" in response.json()["details"]
    assert "1999.00" in response.json()["message"]
    assert not Order.objects.exists()


def test_ms_2_7_the_list_price_is_accepted_and_no_discount_recorded(storefront):
    spec = make_spec(price="1999.00", billing_period="year")
    response = post(storefront, body(spec))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["amount"] == "1999.00" and data["discount_amount"] == "0.00"
    assert data["discount_reason"] == ""


def test_ms_2_7_a_stated_discount_is_accepted_and_recorded(storefront):
    spec = make_spec(price="1999.00", billing_period="year")
    data = body(spec, amount="1799.10", discount_reason="  双十一 九折活动 ")
    response = post(storefront, data)
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    assert order.amount == Decimal("1799.10")
    assert order.unit_price == Decimal("1999.00")
    assert order.discount_amount == Decimal("199.90")
    assert order.discount_reason == "双十一 九折活动"
    assert order.history.latest().discount_reason == "双十一 九折活动"
    # The idempotent retry of the same request still returns the same order.
    retry = post(storefront, data)
    assert retry.status_code == 200 and retry.json()["id"] == order.pk
    # The same external ID without the discount reason is different data: 409.
    other = post(storefront, body(spec, amount="1799.10"))
    assert other.status_code == 409
    assert Order.objects.count() == 1


def test_ms_2_7_never_above_the_list_price_even_with_a_reason(storefront):
    spec = make_spec(price="100.00")
    response = post(storefront, body(spec, amount="100.01", discount_reason="rounding"))
    assert response.status_code == 400
    assert response.json()["code"] == "amount_above_price"
    assert not Order.objects.exists()


def test_ms_2_7_the_service_layer_checks_the_price_too():
    spec = make_spec(price="50.00")
    with pytest.raises(ValidationFailed) as err:
        order_create(
            channel="cn",
            external_id="X-1",
            buyer_account_id="200001",
            specification_id=spec.pk,
            amount="49.99",
            paid_at=timezone.now(),
        )
    assert err.value.code == "amount_mismatch"


def test_ms_2_7_a_discount_reason_over_200_characters_is_400(storefront):
    spec = make_spec(price="100.00")
    response = post(storefront, body(spec, amount="90.00", discount_reason="折" * 201))
    assert response.status_code == 400 and "discount_reason" in response.json()["details"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "amount", ["99999999999999.99", "1e20", "1E+3", "1_000", "１００", "100.001", "NaN", 100.5]
)
def test_order_amount_that_is_not_a_plain_amount_is_a_clear_400(storefront, amount):
    """Symptom: amounts over the field's digits were a 500; 1E+3, 1_000, １００ were accepted."""
    spec = make_spec(price="100.00")
    response = post(storefront, body(spec, amount=amount))
    assert response.status_code == 400, response.content
    assert "amount" in response.json()["details"]
    assert not Order.objects.exists()


# --- free text from the API (issue 9 §2) -------------------------------------------------------


def test_ms_5_1_a_huge_refund_description_is_refused(storefront):
    """Symptom: a 15 MB refund description was stored."""
    order = make_order(paid_at=timezone.now() - dt.timedelta(days=1))
    response = storefront.post(
        "/api/v1/refunds/",
        {
            "order_id": order.pk,
            "external_id": "RF-1",
            "reason": "not_as_expected",
            "amount": "100.00",
            "description": "x" * (text_max_length() + 1),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "description" in response.json()["details"]
    assert not Refund.objects.exists()


def test_ms_4_2_a_huge_failure_reason_is_refused(storefront):
    order = make_order(kind="saas", paid_at=timezone.now() - dt.timedelta(days=1))
    response = storefront.post(
        f"/api/v1/orders/{order.pk}/delivery/",
        {"outcome": "failed", "at": timezone.localtime().isoformat(), "reason": "x" * 100_000},
        format="json",
    )
    assert response.status_code == 400 and "reason" in response.json()["details"]


def test_every_api_input_char_field_has_a_length_limit():
    """No CharField of an API input serializer is unbounded (issue 9 §2)."""
    from rest_framework import serializers

    from orders import serializers as api_serializers

    inputs = [
        cls
        for name, cls in vars(api_serializers).items()
        if name.endswith("In") and isinstance(cls, type)
    ]
    assert inputs
    for cls in inputs:
        for name, field in cls().fields.items():
            field = getattr(field, "child", field)
            if isinstance(field, serializers.CharField) and not isinstance(
                field, serializers.ChoiceField
            ):
                assert field.max_length, f"{cls.__name__}.{name} has no max_length"
