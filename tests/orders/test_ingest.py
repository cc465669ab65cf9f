"""Order ingest at speed (issue 11): cached reference data stays correct, fixed queries.

The API caches service accounts, kind policies and fee rates per process under a stamp row
(orders.refdata). These tests change each of them the way a reviewer does and create an order
over the API right after, asserting the new value is used; the PostgreSQL one changes them
from another process, as another gunicorn worker would.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import KindPolicy, ProductKind, ReviewPeriodRule, ServiceFeeRate
from catalog.selectors import kind_policy, service_fee_rate
from marketplace.exceptions import NotFound
from marketplace.timeutils import CHINA_TZ, china_date
from orders import refdata
from orders.models import Order, RefDataStamp, ServiceAccount
from orders.models.refdata import bump_refdata_stamp
from orders.serializers import OrderOut, order_out
from orders.services import order_create, order_report_delivery
from orders.services.common import insert_once_with_history
from tests.factories import UserFactory
from tests.orders.factories import PAID_AT, make_account, make_spec
from tests.threads import run_concurrently

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
POSTGRES = connection.vendor == "postgresql"


def client_for(token: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def body(spec, external_id: str, **over) -> dict:
    data = {
        "external_id": external_id,
        "buyer_account_id": "200001",
        "specification_id": spec.pk,
        "amount": str(spec.price),
        "paid_at": timezone.now().isoformat(),  # paid now: rows effective today apply
    }
    data.update(over)
    return data


@pytest.fixture(autouse=True)
def _fresh_process_cache():
    refdata.clear()
    yield
    refdata.clear()


@pytest.fixture
def storefront():
    _account, token = make_account(channel="cn", preset="storefront")
    return client_for(token)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="ingest-admin", is_staff=True, is_superuser=True))
    return client


def today() -> dt.date:
    return china_date(timezone.now())


# --- query counts (deterministic) -------------------------------------------------------


# PostgreSQL: the stamp, the existing order, the specification with its product, vendor and
# store, and one INSERT … ON CONFLICT statement writing the order and its history row.
# SQLite: the insert and the history row are two statements inside a savepoint.
CREATE_QUERIES = 4 if POSTGRES else 7


def test_issue_11_create_costs_4_queries_and_a_retry_2(storefront, django_assert_num_queries):
    spec = make_spec()
    assert storefront.post(URL, body(spec, "WARM-1"), format="json").status_code == 201
    with django_assert_num_queries(CREATE_QUERIES):
        created = storefront.post(
            URL, body(spec, "Q-1", paid_at=PAID_AT.isoformat()), format="json"
        )
    assert created.status_code == 201, created.json()
    with django_assert_num_queries(2):  # the stamp and the existing order
        again = storefront.post(URL, body(spec, "Q-1", paid_at=PAID_AT.isoformat()), format="json")
    assert again.status_code == 200 and again.json() == created.json()
    assert Order.objects.filter(external_id="Q-1").count() == 1


def test_issue_11_after_a_change_the_cache_is_read_again_once(
    storefront, django_assert_num_queries
):
    """A stamp change costs the account, the policies and the rates once, then no more."""
    spec = make_spec()
    assert storefront.post(URL, body(spec, "WARM-1"), format="json").status_code == 201
    bump_refdata_stamp()
    with django_assert_num_queries(CREATE_QUERIES + 3):
        assert storefront.post(URL, body(spec, "Q-2"), format="json").status_code == 201
    with django_assert_num_queries(CREATE_QUERIES):
        assert storefront.post(URL, body(spec, "Q-3"), format="json").status_code == 201


def test_issue_11_a_bad_token_costs_at_most_the_stamp_and_the_lookup(django_assert_num_queries):
    with django_assert_num_queries(0):  # not even our token format
        assert client_for("nonsense").post(URL, {}, format="json").status_code == 401
    with django_assert_num_queries(2):
        assert client_for("mkt_deadbeef_nope").post(URL, {}, format="json").status_code == 401


# --- the cache follows a reviewer's change at once ------------------------------------------


def test_issue_11_ms_2_6_new_fee_rate_added_in_the_admin_is_used_by_the_next_order(
    storefront, admin_client
):
    spec = make_spec()
    first = storefront.post(URL, body(spec, "FEE-1"), format="json").json()
    assert first["service_fee_rate"] == "0.1000"
    response = admin_client.post(
        reverse("admin:catalog_servicefeerate_add"),
        {
            "category": spec.product.category_id,
            "rate": "0.2500",
            "effective_from": today().isoformat(),
            "note": "issue 11 cache test",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    second = storefront.post(URL, body(spec, "FEE-2"), format="json")
    assert second.status_code == 201 and second.json()["service_fee_rate"] == "0.2500"
    assert Order.objects.get(external_id="FEE-2").service_fee_rate == Decimal("0.2500")


def test_issue_11_ms_2_6_fee_rate_edited_or_deleted_is_seen_by_the_next_order(storefront):
    spec = make_spec()
    rate = ServiceFeeRate.objects.create(
        category=spec.product.category, rate=Decimal("0.0500"), effective_from=today()
    )
    assert storefront.post(URL, body(spec, "E-1"), format="json").json()["service_fee_rate"] == (
        "0.0500"
    )
    rate.rate = Decimal("0.0700")
    rate.save()
    assert storefront.post(URL, body(spec, "E-2"), format="json").json()["service_fee_rate"] == (
        "0.0700"
    )
    rate.delete()  # back to the platform default
    assert storefront.post(URL, body(spec, "E-3"), format="json").json()["service_fee_rate"] == (
        "0.1000"
    )


def test_issue_11_ms_2_8_kind_policy_change_is_used_by_the_next_order(storefront):
    spec = make_spec(kind=ProductKind.IMAGE)
    first = storefront.post(URL, body(spec, "KP-1"), format="json").json()
    ends = dt.datetime.fromisoformat(first["review_period_ends_at"]).astimezone(CHINA_TZ)
    assert ends.date() == today() + dt.timedelta(days=4)  # 5 days, today is day 1
    policy = KindPolicy.objects.create(
        kind=ProductKind.IMAGE,
        effective_from=today(),
        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        review_period_days=7,
    )
    second = storefront.post(URL, body(spec, "KP-2"), format="json").json()
    ends = dt.datetime.fromisoformat(second["review_period_ends_at"]).astimezone(CHINA_TZ)
    assert ends.date() == today() + dt.timedelta(days=6)
    policy.review_period_rule = ReviewPeriodRule.NONE
    policy.review_period_days = None
    policy.refundable = False
    policy.save()
    third = storefront.post(URL, body(spec, "KP-3"), format="json").json()
    assert third["review_rule"] == "none" and third["refundable"] is False
    assert third["review_period_ends_at"] is None


def test_issue_11_a_kind_without_a_policy_after_deletion_is_409(storefront):
    spec = make_spec(kind=ProductKind.IMAGE)
    assert storefront.post(URL, body(spec, "GAP-1"), format="json").status_code == 201
    KindPolicy.objects.filter(kind=ProductKind.IMAGE).delete()  # signals per row
    response = storefront.post(URL, body(spec, "GAP-2"), format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_kind_policy"


def test_issue_11_token_deactivated_in_the_admin_is_refused_on_the_next_request(admin_client):
    account, token = make_account(channel="cn", preset="storefront")
    caller = client_for(token)
    spec = make_spec()
    assert caller.post(URL, body(spec, "T-1"), format="json").status_code == 201
    response = admin_client.post(
        reverse("admin:orders_serviceaccount_change", args=[account.pk]),
        {"name": account.name, "channel": "cn", "operations": account.operations},  # not active
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    refused = caller.post(URL, body(spec, "T-2"), format="json")
    assert refused.status_code == 401
    assert not Order.objects.filter(external_id="T-2").exists()


def test_issue_11_rotated_token_the_old_one_stops_at_once(admin_client):
    account, old = make_account(channel="cn", preset="storefront")
    spec = make_spec()
    assert client_for(old).post(URL, body(spec, "R-1"), format="json").status_code == 201
    page = admin_client.post(
        reverse("admin:orders_serviceaccount_changelist"),
        {"action": "rotate_token", "_selected_action": [str(account.pk)]},
    )
    (new,) = re.findall(r"mkt_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}", page.content.decode())
    assert client_for(old).post(URL, body(spec, "R-2"), format="json").status_code == 401
    assert client_for(new).post(URL, body(spec, "R-3"), format="json").status_code == 201


def test_issue_11_operations_taken_away_are_refused_on_the_next_request(storefront):
    account = ServiceAccount.objects.get()
    spec = make_spec()
    assert storefront.post(URL, body(spec, "OP-1"), format="json").status_code == 201
    account.operations = ["refunds.read"]
    account.save()
    assert storefront.post(URL, body(spec, "OP-2"), format="json").status_code == 403


def test_issue_11_the_cache_is_real_and_only_the_stamp_invalidates_it(storefront):
    """What another process's change looks like here: the row changes in the database
    (without this process's signals) and the stamp changes with it. Until the stamp changes
    the process answers from memory; the request after it uses the new rate."""
    spec = make_spec()
    assert storefront.post(URL, body(spec, "S-1"), format="json").json()["service_fee_rate"] == (
        "0.1000"
    )
    ServiceFeeRate.objects.filter(category__isnull=True).update(rate=Decimal("0.3000"))
    cached = storefront.post(URL, body(spec, "S-2"), format="json").json()
    assert cached["service_fee_rate"] == "0.1000"  # memory: no query for the rate
    bump_refdata_stamp()  # what the other process's save() does in its transaction
    fresh = storefront.post(URL, body(spec, "S-3"), format="json").json()
    assert fresh["service_fee_rate"] == "0.3000"


def test_issue_11_a_stamp_from_a_rolled_back_change_is_never_reused(storefront):
    """Stamps are random, not counters: a change rolled back leaves no value behind that a
    later change could repeat and so revive the memory of the rolled-back data."""
    from django.db import transaction

    spec = make_spec()
    storefront.post(URL, body(spec, "RB-1"), format="json")
    with pytest.raises(RuntimeError), transaction.atomic():
        ServiceFeeRate.objects.create(category=None, rate=Decimal("0.4000"), effective_from=today())
        assert refdata.current().service_fee_rate(None, today()) == Decimal("0.4000")
        raise RuntimeError("rolled back")
    assert storefront.post(URL, body(spec, "RB-2"), format="json").json()["service_fee_rate"] == (
        "0.1000"
    )
    ServiceFeeRate.objects.create(category=None, rate=Decimal("0.2000"), effective_from=today())
    assert storefront.post(URL, body(spec, "RB-3"), format="json").json()["service_fee_rate"] == (
        "0.2000"
    )


def test_issue_11_cached_rule_parameters_answer_as_the_catalog_selectors():
    """The cache picks rows in Python: it must give the catalog selectors' answers."""
    spec = make_spec()
    category = spec.product.category_id
    ServiceFeeRate.objects.create(
        category_id=category, rate=Decimal("0.0800"), effective_from=dt.date(2026, 1, 1)
    )
    ServiceFeeRate.objects.create(
        category=None, rate=Decimal("0.1200"), effective_from=dt.date(2026, 6, 1)
    )
    KindPolicy.objects.create(
        kind=ProductKind.SAAS,
        effective_from=dt.date(2026, 3, 1),
        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        review_period_days=9,
    )
    cache = refdata.current()
    days = [
        dt.date(2023, 3, 16),
        dt.date(2023, 3, 17),
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 1),
        dt.date(2026, 6, 1),
        dt.datetime(2026, 5, 31, 17, 0, tzinfo=dt.UTC),
    ]
    for day in days:
        for cat in (category, None, 999999):
            try:
                expected = service_fee_rate(cat, day)
            except NotFound as exc:  # no rate in force: the same error
                with pytest.raises(type(exc)):
                    cache.service_fee_rate(cat, day)
            else:
                assert cache.service_fee_rate(cat, day) == expected, (day, cat)
        for kind in ProductKind.values:
            try:
                expected_policy = kind_policy(kind, day)
            except NotFound as exc:
                with pytest.raises(type(exc)) as raised:
                    cache.kind_policy(kind, day)
                assert raised.value.code == exc.code
            else:
                assert cache.kind_policy(kind, day).pk == expected_policy.pk, (day, kind)


