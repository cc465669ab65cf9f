"""Issue 14: the event feed (GET /api/v1/events/?after=CURSOR) and the services that fill it.

Events are written in the change's transaction by the services themselves: refund approved
(MS-5.1/5.2, vendor agreement or platform approval), refund paid, product delisted (catalog),
product hidden / shown and store suspended / resumed (compliance's recompute, MS-7), only on
a real change. Vendor exited and order refund on exit (MS-8) are the exit's own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from catalog.models import Product
from catalog.services import product_delist, products_delist_bulk
from compliance.models import CauseType, MeasureKind
from compliance.services.measures import measure_apply, measure_lift
from marketplace import roles
from marketplace.outbox import EventKind, OutboxEvent, event_emit
from orders.services import refund_approve, refund_request, refund_vendor_agree
from tests.factories import ProductFactory, StoreFactory, VendorFactory, role_user
from tests.orders.factories import PAID_AT, make_account, make_order

pytestmark = pytest.mark.django_db


def client_for(token: str, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def storefront() -> APIClient:
    return client_for(make_account(channel="cn", preset="storefront")[1])


@pytest.fixture
def billing() -> APIClient:
    return client_for(make_account(channel="cn", preset="billing")[1])


def requested(order, ext: str = "R-1", amount: str = "100.00"):
    refund, _ = refund_request(
        order=order,
        external_id=ext,
        reason_code="no_longer_needed",
        amount_requested=amount,
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),
    )
    return refund


def feed(client: APIClient, after: int = 0, **params) -> dict:
    response = client.get("/api/v1/events/", {"after": after, **params})
    assert response.status_code == 200, response.content
    return response.json()


def kinds(page: dict) -> list[str]:
    return [e["kind"] for e in page["events"]]


# --- the services emit, in their transaction, on real change only ---------------------------


def test_ms_5_1_vendor_agreement_emits_refund_approved_with_the_amount(storefront, billing):
    refund = refund_vendor_agree(refund=requested(make_order(), amount="60.00"), actor=None)
    for client in (storefront, billing):
        (event,) = feed(client)["events"]
        assert event["kind"] == "refund.approved"
        assert event["subject"] == {"type": "orders.refund", "id": str(refund.pk)}
        assert event["payload"]["amount"] == "60.00"  # Decimal as a string, CNY
        assert event["payload"]["approved_by"] == "vendor"


def test_ms_5_2_platform_approval_emits_refund_approved(billing):
    arbiter = role_user(roles.REFUND_ARBITRATOR)
    refund = refund_approve(
        refund=requested(make_order()),
        actor=arbiter,
        reason="vendor unreachable",
        platform_ground="5_unreachable",
    )
    (event,) = feed(billing)["events"]
    assert (event["kind"], event["payload"]["approved_by"]) == ("refund.approved", "platform")
    assert event["payload"]["amount"] == str(refund.approved_amount)


def test_ms_5_1_approval_rolled_back_with_its_caller_emits_nothing(billing):
    """The event is in the service's transaction: an enclosing rollback takes it too."""
    refund = requested(make_order(), amount="50.00")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        refund_vendor_agree(refund=refund, actor=None)
        assert OutboxEvent.objects.filter(kind=EventKind.REFUND_APPROVED).count() == 2
        raise Boom
    refund.refresh_from_db()
    assert refund.status == "requested"
    assert feed(billing)["events"] == []


def test_ms_4_2_product_delisted_emits_for_the_storefront_only(storefront, billing):
    product = ProductFactory(status=Product.Status.LISTED)
    product_delist(product=product, actor=None, reason="MS-4.2: unrepaired delivery failure")
    (event,) = feed(storefront)["events"]
    assert event["kind"] == "product.delisted"
    assert event["payload"]["reason"] == "MS-4.2: unrepaired delivery failure"
    assert feed(billing)["events"] == []


def test_ms_4_2_bulk_delisting_emits_one_event_per_product_delisted(storefront):
    vendor = VendorFactory()
    listed = ProductFactory.create_batch(3, vendor=vendor, status=Product.Status.LISTED)
    draft = ProductFactory(vendor=vendor, status=Product.Status.DRAFT)
    products_delist_bulk(product_ids=[p.pk for p in [*listed, draft]], actor=None, reason="MS-4.2")
    page = feed(storefront)
    assert kinds(page) == ["product.delisted"] * 3
    assert sorted(int(e["subject"]["id"]) for e in page["events"]) == sorted(p.pk for p in listed)
    products_delist_bulk(product_ids=[p.pk for p in listed], actor=None, reason="again")
    assert feed(storefront, after=page["next_cursor"])["events"] == []  # nothing changed


def _measure(vendor, kind, product=None):
    return measure_apply(
        vendor=vendor,
        kind=kind,
        product=product,
        cause_type=CauseType.MANUAL,
        actor=None,
        reason="MS-7 test",
    )


