"""MS-4.2: a SaaS delivery failure hides the product, after 7 days all SaaS products, after 30
days delists them; repairing every failure lifts the hiding but not the delisting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import Product, ProductKind
from compliance.models import AppliedMeasure, CauseType, MeasureKind, RuleEvaluation
from compliance.services.measures import measure_apply
from orders.models import DeliveryFailure
from orders.services.orders import order_report_delivery
from tests.compliance.sweep.factories import at, failure, product, sweep, vendor
from tests.orders.factories import make_order

pytestmark = pytest.mark.django_db

FAILED_AT = at("2026-09-01 10:00")


def saas_kinds(v) -> set[str]:
    return set(
        AppliedMeasure.objects.filter(
            vendor=v, cause_type=CauseType.SAAS_DELIVERY, lifted_at__isnull=True
        ).values_list("kind", flat=True)
    )


@pytest.fixture
def scene():
    v = vendor()
    failing = product(v, saas=True)
    other_saas = product(v, saas=True)
    not_saas = product(v)
    f = failure(v, failed_at=FAILED_AT, prod=failing)
    return v, failing, other_saas, not_saas, f


def searchable(p: Product) -> bool:
    p.refresh_from_db()
    return p.searchable


def test_ms_4_2_failure_hides_its_product_day_6_not_all(scene):
    v, failing, other_saas, not_saas, _f = scene
    sweep(FAILED_AT + dt.timedelta(days=7) - dt.timedelta(seconds=1))  # day 6, last second
    assert saas_kinds(v) == {MeasureKind.HIDE_PRODUCT}
    assert not searchable(failing)
    assert searchable(other_saas) and searchable(not_saas)


def test_ms_4_2_day_7_hides_all_saas_products(scene):
    v, failing, other_saas, not_saas, _f = scene
    sweep(FAILED_AT + dt.timedelta(days=7))
    assert saas_kinds(v) == {MeasureKind.HIDE_PRODUCT, MeasureKind.HIDE_SAAS_PRODUCTS}
    assert not searchable(failing) and not searchable(other_saas)
    assert searchable(not_saas)  # only SaaS-delivered products are hidden
    ev = RuleEvaluation.objects.get(vendor=v, measure_kind=MeasureKind.HIDE_SAAS_PRODUCTS)
    assert ev.rule_id == "MS-4.2" and ev.figures["days_elapsed"] == "7.0"


def test_ms_4_2_day_29_not_delisted_day_30_delisted(scene):
    v, failing, other_saas, not_saas, _f = scene
    sweep(FAILED_AT + dt.timedelta(days=30) - dt.timedelta(seconds=1))
    assert MeasureKind.DELIST_SAAS_PRODUCTS not in saas_kinds(v)
    failing.refresh_from_db()
    assert failing.status == Product.Status.LISTED

    sweep(FAILED_AT + dt.timedelta(days=30))
    assert MeasureKind.DELIST_SAAS_PRODUCTS in saas_kinds(v)
    for p in (failing, other_saas):
        p.refresh_from_db()
        assert p.status == Product.Status.DELISTED
    not_saas.refresh_from_db()
    assert not_saas.status == Product.Status.LISTED


def test_ms_4_2_all_repaired_shows_products_again_but_delisted_stay_delisted(scene):
    v, failing, other_saas, _not_saas, f = scene
    sweep(FAILED_AT + dt.timedelta(days=8))
    assert not searchable(other_saas)
    f.repaired_at = FAILED_AT + dt.timedelta(days=9)
    f.save(update_fields=["repaired_at"])
    sweep(FAILED_AT + dt.timedelta(days=9, hours=1))
    assert saas_kinds(v) == set()
    assert searchable(failing) and searchable(other_saas)

    # A second episode that reaches 30 days: repaired afterwards, products stay delisted.
    f2 = failure(v, failed_at=FAILED_AT + dt.timedelta(days=10), prod=failing)
    sweep(FAILED_AT + dt.timedelta(days=41))
    f2.repaired_at = FAILED_AT + dt.timedelta(days=42)
    f2.save(update_fields=["repaired_at"])
    sweep(FAILED_AT + dt.timedelta(days=42, hours=1))
    assert saas_kinds(v) == set()
    failing.refresh_from_db()
    assert failing.status == Product.Status.DELISTED


def test_ms_4_2_one_open_failure_keeps_the_measures(scene):
    """MS-4.2 ASSUMPTION: measures are lifted only when EVERY failure of the vendor is repaired."""
    v, _failing, other_saas, _n, f = scene
    failure(v, failed_at=FAILED_AT + dt.timedelta(days=2), prod=other_saas)
    sweep(FAILED_AT + dt.timedelta(days=3))
    f.repaired_at = FAILED_AT + dt.timedelta(days=3, hours=2)
    f.save(update_fields=["repaired_at"])
    sweep(FAILED_AT + dt.timedelta(days=4))
    assert saas_kinds(v) == {MeasureKind.HIDE_PRODUCT}
    assert AppliedMeasure.objects.filter(vendor=v, lifted_at__isnull=True).count() == 2


def test_ms_4_2_lift_keeps_products_hidden_by_another_measure(scene):
    """Overlays compose: a store shield still hides the products after the failures are lifted."""
    v, failing, _o, _n, f = scene
    moment = FAILED_AT + dt.timedelta(days=1)
    sweep(moment)
    measure_apply(
        vendor=v,
        kind=MeasureKind.SHIELD_STORE,
        cause_type=CauseType.MANUAL,
        cause_id="case-7",
        starts_at=moment,
        days=15,
        actor=None,
        reason="test shield",
    )
    f.repaired_at = moment + dt.timedelta(hours=1)
    f.save(update_fields=["repaired_at"])
    sweep(moment + dt.timedelta(hours=2))
    assert saas_kinds(v) == set()
    failing.refresh_from_db()
    assert failing.searchable is False and failing.hidden_reason == "shield_store"


def test_ms_4_2_failure_signal_hides_product_at_once(django_capture_on_commit_callbacks):
    """MS-4.2: the orders app's failure signal hides the product without waiting for a sweep,
    and the repair signal shows it again."""
    v = vendor()
    order = make_order(kind=ProductKind.SAAS, vendor=v, paid_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        order_report_delivery(order=order, outcome="failed", at=timezone.now(), reason="timeout")
    order.product.refresh_from_db()
    assert order.product.searchable is False
    assert saas_kinds(v) == {MeasureKind.HIDE_PRODUCT}
    failure_id = DeliveryFailure.objects.get(order=order).pk
    assert AppliedMeasure.objects.get(vendor=v).cause_id == str(failure_id)

    with django_capture_on_commit_callbacks(execute=True):
        order_report_delivery(order=order, outcome="repaired", at=timezone.now())
    order.product.refresh_from_db()
    assert order.product.searchable is True
    assert saas_kinds(v) == set()


def test_ms_4_2_rerun_is_idempotent(scene):
    _v, *_ = scene
    moment = FAILED_AT + dt.timedelta(days=31)
    sweep(moment)
    before = (AppliedMeasure.objects.count(), RuleEvaluation.objects.count())
    sweep(moment)
    assert before == (AppliedMeasure.objects.count(), RuleEvaluation.objects.count())