def test_issue_11_a_missing_stamp_row_disables_the_cache_and_a_change_restores_it(storefront):
    spec = make_spec()
    RefDataStamp.objects.all().delete()
    assert refdata.current().stamp is None
    assert storefront.post(URL, body(spec, "NS-1"), format="json").status_code == 201
    ServiceFeeRate.objects.create(category=None, rate=Decimal("0.1500"), effective_from=today())
    assert RefDataStamp.objects.get().value
    assert storefront.post(URL, body(spec, "NS-2"), format="json").json()["service_fee_rate"] == (
        "0.1500"
    )


# --- the lean response and the history row ------------------------------------------------


def test_issue_11_lean_response_is_exactly_the_order_serializer(storefront):
    """`order_out` replaces `OrderOut(order).data` on the hot path: same keys, same text."""
    made = []
    for kind, ext in [
        (ProductKind.IMAGE, "L-1"),
        (ProductKind.OPS, "L-2"),
        (ProductKind.TOOL, "L-3"),
    ]:
        spec = make_spec(kind=kind, price="88.50")
        response = storefront.post(
            URL, body(spec, ext, amount="80.00", discount_reason="coupon"), format="json"
        )
        assert response.status_code == 201
        order = Order.objects.get(external_id=ext)
        assert response.json() == OrderOut(order).data
        made.append(order)
    delivered = order_report_delivery(order=made[0], outcome="delivered", at=timezone.now())
    assert order_out(delivered) == OrderOut(delivered).data
    for order in made:
        order.refresh_from_db()
        assert order_out(order) == OrderOut(order).data


