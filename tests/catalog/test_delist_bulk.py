"""`products_delist_bulk`: the set-based delisting a compliance measure uses (MS-4.2, all of a
vendor's SaaS products after 30 days), with the same FSM check, permission and history as
`product_delist`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from catalog.services import products_delist_bulk
from marketplace.exceptions import PermissionDenied
from tests.catalog.factories import reviewer
from tests.factories import ProductFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _products(n: int, status: str = Product.Status.LISTED) -> list[Product]:
    vendor = VendorFactory()
    return [ProductFactory(vendor=vendor, status=status) for _ in range(n)]


def test_ms_4_2_bulk_delist_delists_listed_products_with_history():
    """Listed products become delisted with reason and time; each gets one '~' history row
    naming the actor and the reason; products not listed are skipped untouched."""
    listed = _products(3)
    draft = ProductFactory(vendor=listed[0].vendor, status=Product.Status.DRAFT)
    lead = reviewer("lead", delist=True)

    done = products_delist_bulk(
        product_ids=[p.pk for p in listed] + [draft.pk], actor=lead, reason="MS-4.2: 30 days"
    )

    assert sorted(p.pk for p in done) == sorted(p.pk for p in listed)
    for product in listed:
        product.refresh_from_db()
        assert product.status == Product.Status.DELISTED
        assert product.delist_reason == "MS-4.2: 30 days"
        assert product.delisted_at is not None
        row = Product.history.filter(id=product.pk).order_by("-history_id").first()
        assert row.history_type == "~" and row.status == Product.Status.DELISTED
        assert row.history_user_id == lead.pk
        assert row.history_change_reason == "MS-4.2: 30 days"
        assert row.delisted_at == product.delisted_at
    draft.refresh_from_db()
    assert draft.status == Product.Status.DRAFT
    assert not Product.history.filter(id=draft.pk, history_type="~").exists()
    # Already delisted: nothing to do, nothing written.
    assert products_delist_bulk(product_ids=[p.pk for p in listed], actor=None, reason="x") == []


def test_ms_4_2_bulk_delist_by_a_user_without_permission_writes_nothing():
    listed = _products(2)
    with pytest.raises(PermissionDenied) as exc:
        products_delist_bulk(
            product_ids=[p.pk for p in listed], actor=UserFactory(), reason="not allowed"
        )
    assert exc.value.code == "permission_denied"
    assert set(
        Product.objects.filter(pk__in=[p.pk for p in listed]).values_list("status", flat=True)
    ) == {Product.Status.LISTED}


def test_ms_4_2_bulk_delist_costs_the_same_queries_for_2_or_8_products():
    counts = []
    for n in (2, 8):
        listed = _products(n)
        with CaptureQueriesContext(connection) as captured:
            products_delist_bulk(product_ids=[p.pk for p in listed], actor=None, reason="MS-4.2")
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ms_4_2_a_bulk_delist_in_progress_does_not_block_rows_referencing_the_products():
    """The delist locks FOR NO KEY UPDATE: a row inserted meanwhile that references the
    product (an order, a specification: FOR KEY SHARE on the product) does not wait for it."""
    from django.db import OperationalError, transaction

    from catalog.models import Specification
    from tests.threads import HeldOpen

    (product,) = _products(1)
    lead = reviewer("lead", delist=True)

    def delist() -> None:
        products_delist_bulk(product_ids=[product.pk], actor=lead, reason="MS-4.2")

    with HeldOpen(delist):  # the delist's transaction stays open meanwhile
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            try:
                Specification.objects.create(product=product, name="Added meanwhile", price="5.00")
            except OperationalError as exc:  # a FOR UPDATE lock would end here
                pytest.fail(f"the insert waited for the delist's lock: {exc}")
    product.refresh_from_db()
    assert product.status == Product.Status.DELISTED
