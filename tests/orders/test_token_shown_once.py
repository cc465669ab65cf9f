"""Issue 8 §3: a newly created or rotated API token is shown once, in the body of the admin's
response, never in the messages cookie or the session, and not again on a reload.

Everything goes over HTTP through the orders admin (service accounts), as a superuser and as
reviewers who may not create or rotate.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.test import Client

from orders.models import ServiceAccount
from orders.models.accounts import hash_token
from tests.factories import UserFactory
from tests.orders.factories import make_account

pytestmark = pytest.mark.django_db

ADD = "/admin/orders/serviceaccount/add/"
LIST = "/admin/orders/serviceaccount/"
TOKEN = re.compile(r"mkt_[A-Za-z0-9]+_[A-Za-z0-9_\-]+")


@pytest.fixture
def superuser_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(username="token-admin", is_staff=True, is_superuser=True))
    return client


def _secret_of(token: str) -> str:
    return token.split("_", 2)[2]


def _stored_anywhere(client: Client, secret: str) -> list[str]:
    """Where the secret shows up outside the response body: cookies, any session row."""
    found = [name for name, morsel in client.cookies.items() if secret in morsel.value]
    for session in Session.objects.all():
        if secret in str(session.get_decoded()) or secret in session.session_data:
            found.append(f"session {session.session_key}")
    return found


def _assert_shown_once(client: Client, response, account: ServiceAccount) -> str:
    assert response.status_code == 200
    tokens = TOKEN.findall(response.content.decode())
    assert len(tokens) == 1
    token = tokens[0]
    assert token.startswith(f"mkt_{account.token_prefix}_")
    assert account.token_hash == hash_token(_secret_of(token))
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "no-cache" in cache_control
    # Not in a message, not in the messages cookie, not in the session.
    assert "messages" not in response.cookies or _secret_of(token) not in (
        response.cookies["messages"].value
    )
    assert not _stored_anywhere(client, _secret_of(token))
    return token


def _not_shown_again(client: Client, token: str, account: ServiceAccount) -> None:
    for url in [LIST, f"{LIST}{account.pk}/change/", f"{LIST}{account.pk}/history/", ADD]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert _secret_of(token) not in page.content.decode(), url
        assert not [m for m in page.context["messages"] if _secret_of(token) in str(m)], url
    assert not _stored_anywhere(client, _secret_of(token))


def test_issue_8_3_a_created_token_is_shown_once_and_never_stored(superuser_client):
    response = superuser_client.post(
        ADD, {"name": "storefront-x", "channel": "cn", "operations": ["orders.create"]}
    )
    account = ServiceAccount.objects.get(name="storefront-x")
    token = _assert_shown_once(superuser_client, response, account)
    _not_shown_again(superuser_client, token, account)


def test_issue_8_3_a_rotated_token_is_shown_once_and_never_stored(superuser_client):
    account, old_token = make_account(preset="billing")
    response = superuser_client.post(
        LIST, {"action": "rotate_token", "_selected_action": [str(account.pk)]}
    )
    account.refresh_from_db()
    token = _assert_shown_once(superuser_client, response, account)
    assert token != old_token and account.token_hash != hash_token(_secret_of(old_token))
    _not_shown_again(superuser_client, token, account)


def test_issue_8_3_a_reload_of_the_token_page_shows_no_token(superuser_client):
    """A browser reload re-sends the POST: it must not show the first token again (and it
    never shows the token in a message either)."""
    add_page = superuser_client.get(ADD).content.decode()
    form_token = re.search(r'name="form_token" value="([^"]+)"', add_page)
    data = {"name": "reloaded-x", "channel": "cn", "operations": ["orders.create"]}
    if form_token:
        data["form_token"] = form_token.group(1)
    first = superuser_client.post(ADD, data)
    account = ServiceAccount.objects.get(name="reloaded-x")
    token = _assert_shown_once(superuser_client, first, account)
    again = superuser_client.post(ADD, data, follow=True)
    assert again.status_code == 200 and not again.redirect_chain
    assert _secret_of(token) not in again.content.decode()
    assert ServiceAccount.objects.filter(name="reloaded-x").count() == 1
    account.refresh_from_db()
    assert account.token_hash == hash_token(_secret_of(token))  # the first token still works
    assert not _stored_anywhere(superuser_client, _secret_of(token))


def _reviewer(*codenames: str) -> Client:
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_issue_8_3_a_reviewer_who_may_only_view_gets_no_token():
    """The wrong person: view permission only. Creating is refused; the rotate action is
    not offered and posting it anyway rotates nothing and shows no token."""
    account, old_token = make_account(preset="storefront")
    client = _reviewer("view_serviceaccount")
    refused = client.post(ADD, {"name": "sneaky", "channel": "cn", "operations": ["orders.create"]})
    assert refused.status_code == 403
    assert not ServiceAccount.objects.filter(name="sneaky").exists()
    listing = client.get(LIST)
    assert listing.status_code == 200 and "rotate_token" not in listing.content.decode()
    response = client.post(
        LIST, {"action": "rotate_token", "_selected_action": [str(account.pk)]}, follow=True
    )
    assert response.status_code == 200 and not response.redirect_chain
    assert not TOKEN.search(response.content.decode())
    account.refresh_from_db()
    assert account.token_hash == hash_token(_secret_of(old_token))
