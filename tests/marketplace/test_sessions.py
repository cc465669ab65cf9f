"""Issue 8 §3: staff and vendor sessions end after a working day without activity (sliding).

The clock is `marketplace.security._now`, moved forward here; the session row and cookie
stay valid (real time), so what ends the session is the server's own idle check, not the
browser's cookie expiry. Sign-ins go through the real login forms over HTTP.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marketplace import security
from tests.factories import UserFactory, VendorStaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "session-pass-2026"
STAFF_LIMIT = 8 * 3600
VENDOR_LIMIT = 4 * 3600  # a different value, so each role is seen reading its own setting


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch, settings):
    settings.STAFF_SESSION_IDLE_SECONDS = STAFF_LIMIT
    settings.VENDOR_SESSION_IDLE_SECONDS = VENDOR_LIMIT
    fake = Clock()
    monkeypatch.setattr(security, "_now", fake)
    return fake


def _user(*, staff: bool):
    if staff:
        user = UserFactory(is_staff=True)
    else:
        user = VendorStaffFactory().user
    user.set_password(PASSWORD)
    user.save()
    return user


# (role, login URL, a page of that role, idle-limit setting value)
ROLES = [
    pytest.param(True, "/admin/login/", "/admin/", STAFF_LIMIT, id="staff"),
    pytest.param(False, "/accounts/login/", "/vendor/", VENDOR_LIMIT, id="vendor"),
]


def _sign_in(staff: bool, login_url: str) -> Client:
    user = _user(staff=staff)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(login_url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    assert "_auth_user_id" in client.session
    return client


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("staff,login_url,page,limit", ROLES)
def test_issue_8_3_an_idle_session_ends_after_the_limit(clock, staff, login_url, page, limit):
    client = _sign_in(staff, login_url)
    clock.advance(limit - 1)
    assert client.get(page).status_code == 200 and _signed_in(client)
    client2 = _sign_in(staff, login_url)  # a fresh sign-in, then idle one second too long
    clock.advance(limit + 1)
    response = client2.get(page)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not _signed_in(client2)


@pytest.mark.parametrize("staff,login_url,page,limit", ROLES)
def test_issue_8_3_the_signed_out_user_is_told_why(clock, staff, login_url, page, limit):
    client = _sign_in(staff, login_url)
    clock.advance(limit + 1)
    response = client.get(page, follow=True)
    assert response.redirect_chain and "login" in response.redirect_chain[-1][0]
    hours = f"{limit / 3600:g}"
    assert f"You were signed out after {hours} hours without activity." in (
        response.content.decode()
    )


@pytest.mark.parametrize("staff,login_url,page,limit", ROLES)
def test_issue_8_3_activity_slides_the_limit(clock, staff, login_url, page, limit):
    client = _sign_in(staff, login_url)
    # Five visits, each most of a limit after the one before: far past one limit in total.
    for _ in range(5):
        clock.advance(limit - security.restamp_interval(limit))
        assert client.get(page).status_code == 200
        assert _signed_in(client)
    clock.advance(limit + 1)
    assert client.get(page).status_code == 302 and not _signed_in(client)


@pytest.mark.parametrize("staff,login_url,page,limit", ROLES)
def test_issue_8_3_a_kept_cookie_does_not_extend_the_session(clock, staff, login_url, page, limit):
    """The browser still sends a valid cookie (the session row has not expired in real
    time); the server's own record of the last visit ends the session anyway, and the old
    cookie does not sign in again afterwards."""
    client = _sign_in(staff, login_url)
    cookie = client.cookies["sessionid"].value
    clock.advance(limit + 1)
    assert client.get(page).status_code == 302
    replay = Client(HTTP_ACCEPT_LANGUAGE="en")
    replay.cookies["sessionid"] = cookie
    clock.advance(1)
    response = replay.get(page)
    assert response.status_code == 302 and "login" in response["Location"]


def test_issue_8_3_each_role_reads_its_own_limit(clock):
    """A vendor user idle for longer than the vendor limit but less than the staff limit is
    signed out; a staff user idle as long is not."""
    vendor = _sign_in(False, "/accounts/login/")
    staff = _sign_in(True, "/admin/login/")
    clock.advance(VENDOR_LIMIT + 1)
    assert vendor.get("/vendor/").status_code == 302 and not _signed_in(vendor)
    assert staff.get("/admin/").status_code == 200 and _signed_in(staff)


@pytest.mark.parametrize("staff,login_url,page,limit", ROLES)
def test_issue_8_3_the_session_is_stamped_at_sign_in(clock, staff, login_url, page, limit):
    """The first page after a sign-in writes no session: no Set-Cookie, no session UPDATE."""
    client = _sign_in(staff, login_url)
    assert client.session[security.LAST_SEEN_KEY] == clock.now
    assert client.session.get_expiry_age() == limit
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert writes == []
    # Browsing within the re-stamp interval writes nothing either; past it, one re-stamp.
    clock.advance(security.restamp_interval(limit) - 1)
    assert "sessionid" not in client.get(page).cookies
    clock.advance(1)
    assert "sessionid" in client.get(page).cookies
    assert client.session[security.LAST_SEEN_KEY] == clock.now
