"""The set-based write paths the sweep relies on: one grouped UPDATE per model and history rows
copied from the stored rows (DESIGN "Audit": a bulk path on an audited model writes its
history itself)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Product
from compliance.models import AppliedMeasure, CauseType, MeasureKind
from compliance.services.history import history_copy_rows
from compliance.services.measures import vendor_state_recompute
from tests.compliance.sweep.factories import product, vendor
from tests.factories import UserFactory
from vendors.models import Store, Vendor

pytestmark = pytest.mark.django_db
K = MeasureKind


def _measure(v, kind, prod=None):
    # Straight to the table: the recompute under test is what brings them into force.
    return AppliedMeasure.objects.create(
        vendor=v,
        kind=kind,
        product=prod,
        cause_type=CauseType.MANUAL,
        cause_id="",
        starts_at=timezone.now(),
        reason="seeded",
    )


def _latest_history(obj):
    return type(obj).history.filter(id=obj.pk).order_by("-history_id").first()


def _assert_history_is_the_row(obj, *, user, reason):
    obj.refresh_from_db()
    row = _latest_history(obj)
    assert row.history_type == "~"
    assert row.history_user_id == user.pk
    assert row.history_change_reason == reason
    for field in type(obj).history.model.tracked_fields:
        assert getattr(row, field.attname) == getattr(obj, field.attname), field.name


def test_ms_7_recompute_gives_each_row_its_own_values_in_one_update_per_model():
    """Rows wanting different values (several hiding reasons, one vendor restricted and one
    ineligible) are written in ONE UPDATE per model, each row with its own values, and one
    '~' history row per changed row naming the actor and the reason; unchanged rows get
    none."""
    v1, v2 = vendor(), vendor()
    saas, plain = product(v1, saas=True), product(v1)
    other = product(v2)
    _measure(v1, K.RESTRICT_PUBLISHING)
    _measure(v1, K.HIDE_SAAS_PRODUCTS)
    _measure(v1, K.HIDE_PRODUCT, plain)
    _measure(v1, K.SHIELD_CONTENT, plain)
    _measure(v2, K.MARKETING_INELIGIBLE)
    _measure(v2, K.SUSPEND_TRADING)
    _measure(v2, K.SUSPEND_DISPLAY)
    store_history_v1 = Store.history.filter(vendor_id=v1.pk).count()
    user = UserFactory()

    with CaptureQueriesContext(connection) as captured:
        changed = vendor_state_recompute(
            vendor_ids=[v1.pk, v2.pk], actor=user, reason="MS-7: test recompute"
        )

    assert changed == {"vendors": 2, "stores": 1, "products": 3}
    sqls = [q["sql"] for q in captured.captured_queries]
    for model in (Vendor, Store, Product):
        table = connection.ops.quote_name(model._meta.db_table)
        history_table = connection.ops.quote_name(model.history.model._meta.db_table)
        assert sum(s.startswith(f"UPDATE {table}") for s in sqls) == 1, model
        assert sum(s.startswith(f"INSERT INTO {history_table}") for s in sqls) == 1, model

    for obj in (v1, v2, v1.store, v2.store, saas, plain, other):
        obj.refresh_from_db()
    assert (v1.can_publish, v1.marketing_eligible) == (False, True)
    assert (v2.can_publish, v2.marketing_eligible) == (True, False)
    assert (v2.store.displayed, v2.store.trading, v2.store.closed) == (True, False, False)
    assert (v1.store.displayed, v1.store.trading) == (True, True)
    assert (saas.searchable, saas.hidden_reason, saas.content_shielded) == (
        False,
        "hide_saas_products",
        False,
    )
    assert (plain.searchable, plain.hidden_reason, plain.content_shielded) == (
        False,
        "hide_product",
        True,
    )
    assert (other.searchable, other.hidden_reason) == (False, "suspend_display")

    for obj in (v1, v2, v2.store, saas, plain, other):
        _assert_history_is_the_row(obj, user=user, reason="MS-7: test recompute")
    assert Store.history.filter(vendor_id=v1.pk).count() == store_history_v1

    # Nothing left to change: no write, no history row.
    with CaptureQueriesContext(connection) as again:
        assert vendor_state_recompute(vendor_ids=[v1.pk, v2.pk], reason="again") == {
            "vendors": 0,
            "stores": 0,
            "products": 0,
        }
    assert not [q for q in again.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]


def _recompute_queries(n_vendors: int) -> int:
    """Vendors with varied measures, so the products want varied values."""
    kinds = [K.SHIELD_STORE, K.HIDE_SAAS_PRODUCTS, K.SUSPEND_DISPLAY, K.CLOSE_STORE]
    ids = []
    for i in range(n_vendors):
        v = vendor()
        p = product(v, saas=True)
        product(v)
        _measure(v, kinds[i % len(kinds)])
        _measure(v, K.SHIELD_CONTENT, p)
        ids.append(v.pk)
    with CaptureQueriesContext(connection) as captured:
        vendor_state_recompute(vendor_ids=ids, reason="bulk")
    return len(captured.captured_queries)


def test_recompute_costs_the_same_queries_whatever_the_mix_of_values():
    """Set-based: 2 vendors or 8 with more distinct target values cost the same queries."""
    assert _recompute_queries(2) == _recompute_queries(8)


def test_history_copy_rows_copies_the_stored_row_once_per_pk():
    v = vendor()
    products = [product(v), product(v)]
    before = Product.history.count()
    with CaptureQueriesContext(connection) as captured:
        written = history_copy_rows(
            Product,
            pks=[p.pk for p in products] * 2,  # duplicates are written once
            history_type="~",
            actor=None,
            reason="system reason",
        )
    assert written == 2 and len(captured.captured_queries) == 1
    assert Product.history.count() == before + 2
    for p in products:
        row = _latest_history(p)
        assert row.history_user_id is None and row.history_change_reason == "system reason"
        assert row.title == p.title and row.status == p.status
    assert history_copy_rows(Product, pks=[], history_type="~", actor=None, reason="x") == 0
