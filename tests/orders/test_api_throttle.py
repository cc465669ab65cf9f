"""Issue 8 §3: the API is throttled per service account (DRF throttling, `API_THROTTLE_RATE`).

Over the rate a caller gets a clear 429 in the API's `{code, message, details}` shape with
`Retry-After`; another service account keeps its own allowance. The rate is overridden to a
small one here and the throttle cache is emptied around every test.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import UserFactory
from tests.orders.factories import make_account

pytestmark = pytest.mark.django_db

RATE = 3  # requests per minute in these tests
URL = "/api/v1/refunds/999999/"  # an allowed read: 404 for a refund nobody has, still counted


@pytest.fixture(autouse=True)
def _small_rate(settings):
    rest = dict(django_settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        **rest["DEFAULT_THROTTLE_RATES"],
        "service_account": f"{RATE}/minute",
    }
    settings.REST_FRAMEWORK = rest
    cache.clear()
    yield
    cache.clear()


def _client(token: str, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _use_up(client: APIClient) -> None:
    for _ in range(RATE):
        assert client.get(URL).status_code == 404


def test_issue_8_3_over_the_rate_a_service_account_gets_a_clear_429():
    _account, token = make_account(preset="storefront")
    client = _client(token)
    _use_up(client)
    response = client.get(URL)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    wait = body["details"]["retry_after_seconds"]
    assert isinstance(wait, int) and 1 <= wait <= 60
    assert response["Retry-After"] == str(wait)
    assert f"Retry in {wait} s" in body["message"]
    # Every method counts: a write over the rate is refused the same way, before it runs.
    assert client.post("/api/v1/refunds/", {}, format="json").status_code == 429


def test_issue_8_3_the_429_message_is_translated():
    _account, token = make_account(preset="storefront")
    client = _client(token, language="zh-hans")
    _use_up(client)
    response = client.get(URL)
    assert response.status_code == 429
    assert "Too many requests" not in response.json()["message"]


def test_issue_8_3_one_account_throttled_does_not_throttle_another():
    _first, first_token = make_account(preset="storefront")
    _second, second_token = make_account(preset="storefront")
    first = _client(first_token)
    _use_up(first)
    assert first.get(URL).status_code == 429
    # The second account, from the same address, still has its whole allowance.
    second = _client(second_token)
    _use_up(second)
    assert second.get(URL).status_code == 429
    # A rotated token is the same account: rotating does not reset the count.
    from orders.services import service_account_rotate_token

    new_token = service_account_rotate_token(account=_first, actor=None)
    assert _client(new_token).get(URL).status_code == 429


def test_issue_8_3_the_allowance_returns_after_the_window(monkeypatch):
    _account, token = make_account(preset="billing")
    client = _client(token)
    _use_up(client)
    response = client.get(URL)
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: time.time() + wait + 1)
    assert client.get(URL).status_code == 404


def test_issue_8_3_a_changed_rate_applies_without_a_restart(settings):
    _account, token = make_account(preset="storefront")
    client = _client(token)
    _use_up(client)
    assert client.get(URL).status_code == 429
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"service_account": f"{RATE * 2}/minute"}
    settings.REST_FRAMEWORK = rest
    assert client.get(URL).status_code == 404


def test_issue_8_3_invalid_tokens_are_refused_not_counted_for_an_account():
    """A caller without a valid token is refused (401) and uses up no account's allowance."""
    _account, token = make_account(preset="storefront")
    bad = _client("not-a-token")
    for _ in range(RATE + 2):
        assert bad.get(URL).status_code == 401
    _use_up(_client(token))


def test_issue_8_3_staff_reading_the_schema_are_not_throttled_per_account():
    """Django users (staff reading the schema) are guarded by sign-in lockout, not this rate."""
    staff = UserFactory(username="schema-reader", is_staff=True)
    client = APIClient()
    client.force_login(staff)
    for _ in range(RATE + 1):
        assert client.get("/api/schema/").status_code == 200

