"""Issue 13 vendor pages of orders: list filters and CSV (China time), the order timeline,
the refund page and answer with evidence, refund terms (MS-5.7.2), invoices (MS-4.5, MS-5.5).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.timeutils import CHINA_TZ
from marketplace.workboard import board
from orders.models import Refund, RefundEvidence, VendorRefundTerms
from orders.selectors import refund_decision_facts, refund_reply_deadline
from orders.services import invoice_request, order_report_delivery, refund_request
from orders.services.refunds import vendor_terms_approve, vendor_terms_reject
from tests.factories import VendorFactory, VendorStaffFactory
from tests.orders.factories import PAID_AT, make_order, make_spec
from tests.vendors.factories import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    return VendorFactory()


@pytest.fixture
def user(client, vendor):
    staff = VendorStaffFactory(vendor=vendor)
    client.force_login(staff.user)
    return staff.user


def ask(order, ext="R-1", amount="50.00", days=1, reason="not_received") -> Refund:
    at = order.paid_at + dt.timedelta(days=days)
    refund, _ = refund_request(
        order=order,
        external_id=ext,
        reason_code=reason,
        amount_requested=amount,
        description="never arrived",
        evidence=["https://example.com/shot.png"],
        requested_at=at,
        received_at=at,
    )
    return refund


def en(client, url, **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


# --- orders list ----------------------------------------------------------------------------


def test_orders_filter_by_china_day_product_status_and_order_id(client, user, vendor):
    """Days are China days: an order paid 07-02 00:30 Beijing (07-01 16:30 UTC) is on 07-02."""
    spec = make_spec(vendor=vendor)
    late = make_order(
        spec=spec, external_id="ON-0702", paid_at=dt.datetime(2026, 7, 2, 0, 30, tzinfo=CHINA_TZ)
    )
    make_order(vendor=vendor, external_id="ON-0701", paid_at=PAID_AT)
    page = en(client, "/vendor/orders/", paid_from="2026-07-02", paid_to="2026-07-02")
    assert page.status_code == 200
    assert b"ON-0702" in page.content and b"ON-0701" not in page.content
    page = en(client, "/vendor/orders/", paid_to="2026-07-01")
    assert b"ON-0701" in page.content and b"ON-0702" not in page.content
    page = en(client, "/vendor/orders/", product=late.product_id)
    assert b"ON-0702" in page.content and b"ON-0701" not in page.content
    page = en(client, "/vendor/orders/", q="ON-0701")
    assert b"ON-0701" in page.content and b"ON-0702" not in page.content
    page = en(client, "/vendor/orders/", status="refunded")
    assert b"No order matches these filters." in page.content


def test_orders_bad_filters_are_translated_errors_not_a_list(client, user, vendor):
    make_order(vendor=vendor, external_id="MINE-1")
    other = make_order(external_id="THEIRS-1")  # another vendor's product id
    page = client.get(
        "/vendor/orders/", {"paid_from": "2026-07-05", "paid_to": "2026-07-01"}
    )  # Chinese by default
    assert page.status_code == 400
    assert "第一天" in page.content.decode() or "晚于" in page.content.decode()
    assert b"MINE-1" not in page.content
    page = en(client, "/vendor/orders/", product=other.product_id)
    assert page.status_code == 400 and b"THEIRS-1" not in page.content
    assert b"Select a valid choice" in page.content
    page = en(client, "/vendor/orders/", paid_from="2026-02-30")
    assert page.status_code == 400 and b"Enter a valid date." in page.content


def test_orders_pager_keeps_the_filters(client, user, vendor):
    spec = make_spec(vendor=vendor)
    for n in range(51):
        make_order(spec=spec, external_id=f"P-{n}", paid_at=PAID_AT + dt.timedelta(minutes=n))
    page = en(client, "/vendor/orders/", product=spec.product_id)
    assert f"page=2&amp;product={spec.product_id}".encode() in page.content


def test_orders_list_costs_the_same_queries_for_one_and_many_rows(client, user, vendor):
    make_order(vendor=vendor)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/vendor/orders/").status_code == 200
    for _ in range(5):
        make_order(vendor=VendorFactory())  # other vendors' products do not matter
        make_order(vendor=vendor)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/vendor/orders/").status_code == 200
    assert len(one.captured_queries) == len(many.captured_queries)


def test_orders_csv_opens_in_excel_with_bom_translated_headers_plain_money_china_time(
    client, user, vendor
):
    make_order(
        vendor=vendor,
        external_id="=CMD-1",  # a formula in Excel unless escaped
        amount="1234.50",
        paid_at=dt.datetime(2026, 7, 2, 0, 30, tzinfo=CHINA_TZ),
    )
    make_order(external_id="THEIRS-1")
    response = client.get("/vendor/orders/export/")  # Chinese UI
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "外部订单号"
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["外部订单号"] == "'=CMD-1"
    assert row["金额（元）"] == "1234.50"  # a plain decimal, no ¥ or thousands separator
    assert row["付款时间（北京时间）"] == "2026-07-02 00:30"


def test_orders_csv_refuses_more_rows_than_the_cap_with_a_message(client, user, vendor, settings):
    settings.VENDOR_ORDER_EXPORT_MAX_ROWS = 1
    make_order(vendor=vendor)
    make_order(vendor=vendor)
    response = client.get("/vendor/orders/export/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert b"Narrow the dates" in response.content


def test_orders_csv_with_bad_filters_is_refused(client, user, vendor):
    response = en(client, "/vendor/orders/export/", paid_from="nonsense")
    assert response.status_code == 400
    assert b"Enter a valid date." in response.content


# --- one order --------------------------------------------------------------------------------


def test_ms_4_2_ms_5_1_order_timeline_in_china_time_with_rule_ids(client, user, vendor):
    spec = make_spec(vendor=vendor, kind="saas", saas_delivered=True)
    order = make_order(spec=spec, external_id="TL-1")
    failed = PAID_AT + dt.timedelta(hours=1)
    order_report_delivery(order=order, outcome="failed", at=failed, reason="licence server down")
    order_report_delivery(order=order, outcome="repaired", at=failed + dt.timedelta(hours=2))
    ask(order)
    invoice_request(order=order, external_id="I-1", purpose="sale", invoice_type="ordinary")
    page = en(client, f"/vendor/orders/{order.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026-07-01 10:00" in html  # paid, China time
    assert "2026-07-01 11:00" in html and "licence server down" in html  # failed
    assert "2026-07-01 13:00" in html and "Delivery repaired" in html
    assert "MS-4.2" in html and "MS-5.1" in html and "MS-4.5" in html
    assert "Review period ended" in html or "Review period ends" in html
    assert reverse("vendor:refund", args=[Refund.objects.get(order=order).pk]) in html
    assert "Not settled to you yet" in html
    assert "<dd>One-off</dd>" in html  # the billing period by its label, not the code
    assert "<dd>once</dd>" not in html
    labels = [e.label for e in page.context["timeline"] if e.at]
    times = [e.at for e in page.context["timeline"] if e.at]
    assert times == sorted(times), labels


def test_order_page_of_another_vendor_is_404(client, user):
    theirs = make_order(external_id="THEIRS-1")
    assert client.get(f"/vendor/orders/{theirs.pk}/").status_code == 404


# --- refunds ----------------------------------------------------------------------------------


def test_ms_5_1_refund_page_shows_the_decision_facts_amount_and_why(client, user, vendor):
    refund = ask(make_order(vendor=vendor, amount="100.00"))
    page = en(client, f"/vendor/orders/refunds/{refund.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    facts = refund_decision_facts(refund)
    # One source of truth: the amount and the sentence the arbitrator reads.
    from orders.admin.decision import why

    assert f"¥{facts.quote.amount}" in html
    assert page.context["why"] == why(facts)
    assert "never arrived" in html and "https://example.com/shot.png" in html
    deadline = refund_reply_deadline(refund)
    assert deadline.at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") in html
    assert "Reply by" in html


def test_ms_5_1_reply_deadline_counts_working_days_in_china_time():
    """Asked Friday 2026-07-03 23:30 Beijing: three working days → Wednesday 07-08 end."""
    order = make_order(paid_at=dt.datetime(2026, 7, 1, 10, tzinfo=CHINA_TZ))
    refund = ask(order, days=0)
    refund.requested_at = dt.datetime(2026, 7, 3, 23, 30, tzinfo=CHINA_TZ)
    deadline = refund_reply_deadline(refund)
    assert deadline.day == dt.date(2026, 7, 8)
    assert not deadline.provisional


def test_ms_5_1_dispute_with_evidence_file_keeps_the_statement_and_serves_the_file(
    client, user, vendor
):
    refund = ask(make_order(vendor=vendor))
    upload = SimpleUploadedFile("delivery-proof.pdf", PDF, "application/pdf")
    response = client.post(
        f"/vendor/orders/refunds/{refund.pk}/dispute/",
        {"note": "Delivered on 07-01, see the log.", "evidence_file": upload},
    )
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED
    evidence = RefundEvidence.objects.get(refund=refund)
    assert evidence.added_by == user
    assert evidence.history.first().history_user == user
    page = en(client, f"/vendor/orders/refunds/{refund.pk}/")
    html = page.content.decode()
    # The vendor's own statement stays visible after replying (it disappeared before).
    assert "Delivered on 07-01, see the log." in html
    assert evidence.file.url in html
    served = client.get(evidence.file.url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == PDF


def test_ms_5_1_bad_evidence_or_missing_statement_writes_nothing(client, user, vendor):
    refund = ask(make_order(vendor=vendor))
    before = (RefundEvidence.objects.count(), Refund.history.count())
    fake = SimpleUploadedFile("x.pdf", b"MZ not a pdf", "application/pdf")
    response = client.post(
        f"/vendor/orders/refunds/{refund.pk}/dispute/",
        {"note": "no", "evidence_file": fake},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    response = client.post(
        f"/vendor/orders/refunds/{refund.pk}/dispute/", {"note": "  "}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert b"Say why you dispute the request." in response.content
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED
    assert (RefundEvidence.objects.count(), Refund.history.count()) == before


def test_ms_5_1_agree_with_statement_shows_it_afterwards(client, user, vendor):
    refund = ask(make_order(vendor=vendor))
    client.post(f"/vendor/orders/refunds/{refund.pk}/agree/", {"note": "Sorry, refunded."})
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_AGREED
    assert refund.approved_amount == Decimal("50.00")
    page = en(client, f"/vendor/orders/refunds/{refund.pk}/")
    assert b"Sorry, refunded." in page.content


def test_refund_list_costs_the_same_queries_for_one_and_many_rows(client, user, vendor):
    ask(make_order(vendor=vendor))
    with CaptureQueriesContext(connection) as one:
        assert client.get("/vendor/orders/refunds/").status_code == 200
    for n in range(4):
        ask(make_order(vendor=vendor), ext=f"R-{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/vendor/orders/refunds/").status_code == 200
    assert len(one.captured_queries) == len(many.captured_queries)


# --- refund terms (MS-5.7.2) -----------------------------------------------------------------


def terms_post(client, **extra):
    body = {
        "refund_percent": "80",
        "text": "80% of the unused months",
        "effective_from": "2099-01-01",
        **extra,
    }
    return client.post("/vendor/orders/refund-terms/", body, HTTP_ACCEPT_LANGUAGE="en")


def test_ms_5_7_2_vendor_submits_terms_they_await_approval_on_the_work_board(
    client, user, vendor, django_user_model
):
    response = terms_post(client)
    assert response.status_code == 302
    terms = VendorRefundTerms.objects.get(vendor=vendor)
    assert terms.status == VendorRefundTerms.Status.SUBMITTED
    assert terms.submitted_by == user and terms.submitted_at is not None
    assert terms.history.first().history_user == user
    page = en(client, "/vendor/orders/refund-terms/")
    assert b"Awaiting platform approval" in page.content
    # The platform's queue "refund terms to approve" lists it.
    from tests.factories import UserFactory

    arbitrator = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    arbitrator.user_permissions.add(Permission.objects.get(codename="decide_vendorrefundterms"))
    arbitrator = django_user_model.objects.get(pk=arbitrator.pk)
    now = timezone.now()
    row = {r.queue.key: r for r in board(arbitrator, now)}["refund_terms_to_decide"]
    assert row.count == 1 and row.oldest == terms.submitted_at
    assert terms in row.queue.items(arbitrator, now)


def test_ms_5_7_2_vendor_sees_approval_and_the_arbitrators_rejection_reason(
    client, user, vendor, admin_user
):
    terms_post(client)
    terms_post(client, refund_percent="10", text="only 10%")
    first, second = VendorRefundTerms.objects.order_by("pk")
    vendor_terms_approve(terms=first, actor=admin_user, reason="written approval")
    vendor_terms_reject(terms=second, actor=admin_user, reason="10% is unfair to buyers")
    html = en(client, "/vendor/orders/refund-terms/").content.decode()
    assert "Approved" in html and "Rejected" in html
    assert "10% is unfair to buyers" in html


def test_ms_5_7_2_bad_terms_are_refused_and_nothing_is_written(client, user, vendor):
    other = make_order(external_id="THEIRS")  # another vendor's product
    for body in (
        {"refund_percent": "101"},
        {"refund_percent": "-1"},
        {"refund_percent": "1e2"},
        {"text": "   "},
        {"effective_from": "2020-01-01"},
        {"effective_from": "2026-02-30"},
        {"product": str(other.product_id)},
    ):
        response = terms_post(client, **body)
        assert response.status_code == 400, body
        assert response.context["form"].errors, body
    assert not VendorRefundTerms.objects.exists()


# --- invoices (MS-4.5, MS-5.5) ---------------------------------------------------------------


def test_ms_4_5_invoices_by_sales_mode(client, user, vendor):
    platform = make_order(vendor=vendor, external_id="PLAT-1", sales_mode="platform")
    consign = make_order(vendor=vendor, external_id="CONS-1", sales_mode="consignment")
    invoice_request(order=platform, external_id="I-P", purpose="sale", invoice_type="ordinary")
    invoice_request(order=consign, external_id="I-C", purpose="sale", invoice_type="ordinary")
    invoice_request(order=make_order(external_id="THEIRS"), external_id="I-T", purpose="sale",
                    invoice_type="ordinary")  # fmt: skip
    page = en(client, "/vendor/orders/invoices/")
    assert b"PLAT-1" in page.content and b"CONS-1" in page.content
    assert b"THEIRS" not in page.content
    page = en(client, "/vendor/orders/invoices/", mode="consignment")
    assert b"CONS-1" in page.content and b"PLAT-1" not in page.content
    page = en(client, "/vendor/orders/invoices/", mode="nonsense")
    assert page.status_code == 400 and b"Select a valid choice" in page.content