def test_ms_7_store_suspended_and_its_products_hidden_once_then_resumed(storefront, billing):
    vendor = VendorFactory(store=None)
    store = StoreFactory(vendor=vendor)
    product = ProductFactory(vendor=vendor, status=Product.Status.LISTED, searchable=True)
    measure = _measure(vendor, MeasureKind.SHIELD_STORE)
    page = feed(storefront)
    assert sorted(kinds(page)) == ["product.hidden", "store.suspended"]
    suspended = next(e for e in page["events"] if e["kind"] == "store.suspended")
    assert suspended["subject"] == {"type": "vendors.store", "id": str(store.pk)}
    assert suspended["payload"]["displayed"] is False
    hidden = next(e for e in page["events"] if e["kind"] == "product.hidden")
    assert hidden["payload"]["reasons"] == "shield_store"
    # A second measure hiding the same product: its reasons change, its visibility does not.
    _measure(vendor, MeasureKind.HIDE_PRODUCT, product)
    assert feed(storefront, after=page["next_cursor"])["events"] == []
    assert feed(billing)["events"] == []  # the storefront's business
    measure_lift(measure=measure, actor=None, reason="served")
    later = feed(storefront, after=page["next_cursor"])
    assert kinds(later) == ["store.resumed"]  # the product stays hidden by its own measure


# --- the feed: cursor, channel, sales channel ------------------------------------------------


def test_cursor_pages_serve_each_event_once_in_order(storefront):
    vendor = VendorFactory()
    with transaction.atomic():
        for _ in range(5):
            event_emit(
                kind=EventKind.VENDOR_EXITED, subject=vendor, payload={"vendor_id": vendor.pk}
            )
    seen, after = [], 0
    while True:
        page = feed(storefront, after=after, limit=2)
        seen += [e["cursor"] for e in page["events"]]
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 5
    assert feed(storefront, after=after) == {"events": [], "next_cursor": after, "has_more": False}


def test_the_other_sales_channels_order_events_are_never_served(storefront):
    refund_vendor_agree(refund=requested(make_order(channel="intl")), actor=None)
    own = refund_vendor_agree(refund=requested(make_order(channel="cn")), actor=None)
    other = client_for(make_account(channel="intl", preset="storefront")[1])
    assert [e["subject"]["id"] for e in feed(storefront)["events"]] == [str(own.pk)]
    assert [e["subject"]["id"] for e in feed(other)["events"]] != [str(own.pk)]
    assert OutboxEvent.objects.filter(sales_channel="intl").exists()


def test_a_token_with_both_feeds_names_one_and_a_token_with_none_is_403():
    from orders.models import ApiOperation
    from orders.services import service_account_create

    _account, both = service_account_create(
        name="both",
        channel="cn",
        operations=[ApiOperation.READ_STOREFRONT_EVENTS, ApiOperation.READ_BILLING_EVENTS],
        actor=None,
    )
    response = client_for(both).get("/api/v1/events/")
    assert response.status_code == 400
    assert response.json()["code"] == "channel_required"
    assert client_for(both).get("/api/v1/events/?channel=billing").status_code == 200
    _account, none = service_account_create(
        name="none", channel="cn", operations=[ApiOperation.READ_REFUND], actor=None
    )
    denied = client_for(none).get("/api/v1/events/")
    assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    storefront_only = client_for(make_account(channel="cn", preset="storefront")[1])
    wrong = storefront_only.get("/api/v1/events/?channel=billing")
    assert (wrong.status_code, wrong.json()["code"]) == (403, "feed_not_allowed")


def test_anonymous_and_bad_tokens_are_401():
    assert APIClient().get("/api/v1/events/").status_code == 401
    bad = client_for("mkt_0000_nope").get("/api/v1/events/")
    assert bad.status_code == 401 and bad.json()["code"]


def test_bad_cursor_is_400_translated(storefront):
    zh = client_for(make_account(channel="cn", preset="storefront")[1], "zh-hans")
    for client, english in ((storefront, True), (zh, False)):
        response = client.get("/api/v1/events/?after=-1")
        assert response.status_code == 400
        assert "after" in response.json()["details"]
        assert ("greater than or equal" in response.json()["message"]) is english


def test_the_feed_is_throttled_per_account(settings):
    from django.conf import settings as django_settings
    from django.core.cache import cache

    rest = dict(django_settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        **rest["DEFAULT_THROTTLE_RATES"],
        "service_account": "2/minute",
    }
    settings.REST_FRAMEWORK = rest
    cache.clear()
    try:
        client = client_for(make_account(channel="cn", preset="billing")[1])
        assert [client.get("/api/v1/events/").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        cache.clear()


def test_openapi_documents_the_feed_and_the_payment_with_examples():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    events = schema["paths"]["/api/v1/events/"]["get"]
    assert {p["name"] for p in events["parameters"]} >= {"after", "limit", "channel"}
    ok = events["responses"]["200"]["content"]["application/json"]
    assert ok["examples"] and ok["schema"]["$ref"].endswith("/EventPageOut")
    assert {"400", "401", "403"} <= set(events["responses"])
    payment = schema["paths"]["/api/v1/refunds/{id}/payment/"]["post"]
    assert payment["requestBody"]["content"]["application/json"]["examples"]
    assert payment["responses"]["409"]["content"]["application/json"]["examples"]
