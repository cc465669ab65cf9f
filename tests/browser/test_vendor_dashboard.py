"""Browser journeys of issue 13 in Chromium, Chinese UI, at 1440 px and 390 px: read the
dashboard, read and clear the inbox. Each asserts what the person sees, that nothing
overflows horizontally, and that the page breaks no Content-Security-Policy rule (the trend
chart is a pygal SVG served as a `data:` image, MS-5.8).

The page fixture is copied from tests/browser/test_csp.py (its conftest belongs to another
suite of journeys).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.models import VendorNotification
from tests.compliance.factories import paid_vendor
from tests.factories import UserFactory, VendorStaffFactory, violation_deduction
from tests.orders.factories import make_order

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-test-pass-1"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""
WIDTHS = [1440, 390]


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def page(request, monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(
            locale="zh-CN", viewport={"width": request.param, "height": 900}
        )
        context.add_init_script(RECORD_VIOLATIONS)
        try:
            yield context.new_page()
        finally:
            context.close()
            chromium.close()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/vendor/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[type=submit]")


def _staff(vendor, username: str):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save()
    VendorStaffFactory(vendor=vendor, user=user)
    return user


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("document.documentElement.clientWidth")
    assert width <= viewport, f"horizontal overflow: {width} > {viewport}"


def _no_violations(page) -> None:
    assert page.evaluate("window.__cspViolations || []") == []


def _notice(vendor, n: int, rule_id: str = "MS-5.8") -> VendorNotification:
    return VendorNotification.objects.create(
        vendor=vendor,
        rule_id=rule_id,
        subject=f"退款率高于 1.00%：第 {n} 条通知",
        body="您近 30 天的退款率高于 1.00%。",
        dedupe_key=f"browser:{vendor.pk}:{n}",
        action_required_by=timezone.now() + dt.timedelta(days=30),
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_read_the_dashboard(live_server, page):
    """The vendor reads its deposit (MS-3.1.5 ③), refund rate (MS-5.8) with the chart and its
    table, and its orders in Chinese, with every number present."""
    vendor = paid_vendor("5000.00", name="仪表盘测试科技有限公司")
    violation_deduction(vendor, Decimal("1200.00"))
    now = timezone.now()
    for i in range(4):
        make_order(vendor=vendor, paid_at=now - dt.timedelta(days=1, hours=i))
    _staff(vendor, "dash-staff")
    _sign_in(page, live_server.url, "dash-staff")
    assert page.url.endswith("/vendor/")
    page.wait_for_load_state("networkidle")

    deposit = page.locator("#deposit")
    assert deposit.locator("[data-figure=deposit-balance]").inner_text() == "¥3,800.00"
    assert deposit.locator("[data-figure=deposit-to-top-up]").inner_text() == "¥1,200.00"
    assert "剩余工作日" in deposit.locator("[data-figure=deposit-due]").inner_text()

    kpi = page.locator("#kpi")
    assert "退款率（MS-5.8）" in kpi.inner_text()
    assert kpi.locator("[data-figure=refund-rate]").inner_text() == "0.00%"
    assert kpi.locator("[data-figure=refund-threshold]").inner_text() == "1.00%"
    chart = kpi.locator(".chart img")
    assert chart.is_visible()
    assert page.evaluate("document.querySelector('.chart img').naturalWidth") > 0  # drawn
    kpi.locator("summary").click()  # the table fallback, no JavaScript of ours
    assert kpi.locator(".chart-table tbody tr").count() == 90

    orders = page.locator("#orders-panel")
    assert orders.locator("[data-figure=orders-unfinished]").inner_text().startswith("4 ")
    assert "个订单进行中" in orders.inner_text()
    _no_overflow(page)
    _no_violations(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_read_and_clear_the_inbox(live_server, page):
    vendor = paid_vendor("5000.00", name="收件箱测试科技有限公司")
    for n in range(3):
        _notice(vendor, n)
    _staff(vendor, "inbox-staff")
    _sign_in(page, live_server.url, "inbox-staff")
    badge = page.locator(".mainnav .count")
    assert badge.inner_text() == "3"

    with page.expect_navigation():
        page.locator(".mainnav a", has_text="通知").click()
    assert page.locator(".notice.unread").count() == 3
    first = page.locator(".notice.unread").first
    first.locator("summary").click()
    assert "退款率高于 1.00%" in first.inner_text()
    _no_overflow(page)
    with page.expect_navigation():
        first.locator("button", has_text="标为已读").click()
    assert page.locator(".mainnav .count").inner_text() == "2"
    assert page.locator(".notice.read").count() == 1

    with page.expect_navigation():
        page.locator("#read-all").click()
    assert page.locator(".messages").inner_text().startswith("已标为已读的通知：2")
    assert page.locator(".notice.unread").count() == 0
    assert page.locator(".mainnav .count").count() == 0
    _no_overflow(page)
    _no_violations(page)
