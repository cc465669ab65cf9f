"""Browser test: an onboarding reviewer approves a complete application in the admin (MS-3.1).

Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.
"""

import os

import pytest

from marketplace import roles
from tests.factories import UserFactory
from tests.vendors.factories import complete_application
from vendors.models import OnboardingApplication

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


@pytest.fixture
def page(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are
    # plain synchronous code, not code running inside that loop. Only for this test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN")
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.browser
# serialized_rollback: transactional tests flush the tables, and with them the categories
# and deposit tiers the data migration created; this restores them for this test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ms_3_1_reviewer_approves_complete_application_in_the_browser(
    live_server, page, media_root
):
    reviewer = UserFactory(username="reviewer-b", is_staff=True)
    reviewer.set_password(PASSWORD)
    reviewer.save()
    reviewer.groups.add(roles.group_for(roles.ONBOARDING_REVIEWER))
    application = complete_application()

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "reviewer-b")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/vendors/onboardingapplication/{application.pk}/change/")
    assert page.locator(".checklist-ok").count() == 1  # the checklist is complete
    page.click("a.transition-button[href$='/do/approve/']")
    page.fill("#id_reason", "营业执照、法人身份证、开户证明均已核验")
    page.click("#transition-form input[name=confirm]")
    page.wait_for_url(f"**/onboardingapplication/{application.pk}/change/")

    assert page.locator(".messagelist .success").count() == 1
    application.refresh_from_db()
    assert application.status == OnboardingApplication.Status.APPROVED
    assert application.decided_by == reviewer
    # The page shows the new status, in Chinese (the default language).
    assert page.locator(".field-status .readonly").inner_text().strip() == "已批准"
