"""Issue 14: billing reports a refund paid back (POST /api/v1/refunds/{id}/payment/).

The refund, the order, the invoices (MS-5.5) and the clawback (MS-5.6) follow through
finance's own service (`refund_mark_refunded`); a retry with the same reference writes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import SalesMode
from marketplace.outbox import EventKind, OutboxEvent
from orders.models import Invoice, Order, Refund, RefundHandling
from orders.services import (
    InvoicePurpose,
    invoice_deliver,
    invoice_issue,
    invoice_request,
    refund_mark_refunded,
    refund_request,
    refund_vendor_agree,
)
from tests.orders.factories import PAID_AT, make_account, make_order
from tests.threads import run_concurrently

pytestmark = pytest.mark.django_db

JULY_31 = "2026-07-31T23:00:00+08:00"


def client_for(token: str, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def billing() -> APIClient:
    return client_for(make_account(channel="cn", preset="billing")[1])


def agreed_refund(order: Order, amount: str = "100.00") -> Refund:
    refund, _ = refund_request(
        order=order,
        external_id=f"R-{order.pk}",
        reason_code="no_longer_needed",
        amount_requested=amount,
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),
    )
    return refund_vendor_agree(refund=refund, actor=None)


def delivered_invoice(order: Order) -> Invoice:
    invoice, _ = invoice_request(
        order=order, external_id="I-1", purpose=InvoicePurpose.SALE, invoice_type="ordinary"
    )
    invoice = invoice_issue(
        invoice=invoice, number="No.1", issued_on=dt.date(2026, 7, 1), actor=None
    )
    return invoice_deliver(invoice=invoice, actor=None)


def pay(client: APIClient, refund: Refund, reference: str = "PAY-1", paid_at: str = JULY_31):
    return client.post(
        f"/api/v1/refunds/{refund.pk}/payment/",
        {"paid_at": paid_at, "reference": reference},
        format="json",
    )


def test_ms_5_5_1_payment_refunds_the_order_and_voids_the_invoice_of_the_month(billing):
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    invoice = delivered_invoice(order)
    refund = agreed_refund(order)
    response = pay(billing, refund)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["payment_reference"]) == ("refunded", "PAY-1")
    assert body["order_status"] == "refunded"
    assert body["refunded_at"] == JULY_31
    refund.refresh_from_db()
    order.refresh_from_db()
    invoice.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert refund.refunded_at == dt.datetime.fromisoformat(JULY_31)
    assert order.status == Order.Status.REFUNDED
    # MS-5.5.1 through finance's path: returned in its month, not certified: voided.
    assert (invoice.status, invoice.refund_handling) == (Invoice.Status.VOID, RefundHandling.VOID)
    history = refund.history.latest("history_date")
    assert "PAY-1" in history.history_change_reason and "[api:" in history.history_change_reason


def test_ms_5_5_2_payment_after_the_month_asks_for_the_red_letter_form(billing):
    order = make_order(sales_mode=SalesMode.CONSIGNMENT)
    invoice = delivered_invoice(order)
    assert (
        pay(billing, agreed_refund(order), paid_at="2026-08-01T00:30:00+08:00").status_code == 200
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.RED_LETTER_REQUIRED


def test_ms_5_6_payment_of_a_settled_order_opens_the_clawback(billing):
    order = make_order(amount="100.00")
    Order.objects.filter(pk=order.pk).update(
        settled_at=PAID_AT + dt.timedelta(days=3), settled_amount=Decimal("90.00")
    )
    refund = agreed_refund(order, "50.00")
    assert pay(billing, refund).status_code == 200
    refund.refresh_from_db()
    assert refund.clawback.amount == Decimal("45.00")


def test_ms_5_same_reference_again_is_200_same_result_and_writes_nothing(billing):
    refund = agreed_refund(make_order())
    first = pay(billing, refund)
    events = OutboxEvent.objects.count()
    history = Refund.history.count()
    with CaptureQueriesContext(connection) as queries:
        again = pay(billing, refund)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert (OutboxEvent.objects.count(), Refund.history.count()) == (events, history)


def test_ms_5_another_reference_for_a_paid_refund_is_409_and_writes_nothing(billing):
    refund = agreed_refund(make_order())
    assert pay(billing, refund, "PAY-1").status_code == 200
    history = Refund.history.count()
    response = pay(billing, refund, "PAY-2")
    assert response.status_code == 409
    assert response.json()["code"] == "payment_reference_conflict"
    assert "PAY-1" in response.json()["message"]
    refund.refresh_from_db()
    assert refund.payment_reference == "PAY-1"
    assert Refund.history.count() == history


def test_ms_5_refund_finance_marked_paid_by_hand_is_409(billing):
    """Finance's manual path stays (exceptions); billing's later report does not pay twice."""
    refund = agreed_refund(make_order())
    refund_mark_refunded(refund=refund, actor=None, reason="paid at the bank counter")
    response = pay(billing, refund)
    assert response.status_code == 409
    assert response.json()["code"] == "refund_paid_manually"
    refund.refresh_from_db()
    assert refund.payment_reference == ""


def test_ms_5_refund_not_agreed_or_approved_is_409(billing):
    refund, _ = refund_request(
        order=make_order(),
        external_id="R-open",
        reason_code="no_longer_needed",
        amount_requested="10.00",
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),
    )
    response = pay(billing, refund)
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"paid_at": "2026-07-31T23:00:00", "reference": "P"}, "paid_at"),  # naive
        ({"paid_at": "yesterday", "reference": "P"}, "paid_at"),
        ({"paid_at": JULY_31, "reference": ""}, "reference"),
        ({"paid_at": JULY_31, "reference": "   "}, "reference"),
        ({"paid_at": JULY_31, "reference": "x" * 65}, "reference"),
        ({"paid_at": JULY_31, "reference": "P\x00"}, None),  # refused by the JSON parser
        ({"paid_at": JULY_31}, "reference"),
        ({"reference": "P"}, "paid_at"),
        ({"paid_at": "2026-06-30T10:00:00+08:00", "reference": "P"}, "paid_at"),  # before request
        ({"paid_at": "2999-01-01T00:00:00+08:00", "reference": "P"}, "paid_at"),  # future
    ],
)
def test_ms_5_bad_input_is_400_naming_the_field_and_writes_nothing(billing, body, field):
    refund = agreed_refund(make_order())
    events = OutboxEvent.objects.count()
    response = billing.post(f"/api/v1/refunds/{refund.pk}/payment/", body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] and data["message"]
    assert field is None or field in data["details"]
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_AGREED
    assert OutboxEvent.objects.count() == events


def test_bad_input_error_is_translated_for_chinese_callers():
    token = make_account(channel="cn", preset="billing")[1]
    refund = agreed_refund(make_order())
    response = pay(client_for(token, "zh-hans"), refund, paid_at="2026-07-31T23:00:00")
    assert response.status_code == 400
    assert "time zone offset" not in response.json()["message"]


def test_another_channels_refund_is_404_and_storefront_tokens_are_403(billing):
    foreign = agreed_refund(make_order(channel="intl"))
    assert pay(billing, foreign).status_code == 404
    storefront = client_for(make_account(channel="cn", preset="storefront")[1])
    own = agreed_refund(make_order())
    denied = pay(storefront, own)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert APIClient().post(f"/api/v1/refunds/{own.pk}/payment/", {}).status_code == 401
    for refund in (foreign, own):
        refund.refresh_from_db()
        assert refund.status == Refund.Status.VENDOR_AGREED


def test_ms_5_payment_emits_refund_paid_in_the_same_transaction(billing):
    refund = agreed_refund(make_order())
    assert pay(billing, refund, "PAY-9").status_code == 200
    event = OutboxEvent.objects.get(kind=EventKind.REFUND_PAID, channel="storefront")
    assert event.payload["payment_reference"] == "PAY-9"
    assert event.payload["amount"] == "100.00"
    assert event.payload["order_status"] == "refunded"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ms_5_two_identical_reports_at_once_pay_once():
    token = make_account(channel="cn", preset="billing")[1]
    refund = agreed_refund(make_order())

    def report() -> int:
        return pay(client_for(token), refund, "PAY-7").status_code

    statuses = [outcome.get() for outcome in run_concurrently(report, report)]
    assert statuses == [200, 200]
    assert Refund.history.filter(id=refund.pk, status="refunded").count() == 1
    assert OutboxEvent.objects.filter(kind=EventKind.REFUND_PAID).count() == 2  # two channels
    assert timezone.is_aware(Refund.objects.get(pk=refund.pk).refunded_at)