def test_issue_11_history_row_of_an_api_order_names_the_caller_and_every_value(storefront):
    spec = make_spec()
    response = storefront.post(URL, body(spec, "H-1"), format="json")
    order = Order.objects.get(pk=response.json()["id"])
    (row,) = order.history.all()
    assert row.history_type == "+" and row.history_user_id is None
    assert row.history_change_reason == f"[api:{ServiceAccount.objects.get()}] order paid"
    tracked = [f.attname for f in Order._meta.concrete_fields]
    assert {n: getattr(row, n) for n in tracked} == {n: getattr(order, n) for n in tracked}
    assert abs(row.history_date - order.created_at) < dt.timedelta(seconds=5)


def test_issue_11_order_history_actor_is_kept_outside_the_api():
    spec = make_spec()
    user = UserFactory()
    order, created = order_create(
        channel="cn",
        external_id="ACT-1",
        buyer_account_id="1",
        specification_id=spec.pk,
        amount="100.00",
        paid_at=PAID_AT,
        actor=user,
    )
    assert created and order.history.get().history_user_id == user.pk


def test_issue_11_only_simple_history_listens_to_order_saves():
    """The PostgreSQL insert sends no model signals; its history row is the only post_save
    work an order has. A new receiver must decide how the fast insert serves it."""
    sync_receivers, async_receivers = post_save._live_receivers(Order)
    owners = {r.__module__ for r in [*sync_receivers, *async_receivers]}
    assert owners == {"simple_history.models"}, owners


