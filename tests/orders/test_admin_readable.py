"""Readable records in the orders admin (issue 12 §2, MS-5.1/MS-5.2/MS-5.6): labels for
choices, money as ¥1,999.00, the consumed share as a percentage, evidence as a list of links,
links instead of `model:id` references, times in China time — in Chinese and in English."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from marketplace import roles
from orders.models import Clawback, Refund
from orders.services import (
    clawback_deduct_from_deposit,
    order_settle,
    refund_mark_refunded,
    refund_request,
    refund_vendor_agree,
    refund_vendor_dispute,
)
from tests.factories import UserFactory
from tests.orders.factories import PAID_AT, make_order

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
ASKED_AT = PAID_AT + dt.timedelta(days=2)  # 2026-07-03 10:00 China time


@pytest.fixture
def arbitrator(client):
    user = UserFactory(is_staff=True)
    user.groups.add(roles.group_for(roles.REFUND_ARBITRATOR))
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    """The server's zone is not China's: pages still show China time."""
    settings.TIME_ZONE = "UTC"


def disputed_refund(evidence=None) -> Refund:
    order = make_order(billing_period="month", amount="1999.00", external_id="SF-READ")
    refund, _ = refund_request(
        order=order,
        external_id="RF-READ",
        reason_code="slow_or_rude",
        amount_requested="1999.00",
        description="slow answers",
        evidence=evidence if evidence is not None else ["https://example.com/evidence.png"],
        requested_at=ASKED_AT,
        received_at=ASKED_AT,  # seeded history: received when it was asked
    )
    return refund_vendor_dispute(refund=refund, actor=None, note="answered within a day")


def _cells(page: str) -> str:
    return re.sub(r"\s+", " ", page)


def test_ms_5_1_refund_list_shows_key_columns_readably_in_english(arbitrator):
    refund = disputed_refund()
    page = _cells(arbitrator.get("/admin/orders/refund/", **EN).content.decode())
    for header in ["Order / refund request", "Status", "Requested at", "Waiting (days)"]:
        assert header in page, header
    assert "Amount asked" in page and ">Vendor<" in page
    assert "SF-READ" in page and "RF-READ" in page
    assert "Vendor disputed" in page and ">vendor_disputed<" not in page
    assert "¥1,999.00" in page and "1999.00<" not in page
    assert "2026-07-03 10:00" in page  # China time although the server runs in UTC
    assert str(refund.vendor) in page


def test_ms_5_1_refund_list_in_chinese_has_no_english_headers(arbitrator):
    disputed_refund()
    page = arbitrator.get("/admin/orders/refund/", **ZH).content.decode()
    for words in [
        "订单 / 退款申请",
        "状态",
        "申请时间",
        "等待天数",
        "申请退款金额",
        "服务商有异议",
    ]:
        assert words in page, words
    for english in ["Waiting (days)", "Amount asked", "Vendor disputed", "Requested at"]:
        assert english not in page, english


def test_ms_5_2_refund_page_shows_percent_money_lists_and_china_time(arbitrator):
    refund = disputed_refund()
    page = arbitrator.get(reverse("admin:orders_refund_change", args=[refund.pk]), **EN)
    text = page.content.decode()
    assert "¥1,999.00" in text
    share = f"{refund.consumed_fraction * 100:.2f}".rstrip("0").rstrip(".") + "%"
    assert share in text and f">{refund.consumed_fraction}<" not in text
    assert '<ul class="evidence-list"><li><a href="https://example.com/evidence.png"' in text
    assert '["https://' not in text and "[&quot;" not in text
    assert "2026-07-03 10:00" in text and "Times are China time" in text
    assert "Vendor's service slow or attitude bad" in text or "Vendor&#x27;s service" in text
    assert "Full refund inside the review period (MS-5.1)" in text


def test_ms_5_2_refund_page_in_chinese(arbitrator):
    refund = disputed_refund()
    text = arbitrator.get(
        reverse("admin:orders_refund_change", args=[refund.pk]), **ZH
    ).content.decode()
    for words in ["已消耗比例", "¥1,999.00", "凭证", "时间均为北京时间", "复议期内全额退款"]:
        assert words in text, words
    assert "Consumed share" not in text and "Times are China time" not in text


def test_refund_evidence_links_an_uploaded_file_through_the_private_file_view(
    arbitrator, settings, tmp_path
):
    """A reference to an uploaded file opens through `/files/<kind>/<id>/` (issue 8 §4),
    named by its file; an unknown reference stays text, never a link."""
    from tests.vendors.factories import filled_application
    from vendors.models import VendorDocument

    settings.MEDIA_ROOT = tmp_path / "media"
    application = filled_application()
    document = VendorDocument.objects.filter(vendor=application.vendor).first()
    refund = disputed_refund(
        evidence=[f"vendor-document:{document.pk}", "/files/vendor-document/999999/"]
    )
    text = arbitrator.get(
        reverse("admin:orders_refund_change", args=[refund.pk]), **EN
    ).content.decode()
    url = reverse("private-file", args=["vendor-document", document.pk])
    assert f'<a href="{url}"' in text and f">{Path(document.file.name).name}</a>" in text
    assert "<li>/files/vendor-document/999999/</li>" in text


def _order_with_a_refund():
    order = make_order(billing_period="month", amount="310.00", external_id="SF-ORDER")
    refund, _ = refund_request(
        order=order,
        external_id="RF-ORDER",
        reason_code="no_longer_needed",
        amount_requested="31.00",
        requested_at=ASKED_AT,
        received_at=ASKED_AT,
    )
    refund_vendor_agree(refund=refund, actor=None)
    refund_mark_refunded(refund=refund, actor=None, reason="paid")
    return order


def test_ms_5_1_order_page_shows_labels_money_percent_and_china_time(arbitrator):
    order = _order_with_a_refund()
    text = arbitrator.get(
        reverse("admin:orders_order_change", args=[order.pk]), **EN
    ).content.decode()
    assert "Monthly" in text and ">month<" not in text
    assert "10%" in text and ">0.1000<" not in text  # the service fee rate
    assert "¥310.00" in text and "¥31.00" in text  # paid, and the inline refund's amounts
    assert "2026-07-01 10:00" in text  # paid at, China time
    assert "Refunded" in text


def test_ms_5_1_order_list_in_chinese_money_and_china_time(arbitrator):
    _order_with_a_refund()
    text = arbitrator.get("/admin/orders/order/", **ZH).content.decode()
    assert "¥310.00" in text and "¥31.00" in text  # amount and refunded total
    assert "2026-07-01 10:00" in text
    assert "Monthly" not in text


def test_ms_5_6_clawback_links_its_ledger_entry_instead_of_an_id(admin_client):
    from vendors.services import deposit_pay

    order = make_order(amount="200.00")
    deposit_pay(vendor=order.vendor, amount="5000.00", actor=None, reason="onboarding")
    order_settle(order=order, actor=None, reason="settled")
    refund, _ = refund_request(
        order=order,
        external_id="RF-CLAW",
        reason_code="no_longer_needed",
        amount_requested="50.00",
        requested_at=ASKED_AT,
        received_at=ASKED_AT,
    )
    refund_mark_refunded(
        refund=refund_vendor_agree(refund=refund, actor=None), actor=None, reason="paid"
    )
    clawback = clawback_deduct_from_deposit(
        clawback=Clawback.objects.get(), actor=None, reason="recover"
    )
    text = admin_client.get(
        reverse("admin:orders_clawback_change", args=[clawback.pk]), **EN
    ).content.decode()
    entry_url = reverse("admin:vendors_depositentry_change", args=[clawback.deposit_entry_id])
    assert f'href="{entry_url}"' in text
    assert "¥45.00" in text
    listing = admin_client.get("/admin/orders/clawback/", **EN).content.decode()
    assert "¥45.00" in listing
