"""Issue 8 §3: sign-in lockout (django-axes) on both login pages, with axes enabled.

Every sign-in goes through the real login forms over HTTP, from explicit client addresses,
so the lockout is tried as an attacker would: per account from many addresses, per address
against many accounts, and the right password after a lockout.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db.models import F
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "right-pass-2026"
LOGIN_URLS = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def staff():
    user = UserFactory(username="reviewer-x", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _post(url: str, username: str, password: str, address: str):
    # Pages in English: the assertions read the English text (zh-hans is the default).
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(url, {"username": username, "password": password})
    return client, response


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(url: str, username: str, address: str, times: int) -> None:
    for _ in range(times):
        _, response = _post(url, username, "wrong-password", address)
        assert response.status_code in (200, 429)


def test_setting_allows_the_right_password_before_the_limit(staff):
    """The limit is not reached one failure early: limit-1 failures, then the right password."""
    _fail("/accounts/login/", staff.username, "10.0.0.1", settings.AXES_FAILURE_LIMIT - 1)
    client, response = _post("/accounts/login/", staff.username, PASSWORD, "10.0.0.1")
    assert response.status_code == 302 and _signed_in(client)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_lockout_per_account_refuses_the_right_password_from_any_address(staff, url):
    """Failures from many addresses lock the account; then the right password is refused."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail(url, staff.username, f"10.1.0.{n}", 1)
    client, response = _post(url, staff.username, PASSWORD, "10.9.9.9")
    assert response.status_code == 429
    assert not _signed_in(client)
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Another account from the same fresh address is not affected.
    other = UserFactory(username="other-reviewer", is_staff=True)
    other.set_password(PASSWORD)
    other.save()
    client, response = _post(url, other.username, PASSWORD, "10.9.9.9")
    assert response.status_code == 302 and _signed_in(client)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_lockout_per_address_refuses_every_account_from_it(staff, url):
    """Failures against many accounts from one address lock that address."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail(url, f"guess-{n}", "10.2.0.1", 1)
    client, response = _post(url, staff.username, PASSWORD, "10.2.0.1")
    assert response.status_code == 429 and not _signed_in(client)
    # The same account from another address signs in.
    client, response = _post(url, staff.username, PASSWORD, "10.2.0.2")
    assert response.status_code == 302 and _signed_in(client)


def test_thirty_wrong_passwords_then_the_right_one_is_refused(staff):
    """The reported door: 30 failures and then the right password used to sign in."""
    _fail("/admin/login/", staff.username, "10.3.0.1", 30)
    client, response = _post("/admin/login/", staff.username, PASSWORD, "10.3.0.1")
    assert response.status_code == 429 and not _signed_in(client)


def _age_attempts(minutes: int) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))


def test_cool_off_ends_the_lockout(staff):
    _fail("/accounts/login/", staff.username, "10.4.0.1", settings.AXES_FAILURE_LIMIT)
    cool_off_minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    _age_attempts(cool_off_minutes - 1)  # not yet over
    client, response = _post("/accounts/login/", staff.username, PASSWORD, "10.4.0.1")
    assert response.status_code == 429 and not _signed_in(client)
    assert int(response["Retry-After"]) == cool_off_minutes * 60
    _age_attempts(cool_off_minutes + 1)  # over (the refused attempt above restarted it)
    client, response = _post("/accounts/login/", staff.username, PASSWORD, "10.4.0.1")
    assert response.status_code == 302 and _signed_in(client)


def test_lockout_page_is_the_translated_page_of_each_site(staff):
    _fail("/admin/login/", staff.username, "10.5.0.1", settings.AXES_FAILURE_LIMIT)
    _, admin_page = _post("/admin/login/", staff.username, PASSWORD, "10.5.0.1")
    _, vendor_page = _post("/accounts/login/", staff.username, PASSWORD, "10.5.0.1")
    for response, template in [
        (admin_page, "admin/locked_out.html"),
        (vendor_page, "registration/locked_out.html"),
    ]:
        assert response.status_code == 429
        assert template in [t.name for t in response.templates]
        text = response.content.decode()
        assert "minutes have passed without another attempt" in text
        assert "ask a platform administrator to unlock" in text


def test_failed_attempts_are_logged(staff, caplog):
    caplog.set_level(logging.INFO, logger="axes")
    _fail("/admin/login/", staff.username, "10.6.0.1", 2)
    failures = AccessFailureLog.objects.filter(username=staff.username)
    assert failures.count() == 2
    assert {f.ip_address for f in failures} == {"10.6.0.1"}
    assert any("login failure" in r.getMessage().lower() for r in caplog.records)


def _locked_out_account(staff) -> None:
    _fail("/admin/login/", staff.username, "10.7.0.1", settings.AXES_FAILURE_LIMIT)
    _, response = _post("/admin/login/", staff.username, PASSWORD, "10.7.0.2")
    assert response.status_code == 429


def _unlock(client: Client):
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    return client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )


def test_admin_unlocks_an_account(staff):
    """Issue 8 §3 (admin view to unlock): a superuser finds the account under the axes
    "locked out: yes" filter, deletes its access attempts, and the account signs in at once
    with the right password, well inside the cool-off."""
    _locked_out_account(staff)
    admin_user = UserFactory(username="platform-admin", is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    listing = client.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).count() >= 1
    assert staff.username in listing.content.decode()
    # The delete action asks for confirmation first and deletes nothing.
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    confirm = client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids}
    )
    assert confirm.status_code == 200 and AccessAttempt.objects.count() == len(ids)
    assert _unlock(client).status_code == 302
    assert not AccessAttempt.objects.exists()
    # The unlock is in the admin log, with who did it.
    from django.contrib.admin.models import DELETION, LogEntry

    assert LogEntry.objects.filter(user=admin_user, action_flag=DELETION).count() == len(ids)
    client, response = _post("/admin/login/", staff.username, PASSWORD, "10.7.0.2")
    assert response.status_code == 302 and _signed_in(client)


def test_a_reviewer_without_the_permission_cannot_unlock(staff):
    """Issue 8 §3, the wrong person: a staff reviewer with no axes permission can neither
    list nor delete the access attempts; the account stays locked."""
    _locked_out_account(staff)
    reviewer = UserFactory(username="plain-reviewer", is_staff=True)
    client = Client()
    client.force_login(reviewer)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert _unlock(client).status_code == 403
    assert AccessAttempt.objects.exists()
    _, response = _post("/admin/login/", staff.username, PASSWORD, "10.7.0.2")
    assert response.status_code == 429
