"""Browser test: the admin, the vendor pages and the API docs work under the
Content-Security-Policy (issue 8 §3) with no violation reported by Chromium.

Every page is opened, and the parts that run JavaScript are used: the changelist's action
checkboxes, autocomplete (select2), date pickers, the add-related popup, the language menu
(autosubmit), and Swagger UI loading the schema. Violations are collected two ways: the
`securitypolicyviolation` DOM event (an init script, not subject to the page's policy) and
Chromium's console messages.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD
from tests.factories import ProductFactory, UserFactory, VendorStaffFactory

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Browser:
    def __init__(self, context) -> None:
        self.context = context
        self.console: list[str] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("page", self._watch)
        self.page = context.new_page()

    def _watch(self, page) -> None:
        page.on("console", lambda message: self.console.append(message.text))
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def violations(self, page=None) -> list[str]:
        page = page or self.page
        found = list(page.evaluate("window.__cspViolations || []"))
        found += [m for m in self.console if "Content Security Policy" in m or "page error" in m]
        return found


@pytest.fixture
def browser(browser_context):
    """The shared Chinese Chromium context (conftest.py), watched for CSP violations."""
    return Browser(browser_context)


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():  # read the next page only once it has come
        page.click("[type=submit]")
    page.wait_for_load_state()


def _user(username: str, **kwargs):
    user = UserFactory(username=username, **kwargs)
    user.set_password(PASSWORD)
    user.save()
    return user


def _open(browser: Browser, url: str) -> None:
    response = browser.page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    browser.page.wait_for_load_state("networkidle")
    assert browser.violations() == [], url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_works_under_the_csp(live_server, browser):
    """Issue 8 §3: changelist, change form, autocomplete, date pickers, popup, history."""
    _user("csp-admin", is_staff=True, is_superuser=True)
    product = ProductFactory(title="CSP 检查产品")
    base = live_server.url
    page = browser.page
    _sign_in(page, f"{base}/admin/login/?next=/admin/", "csp-admin")
    assert page.url == f"{base}/admin/"

    _open(browser, f"{base}/admin/")
    _open(browser, f"{base}/admin/vendors/vendor/")
    _open(browser, f"{base}/admin/catalog/product/")
    page.check("#action-toggle")  # actions.js: select all
    assert page.locator(".action-select:checked").count() == 1
    _open(browser, f"{base}/admin/vendors/vendor/{product.vendor.pk}/change/")
    _open(browser, f"{base}/admin/vendors/vendor/{product.vendor.pk}/history/")
    _open(browser, f"{base}/admin/axes/accessattempt/")

    # Autocomplete and date pickers on one form.
    _open(browser, f"{base}/admin/catalog/marketinggrant/add/")
    page.click(".field-product .select2-selection")
    page.fill(".select2-search__field", "CSP")
    page.locator(".select2-results__option", has_text="CSP 检查产品").click()
    assert page.locator("#id_product").input_value() == str(product.pk)
    page.click(".field-starts_on .datetimeshortcuts a:not(.date-icon)")  # "today"
    assert page.input_value("#id_starts_on") != ""
    page.click(".field-ends_on .date-icon")
    assert page.locator("#calendarbox1").is_visible()
    assert browser.violations() == []

    # The add-related popup (products cannot be added in the admin, so the user form's
    # groups, a select-filter widget): it opens, runs its scripts, and on save closes and
    # fills in the opener (popup_response.js).
    user_pk = UserFactory._meta.model.objects.get(username="csp-admin").pk
    _open(browser, f"{base}/admin/auth/user/{user_pk}/change/")
    with page.expect_popup() as popup_info:
        page.click("#add_id_groups")
    popup = popup_info.value
    popup.wait_for_load_state("networkidle")
    assert "_popup=1" in popup.url
    assert browser.violations(popup) == []
    popup.fill("#id_name", "CSP popup group")
    with popup.expect_event("close"):
        popup.click("[name=_save]")
    chosen = page.locator("#id_groups_to option", has_text="CSP popup group")
    assert chosen.count() == 1
    assert browser.violations() == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_vendor_pages_and_api_docs_work_under_the_csp(live_server, browser):
    """Issue 8 §3: vendor pages (language menu autosubmits without inline script) and
    Swagger UI, which loads its start-up script and the schema from our own origin."""
    staff = VendorStaffFactory(user=_user("csp-vendor"))
    ProductFactory(vendor=staff.vendor)
    base = live_server.url
    page = browser.page
    _sign_in(page, f"{base}/accounts/login/", "csp-vendor")
    for path in [
        "/vendor/",
        "/vendor/catalog/",
        "/vendor/orders/",
        "/vendor/orders/refunds/",
        "/vendor/compliance/",
        "/vendor/deposit/",
    ]:
        _open(browser, f"{base}{path}")
    # The menu autosubmits from a static script; wait for that navigation, not for idleness
    # (networkidle can come before the submit starts).
    with page.expect_navigation():
        page.select_option(".language-switcher select", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    _open(browser, f"{base}/vendor/orders/")
    page.select_option("select[name=status]", index=1)  # the list filter autosubmits
    page.wait_for_url("**/vendor/orders/?status=*")
    assert browser.violations() == []

    _user("csp-staff", is_staff=True, is_superuser=True)
    browser.context.clear_cookies()
    _sign_in(page, f"{base}/admin/login/?next=/admin/", "csp-staff")
    _open(browser, f"{base}/api/docs/")
    page.wait_for_selector(".opblock", timeout=15000)
    assert page.locator(".opblock").count() > 3
    assert browser.violations() == []