@pytest.mark.postgres
def test_issue_11_insert_once_skips_a_duplicate_and_writes_no_history_for_it():
    spec = make_spec()
    order, _ = order_create(
        channel="cn",
        external_id="D-1",
        buyer_account_id="1",
        specification_id=spec.pk,
        amount="100.00",
        paid_at=PAID_AT,
    )
    twin = Order.objects.get(pk=order.pk)
    twin.pk = None
    twin._state.adding = True
    assert (
        insert_once_with_history(
            twin, conflict_fields=("channel", "external_id"), actor=None, reason="twin"
        )
        is False
    )
    assert twin.pk is None
    assert Order.objects.filter(external_id="D-1").count() == 1
    assert Order.history.filter(external_id="D-1").count() == 1


# --- across processes and concurrent requests (PostgreSQL, real connections) ----------------


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


OTHER_WORKER = """
import datetime as dt, os, sys
from decimal import Decimal
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
django.setup()
from catalog.models import KindPolicy, ServiceFeeRate
from orders.models import ServiceAccount
rate = ServiceFeeRate.objects.get(pk=int(sys.argv[1]))
rate.rate = Decimal("0.1800")
rate.save()
policy = KindPolicy.objects.get(pk=int(sys.argv[2]))
policy.review_period_days = 8
policy.save()
account = ServiceAccount.objects.get(pk=int(sys.argv[3]))
account.active = False
account.save()
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_issue_11_a_change_made_by_another_process_is_used_by_the_next_request_here():
    """The gunicorn case: this process has everything cached; another process (a worker
    serving a reviewer) saves a fee rate, a kind policy and deactivates a token. The next
    request here uses all three changes."""
    spec = make_spec(kind=ProductKind.IMAGE)
    rate = ServiceFeeRate.objects.create(
        category=spec.product.category, rate=Decimal("0.0600"), effective_from=today()
    )
    policy = KindPolicy.objects.create(
        kind=ProductKind.IMAGE,
        effective_from=today(),
        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        review_period_days=3,
    )
    _a, token = make_account(channel="cn")
    revoked, revoked_token = make_account(channel="cn")
    caller, other = client_for(token), client_for(revoked_token)
    first = caller.post(URL, body(spec, "X-1"), format="json").json()
    assert first["service_fee_rate"] == "0.0600"
    assert other.post(URL, body(spec, "X-2"), format="json").status_code == 201
    env = {**os.environ, "DATABASE_URL": _database_url()}
    subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, str(rate.pk), str(policy.pk), str(revoked.pk)],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    after = caller.post(URL, body(spec, "X-3"), format="json").json()
    assert after["service_fee_rate"] == "0.1800"
    ends = dt.datetime.fromisoformat(after["review_period_ends_at"]).astimezone(CHINA_TZ)
    assert ends.date() == today() + dt.timedelta(days=7)
    assert other.post(URL, body(spec, "X-4"), format="json").status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_issue_11_two_concurrent_creates_with_one_key_make_one_order_with_one_history_row():
    spec = make_spec()
    _account, token = make_account()
    payload = body(spec, "RACE-2", paid_at=PAID_AT.isoformat())
    for _round in range(3):  # a race is not won the same way every time
        Order.objects.filter(external_id="RACE-2").delete()
        refdata.clear()
        outcomes = run_concurrently(
            *[lambda: client_for(token).post(URL, payload, format="json")] * 2
        )
        responses = [outcome.get() for outcome in outcomes]
        assert sorted(r.status_code for r in responses) == [200, 201], responses
        assert responses[0].json()["id"] == responses[1].json()["id"]
        order = Order.objects.get(external_id="RACE-2")
        assert Order.history.filter(id=order.pk, history_type="+").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_issue_11_concurrent_creates_with_one_key_and_different_data_one_wins_one_409():
    spec = make_spec()
    _account, token = make_account()

    def post(i: int):
        data = body(spec, "RACE-3", paid_at=PAID_AT.isoformat(), buyer_account_id=f"B{i}")
        return client_for(token).post(URL, data, format="json")

    responses = [o.get() for o in run_concurrently(*(functools.partial(post, i) for i in range(2)))]
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert Order.objects.filter(external_id="RACE-3").count() == 1


def test_issue_11_precompiled_lookups_answer_as_the_orm():
    """The hot path runs the two lookups' SQL compiled once; the answers are the ORM's."""
    from orders.services import orders as order_services

    spec = make_spec(kind=ProductKind.SAAS)
    order, _ = order_create(
        channel="cn",
        external_id="PC-1",
        buyer_account_id="1",
        specification_id=spec.pk,
        amount="100.00",
        paid_at=PAID_AT,
    )
    found = order_services._existing("cn", "PC-1")
    expected = Order.objects.get(pk=order.pk)
    tracked = [f.attname for f in Order._meta.concrete_fields]
    assert {n: getattr(found, n) for n in tracked} == {n: getattr(expected, n) for n in tracked}
    assert order_services._existing("cn", "PC-2") is None
    assert order_services._existing("intl", "PC-1") is None
    sellable = order_services._sellable(spec.pk, "default")
    assert sellable.price == spec.price and sellable.kind == "saas" and sellable.saas_delivered
    assert sellable.store_id == spec.product.vendor.store.pk and sellable.store_trading
    assert order_services._sellable(987654, "default") is None
    if POSTGRES:  # no silent fallback to compiling every time
        assert order_services._EXISTING.columns() == tracked
        assert order_services._SELLABLE.columns() is not None
