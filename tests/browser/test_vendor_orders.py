"""Browser journeys of issue 13 (Chinese UI, Chromium): reply to a refund (MS-5.1) and submit
refund terms (MS-5.7.2), at 1440 px and at 390 px, asserting what the vendor sees and that
no page scrolls sideways."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from orders.models import Refund, RefundEvidence, VendorRefundTerms
from orders.services import refund_request
from tests.factories import UserFactory, VendorStaffFactory
from tests.orders.factories import make_order
from tests.vendors.factories import PDF

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PASSWORD = "browser-test-pass-1"
WIDTHS = [1440, 390]


@pytest.fixture
def browser(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _vendor_user(username: str):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save()
    return VendorStaffFactory(user=user)


def _page(browser, width: int):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    return context.new_page()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[type=submit]")


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url}: {width}px wide"


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.django_db(transaction=True)
def test_ms_5_1_reply_to_a_refund_with_statement_and_evidence(live_server, browser, width):
    staff = _vendor_user(f"refund-{width}")
    paid = timezone.now() - dt.timedelta(hours=3)
    order = make_order(vendor=staff.vendor, external_id="BR-ORDER-1", amount="300.00", paid_at=paid)
    refund, _ = refund_request(
        order=order, external_id="BR-R-1", reason_code="not_received", amount_requested="300.00",
        description="买家说没有收到安装包", requested_at=paid + dt.timedelta(hours=1),
        received_at=paid + dt.timedelta(hours=1),
    )  # fmt: skip
    page = _page(browser, width)
    _sign_in(page, live_server.url, staff.user.username)

    page.goto(f"{live_server.url}/vendor/orders/refunds/")
    assert page.locator("h1").inner_text() == "退款"
    _no_sideways_scroll(page)
    with page.expect_navigation():
        page.get_by_role("link", name="BR-ORDER-1").first.click()
    body = page.locator("main").inner_text()
    assert "退款 BR-R-1" in body
    assert "请于" in body and "前答复" in body  # the reply deadline, China time
    assert "买家说没有收到安装包" in body
    assert "按规则计算的金额" in body and "¥300.00" in body
    _no_sideways_scroll(page)

    dispute = page.locator("form[action$='/dispute/']")
    dispute.locator("textarea[name=note]").fill("安装包已于当天通过邮件发送，见附件。")
    dispute.locator("input[name=evidence_file]").set_input_files(
        {"name": "发送记录.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    with page.expect_navigation():
        dispute.get_by_role("button", name="提出异议").click()

    body = page.locator("main").inner_text()
    assert "提出异议，平台将进行仲裁" in body
    assert "安装包已于当天通过邮件发送，见附件。" in body  # the statement stays visible
    link = page.get_by_role("link", name="发送记录.pdf")
    assert link.count() == 1
    _no_sideways_scroll(page)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED
    assert RefundEvidence.objects.filter(refund=refund).count() == 1
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.django_db(transaction=True)
def test_ms_5_7_2_submit_refund_terms_and_see_them_await_approval(live_server, browser, width):
    staff = _vendor_user(f"terms-{width}")
    page = _page(browser, width)
    _sign_in(page, live_server.url, staff.user.username)

    page.goto(f"{live_server.url}/vendor/orders/refund-terms/")
    assert page.locator("h1").inner_text() == "退款规则"
    assert "您尚未提交退款规则" in page.locator("main").inner_text()
    _no_sideways_scroll(page)

    form = page.locator("form[aria-label='提交新的退款规则']")
    form.locator("input[name=refund_percent]").fill("1e2")  # refused: not a plain number
    form.locator("textarea[name=text]").fill("复议期后按未消耗部分的 80% 退款")
    form.locator("input[name=effective_from]").fill("2099-01-01")
    with page.expect_navigation():
        form.get_by_role("button", name="提交审批").click()
    assert "请输入 0 到 100 之间的数字" in page.locator("main").inner_text()
    assert not VendorRefundTerms.objects.exists()

    form = page.locator("form[aria-label='提交新的退款规则']")
    form.locator("input[name=refund_percent]").fill("80")
    with page.expect_navigation():
        form.get_by_role("button", name="提交审批").click()
    body = page.locator("main").inner_text()
    assert "您的退款规则已提交平台审批" in body
    assert "待平台审批" in body and "80%" in body
    _no_sideways_scroll(page)
    assert VendorRefundTerms.objects.get().status == VendorRefundTerms.Status.SUBMITTED
    page.context.close()
