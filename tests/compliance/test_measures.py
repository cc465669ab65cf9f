"""The measure overlay: composition, idempotency, set-based recompute (DESIGN "Measures are
overlays")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Product
from compliance.models import AppliedMeasure, CauseType, MeasureKind
from compliance.services.measures import (
    measure_apply,
    measure_approve,
    measure_lift,
    measures_lift,
    vendor_state_recompute,
)
from marketplace.exceptions import PermissionDenied, ValidationFailed
from tests.compliance.factories import lead, paid_vendor, reported_case
from tests.factories import ProductFactory, VendorFactory

pytestmark = pytest.mark.django_db
K = MeasureKind


def _refresh(*objs):
    for obj in objs:
        obj.refresh_from_db()


def test_overlapping_hides_compose_product_hidden_until_both_end():
    """MS-4.2 + MS-7: a product hidden by a SaaS failure and by a store shield stays hidden
    until both measures end; lifting one never undoes the other."""
    vendor = VendorFactory()
    product = ProductFactory(vendor=vendor, saas_delivered=True)
    saas = measure_apply(
        vendor=vendor,
        kind=K.HIDE_PRODUCT,
        product=product,
        cause_type=CauseType.SAAS_DELIVERY,
        cause_id="7",
        actor=None,
        reason="MS-4.2 delivery failed",
    )
    shield = measure_apply(
        vendor=vendor,
        kind=K.SHIELD_STORE,
        cause_type=CauseType.PENALTY,
        cause_id="C-1",
        days=15,
        actor=None,
        reason="MS-7 fake transaction",
    )
    _refresh(product, vendor.store)
    assert not product.searchable
    assert product.hidden_reason == "hide_product, shield_store"
    assert not vendor.store.displayed

    measure_lift(measure=saas, actor=None, reason="repaired")
    _refresh(product, vendor.store)
    assert not product.searchable, "the store shield still hides it"
    assert product.hidden_reason == "shield_store"

    measure_lift(measure=shield, actor=None, reason="revoked")
    _refresh(product, vendor.store)
    assert product.searchable and product.hidden_reason == ""
    assert vendor.store.displayed


def test_two_causes_of_the_same_kind_compose():
    vendor = VendorFactory()
    first = measure_apply(
        vendor=vendor,
        kind=K.RESTRICT_PUBLISHING,
        cause_type=CauseType.PENALTY,
        cause_id="A",
        actor=None,
        reason="a",
    )
    measure_apply(
        vendor=vendor,
        kind=K.RESTRICT_PUBLISHING,
        cause_type=CauseType.PENALTY,
        cause_id="B",
        actor=None,
        reason="b",
    )
    measure_lift(measure=first, actor=None, reason="lift a")
    vendor.refresh_from_db()
    assert vendor.can_publish is False


def test_apply_is_idempotent_per_cause():
    vendor = VendorFactory()
    kwargs = dict(
        vendor=vendor,
        kind=K.SUSPEND_TRADING,
        cause_type=CauseType.DEPOSIT_TOPUP,
        cause_id="42",
        actor=None,
        reason="MS-3.1.5 ③",
    )
    first = measure_apply(**kwargs)
    second = measure_apply(**kwargs)
    assert first.pk == second.pk
    assert AppliedMeasure.objects.filter(vendor=vendor).count() == 1


def test_timed_measure_stops_in_force_at_its_end():
    vendor = VendorFactory()
    start = timezone.now()
    measure_apply(
        vendor=vendor,
        kind=K.RESTRICT_PUBLISHING,
        cause_type=CauseType.PENALTY,
        cause_id="X",
        starts_at=start,
        days=15,
        actor=None,
        reason="r",
    )
    vendor.refresh_from_db()
    assert vendor.can_publish is False
    vendor_state_recompute(vendor_ids=[vendor.pk], at=start + dt.timedelta(days=15), reason="sweep")
    vendor.refresh_from_db()
    assert vendor.can_publish is True


def test_each_kind_sets_its_fields():
    vendor = VendorFactory()
    saas = ProductFactory(vendor=vendor, saas_delivered=True)
    other = ProductFactory(vendor=vendor)
    for kind in (K.SUSPEND_TRADING, K.MARKETING_INELIGIBLE, K.HIDE_SAAS_PRODUCTS):
        measure_apply(vendor=vendor, kind=kind, cause_type=CauseType.MANUAL, actor=None, reason="r")
    _refresh(vendor, vendor.store, saas, other)
    assert vendor.store.trading is False and vendor.store.displayed is True
    assert vendor.marketing_eligible is False and vendor.can_publish is True
    assert saas.searchable is False and other.searchable is True

    measure_apply(
        vendor=vendor, kind=K.CLOSE_STORE, cause_type=CauseType.MANUAL, actor=None, reason="r"
    )
    _refresh(vendor.store, other)
    assert vendor.store.closed and not vendor.store.displayed and not other.searchable


def test_history_written_only_for_rows_that_change():
    vendor = VendorFactory()
    ProductFactory.create_batch(3, vendor=vendor)
    before = Product.history.filter(vendor_id=vendor.pk).count()
    vendor_state_recompute(vendor_ids=[vendor.pk], reason="nothing to do")
    assert Product.history.filter(vendor_id=vendor.pk).count() == before
    measure_apply(
        vendor=vendor, kind=K.SUSPEND_DISPLAY, cause_type=CauseType.MANUAL, actor=None, reason="x"
    )
    assert Product.history.filter(vendor_id=vendor.pk).count() == before + 3
    assert (
        Product.history.filter(vendor_id=vendor.pk).latest("history_date").history_change_reason
        == "x"
    )


def _recompute_queries(vendor_ids):
    with CaptureQueriesContext(connection) as ctx:
        vendor_state_recompute(vendor_ids=vendor_ids, reason="bulk")
    return len(ctx.captured_queries)


def test_recompute_is_set_based_fixed_query_count():
    """Recompute costs the same number of queries for 2 vendors or 8 (set-based)."""

    def setup(n):
        vendors = [VendorFactory() for _ in range(n)]
        for v in vendors:
            ProductFactory.create_batch(2, vendor=v)
            AppliedMeasure.objects.create(
                vendor=v,
                kind=K.SHIELD_STORE,
                cause_type=CauseType.MANUAL,
                cause_id="",
                starts_at=timezone.now(),
                reason="seeded",
            )
        return [v.pk for v in vendors]

    small = _recompute_queries(setup(2))
    large = _recompute_queries(setup(8))
    assert small == large


def test_lifting_a_delist_measure_does_not_relist():
    """Delisting is one-way: a product comes back only through security review (MS-4.1.1)."""
    vendor = VendorFactory()
    product = ProductFactory(vendor=vendor)
    measure = measure_apply(
        vendor=vendor,
        kind=K.DELIST_PRODUCT,
        product=product,
        cause_type=CauseType.MANUAL,
        actor=None,
        reason="r",
    )
    product.refresh_from_db()
    assert product.status == Product.Status.DELISTED
    measure.refresh_from_db()
    assert measure.executed_at is not None
    measure_lift(measure=measure, actor=None, reason="lifted")
    product.refresh_from_db()
    assert product.status == Product.Status.DELISTED


def test_second_approval_needs_another_lead():
    vendor = paid_vendor()
    proposer, other = lead(), lead()
    case = reported_case(vendor=vendor, with_product=False)
    with pytest.raises(ValidationFailed) as raised:  # MS-7: a deduction belongs to a penalty case
        measure_apply(
            vendor=vendor,
            kind=K.DEDUCT_DEPOSIT,
            amount="500.00",
            cause_type=CauseType.MANUAL,
            awaiting_approval=True,
            actor=proposer,
            reason="proposal",
        )
    assert raised.value.code == "deduction_case"
    measure = measure_apply(
        vendor=vendor,
        kind=K.DEDUCT_DEPOSIT,
        amount="500.00",
        cause_type=CauseType.PENALTY,
        cause_id=case.reference,
        penalty_case=case,
        awaiting_approval=True,
        actor=proposer,
        reason="proposal",
    )
    assert measure.executed_at is None
    with pytest.raises(PermissionDenied) as raised:
        measure_approve(measure=measure, actor=proposer, reason="self approval")
    assert raised.value.code == "same_approver"
    approved = measure_approve(measure=measure, actor=other, reason="agreed")
    approved.refresh_from_db()
    assert approved.executed_at is not None and approved.execution_ref.startswith("ledger:")


def test_measures_lift_by_cause_recomputes_once():
    vendor = VendorFactory()
    for kind in (K.SUSPEND_DISPLAY, K.SUSPEND_TRADING):
        measure_apply(
            vendor=vendor,
            kind=kind,
            cause_type=CauseType.DEPOSIT_TOPUP,
            cause_id="9",
            actor=None,
            reason="MS-3.1.5 ③",
        )
    lifted = measures_lift(
        cause_type=CauseType.DEPOSIT_TOPUP, vendor_ids=[vendor.pk], actor=None, reason="topped up"
    )
    assert len(lifted) == 2
    vendor.store.refresh_from_db()
    assert vendor.store.trading is True


def test_product_measure_needs_product_of_the_vendor():
    vendor = VendorFactory()
    foreign = ProductFactory()
    with pytest.raises(ValidationFailed) as raised:
        measure_apply(
            vendor=vendor, kind=K.HIDE_PRODUCT, cause_type=CauseType.MANUAL, actor=None, reason="r"
        )
    assert raised.value.code == "product_required"
    with pytest.raises(ValidationFailed) as raised:
        measure_apply(
            vendor=vendor,
            kind=K.HIDE_PRODUCT,
            product=foreign,
            cause_type=CauseType.MANUAL,
            actor=None,
            reason="r",
        )
    assert raised.value.code == "product_vendor"
