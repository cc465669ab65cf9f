"""Browser journeys of the vendor's duties (issue 13), in Chromium with the Chinese UI, at
1440 px and at 390 px with no horizontal overflow, asserting what the person sees:
replace a document (MS-6.1.1), sign the agreement (MS-3.1.4), submit a product with
qualifications (MS-4.1.2)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from catalog.models import Product, QualificationRequirement
from marketplace.timeutils import china_date
from tests.factories import ProductFactory, SpecificationFactory, UserFactory, VendorStaffFactory
from tests.vendors.factories import active_vendor, category, pdf_upload
from vendors.models import AgreementVersion, CheckResult, DocumentKind, VendorDocument

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PASSWORD = "browser-test-pass-1"
WIDTHS = [1440, 390]
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth + 1"


@pytest.fixture
def chromium(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _page(chromium, width: int):
    context = chromium.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    return context.new_page()


def _vendor_login(page, base: str, vendor) -> None:
    user = UserFactory(username=f"duty-{vendor.pk}")
    user.set_password(PASSWORD)
    user.save()
    VendorStaffFactory(vendor=vendor, user=user)
    page.goto(f"{base}/accounts/login/?next=/vendor/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[type=submit]")


def _no_overflow(page) -> None:
    assert not page.evaluate(OVERFLOW), page.url


def _today() -> dt.date:
    return china_date(timezone.now())


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.django_db(transaction=True)
def test_ms_6_1_1_replace_a_document(live_server, chromium, width, tmp_path):
    vendor = active_vendor()
    VendorDocument.objects.create(
        vendor=vendor,
        kind=DocumentKind.BUSINESS_LICENCE,
        file=pdf_upload("old.pdf"),
        valid_from=_today() - dt.timedelta(days=300),
        valid_until=_today() + dt.timedelta(days=10),
        review_result=CheckResult.PASSED,
    )
    page = _page(chromium, width)
    _vendor_login(page, live_server.url, vendor)
    page.goto(f"{live_server.url}/vendor/documents/")
    assert "30 天内到期" in page.inner_text("table.documents")
    _no_overflow(page)
    page.click("text=更换")
    new_file = tmp_path / "new.pdf"
    new_file.write_bytes(pdf_upload().read())
    page.select_option("#id_kind", DocumentKind.BUSINESS_LICENCE)
    page.set_input_files("#id_file", str(new_file))
    page.fill("#id_valid_from", str(_today()))
    page.fill("#id_valid_until", str(_today() + dt.timedelta(days=3650)))
    with page.expect_navigation():
        page.click("text=上传更换的资料")
    assert "入驻审核员将进行审核" in page.inner_text(".messages")
    assert "未核验" in page.inner_text("table.documents")
    assert "没有被更换的资料" not in page.content()  # the old one is in the history
    _no_overflow(page)
    assert VendorDocument.objects.filter(vendor=vendor, replaced_at__isnull=False).count() == 1


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.django_db(transaction=True)
def test_ms_3_1_4_sign_the_agreement(live_server, chromium, width):
    vendor = active_vendor()
    AgreementVersion.objects.get_or_create(
        version="2026-11-20",
        defaults={
            "title": "服务商接入协议（2026 年修订）",
            "summary": "售后服务时间每日 09:00–18:00",
            "text": "第四条 服务商应在每日 09:00–18:00 提供实时售后服务。",
            "effective_from": _today() - dt.timedelta(days=1),
        },
    )
    page = _page(chromium, width)
    _vendor_login(page, live_server.url, vendor)
    banner = page.locator(".duty-banner")
    assert "2026-11-20" in banner.inner_text() and "尚未签署" in banner.inner_text()
    _no_overflow(page)
    with page.expect_navigation():
        page.click(".duty-banner a")
    assert "第四条 服务商应在每日" in page.inner_text(".agreement-text")
    assert "尚未签署" in page.inner_text(".figures")
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click("text=签署协议")
    assert "已签署服务商接入协议 2026-11-20 版" in page.inner_text(".messages")
    assert "duty-banner" not in page.content()
    assert f"duty-{vendor.pk}" in page.inner_text(".figures")  # who signed
    _no_overflow(page)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.django_db(transaction=True)
def test_ms_4_1_2_submit_a_product_with_qualifications(live_server, chromium, width, tmp_path):
    vendor = active_vendor(categories=("saas",))
    product = ProductFactory(
        vendor=vendor,
        category=category("saas"),
        kind="saas",
        status=Product.Status.DRAFT,
        title="智能客服 SaaS",
    )
    SpecificationFactory(product=product)
    QualificationRequirement.objects.create(category=category("saas"), name="ICP 经营许可证")
    page = _page(chromium, width)
    _vendor_login(page, live_server.url, vendor)
    page.goto(f"{live_server.url}/vendor/catalog/{product.pk}/")
    assert "ICP 经营许可证" in page.inner_text("table.qualifications")
    assert "缺失" in page.inner_text("table.qualifications")
    _no_overflow(page)
    with page.expect_navigation():
        page.click("button:has-text('提交安全审核')")
    assert "MS-4.1.2" in page.inner_text(".messages")
    upload = tmp_path / "icp.pdf"
    upload.write_bytes(pdf_upload().read())
    page.select_option("#id_requirement", label="ICP 经营许可证")
    page.set_input_files("#id_file", str(upload))
    page.fill("#id_number", "B2-20260001")
    with page.expect_navigation():
        page.click("form[action$='/qualifications/'] button[type=submit]")
    assert "资质已上传" in page.inner_text(".messages")
    assert "已上传" in page.inner_text("table.qualifications")
    with page.expect_navigation():
        page.click("button:has-text('提交安全审核')")
    assert "已提交安全审核。" in page.inner_text(".messages")
    _no_overflow(page)
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED
