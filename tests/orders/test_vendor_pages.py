"""Vendor pages: own orders and refunds only; agree/dispute; another vendor's IDs → 404."""

from __future__ import annotations

import datetime as dt

import pytest

from orders.models import Refund
from orders.services import refund_request
from tests.factories import VendorFactory, VendorStaffFactory
from tests.orders.factories import PAID_AT, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor_a():
    return VendorFactory()


@pytest.fixture
def vendor_b():
    return VendorFactory()


def login(client, vendor):
    staff = VendorStaffFactory(vendor=vendor)
    client.force_login(staff.user)
    return staff.user


def requested_refund(vendor, ext="SF-1"):
    order = make_order(vendor=vendor, external_id=ext)
    refund, _ = refund_request(
        order=order,
        external_id="R-1",
        reason_code="not_received",
        amount_requested="50.00",
        description="never arrived",
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),  # seeded history: received when it was asked
    )
    return refund


def test_order_list_shows_only_own_orders(client, vendor_a, vendor_b):
    make_order(vendor=vendor_a, external_id="MINE-1")
    make_order(vendor=vendor_b, external_id="THEIRS-1")
    login(client, vendor_a)
    response = client.get("/vendor/orders/")
    assert response.status_code == 200
    assert b"MINE-1" in response.content and b"THEIRS-1" not in response.content


def test_refund_list_and_agree(client, vendor_a):
    refund = requested_refund(vendor_a)
    user = login(client, vendor_a)
    listing = client.get("/vendor/orders/refunds/")
    assert b"never arrived" in listing.content
    response = client.post(f"/vendor/orders/refunds/{refund.pk}/agree/")
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_AGREED
    assert refund.history.first().history_user == user


def test_dispute_needs_a_note(client, vendor_a):
    refund = requested_refund(vendor_a)
    login(client, vendor_a)
    client.post(f"/vendor/orders/refunds/{refund.pk}/dispute/", {"note": ""})
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED
    client.post(f"/vendor/orders/refunds/{refund.pk}/dispute/", {"note": "it was delivered"})
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED


def test_another_vendors_refund_ids_give_404(client, vendor_a, vendor_b):
    theirs = requested_refund(vendor_b, ext="SF-B")
    login(client, vendor_a)
    assert client.post(f"/vendor/orders/refunds/{theirs.pk}/agree/").status_code == 404
    assert (
        client.post(f"/vendor/orders/refunds/{theirs.pk}/dispute/", {"note": "x"}).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == Refund.Status.REQUESTED
    page = client.get("/vendor/orders/refunds/")
    assert page.status_code == 200 and b"SF-B" not in page.content


def test_non_vendor_users_are_refused(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/vendor/orders/").status_code == 403


def test_agree_twice_is_a_clear_message_not_an_error(client, vendor_a):
    refund = requested_refund(vendor_a)
    login(client, vendor_a)
    client.post(f"/vendor/orders/refunds/{refund.pk}/agree/")
    response = client.post(
        f"/vendor/orders/refunds/{refund.pk}/agree/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert any("not allowed" in str(m) for m in response.context["messages"])


def test_vendor_home_shows_the_orders_panel_with_its_numbers(client, vendor_a, vendor_b):
    """The panel's counts are the vendor's own (they were blank: "orders in progress")."""
    requested_refund(vendor_a)
    make_order(vendor=vendor_a, external_id="SF-2")
    requested_refund(vendor_b, ext="SF-B")  # another vendor's work is not counted
    login(client, vendor_a)
    response = client.get("/vendor/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 orders in progress" in html
    assert "1 refund requests awaiting your answer" in html
    assert "0 SaaS delivery failures to repair" in html


def test_refund_page_is_chinese_by_default(client, vendor_a):
    requested_refund(vendor_a)
    login(client, vendor_a)
    content = client.get("/vendor/orders/refunds/").content.decode()
    assert "未收到商品/服务" in content and "提出异议" in content
