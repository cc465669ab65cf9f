"""Shared Playwright fixtures of the browser tests (Debian's Chromium, sync API, live server).

- `browser_context`: a Chromium context in Chinese (locale zh-CN and the `django_language`
  cookie set to zh-hans for the live server), 1440 px wide, with generous timeouts: the
  machine running the suite may be loaded, so waits are long and never sleeps.
- `page`: a page of that context.
- `staff_user(role, username)`: a staff user in a platform role's group, with `PASSWORD`.
- `sign_in(page, username)`: signs a staff user in at /admin/login/ (any earlier session is
  dropped first) and waits for the admin home, the work board.
- `save_artifact(page, name)`: a full-page screenshot of the page as it is now, saved to
  `artifacts/browser/<name>.png` under the repository root, or to `$BROWSER_ARTIFACTS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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
REPO_ROOT = Path(__file__).resolve().parents[2]
# A loaded 2-core machine renders an admin page in seconds, not milliseconds.
ACTION_TIMEOUT_MS = 30_000
NAVIGATION_TIMEOUT_MS = 60_000


def artifacts_dir() -> Path:
    return Path(os.environ.get("BROWSER_ARTIFACTS") or REPO_ROOT / "artifacts" / "browser")


def _language_cookie(base_url: str) -> dict[str, Any]:
    return {"name": "django_language", "value": "zh-hans", "url": base_url}


@pytest.fixture
def browser_context(monkeypatch, live_server) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are
    # plain synchronous code, not code running inside that loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        context.add_cookies([_language_cookie(live_server.url)])
        try:
            yield context
        finally:
            context.close()
            chromium.close()


@pytest.fixture
def page(browser_context) -> Any:
    return browser_context.new_page()


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staff_user() -> Callable[..., Any]:
    from marketplace import roles
    from tests.factories import UserFactory

    def make(role: str | None, username: str, **extra: Any) -> Any:
        user = UserFactory(username=username, is_staff=True, **extra)
        user.set_password(PASSWORD)
        user.save()
        if role:
            user.groups.add(roles.group_for(role))
        return user

    return make


@pytest.fixture
def sign_in(live_server) -> Callable[..., None]:
    def sign_in(page: Any, username: str, *, next_url: str = "/admin/") -> None:
        # Another person at the same browser: drop the earlier session, keep Chinese.
        page.context.clear_cookies()
        page.context.add_cookies([_language_cookie(live_server.url)])
        page.goto(f"{live_server.url}/admin/login/?next={next_url}")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}{next_url}")

    return sign_in


@pytest.fixture
def save_artifact() -> Callable[[Any, str], Path]:
    def save(page: Any, name: str) -> Path:
        page.wait_for_load_state("load")
        folder = artifacts_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return save
