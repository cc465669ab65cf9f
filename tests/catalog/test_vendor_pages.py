"""Vendor pages of the catalogue: own products only (isolation), create a draft, submit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Product, ProductKind
from tests.catalog.factories import draft_product, vendor_user
from tests.factories import CategoryFactory, UserFactory, VendorFactory
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    return VendorFactory()


@pytest.fixture
def me(client, vendor):
    user = vendor_user(vendor)
    client.force_login(user)
    return user


@pytest.fixture
def theirs():
    return draft_product(vendor=VendorFactory(), title="Their secret product")


def test_list_shows_only_own_products(client, me, vendor, theirs):
    draft_product(vendor=vendor, title="My product")
    response = client.get(reverse("vendor:product_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "My product" in body
    assert "Their secret product" not in body


@pytest.mark.parametrize("name", ["vendor:product_detail", "vendor:product_submit"])
def test_isolation_other_vendors_product_is_not_found(client, me, theirs, name):
    method = client.post if name.endswith("submit") else client.get
    response = method(reverse(name, args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Product.Status.DRAFT


def test_pages_need_a_vendor_login(client, theirs):
    response = client.get(reverse("vendor:product_list"))
    assert response.status_code == 302  # to the login page
    client.force_login(UserFactory(username="not-a-vendor"))
    assert client.get(reverse("vendor:product_list")).status_code == 403


def test_detail_shows_status_and_visibility(client, me, vendor):
    product = draft_product(vendor=vendor, title="Shown")
    # Only a listed product can be hidden from buyers; others read "not on sale" (issue 9 §5).
    Product.objects.filter(pk=product.pk).update(
        status=Product.Status.LISTED, searchable=False, hidden_reason="MS-4.2"
    )
    response = client.get(reverse("vendor:product_detail", args=[product.pk]))
    assert response.status_code == 200
    assert "MS-4.2" in response.content.decode()


def _create_data(**overrides):
    data = {
        "kind": ProductKind.SOFTWARE,
        "category": CategoryFactory().pk,
        "title": "Log analyser",
        "description": "Finds things",
        "tags": "logs",
        "deployment": "this cloud, ap-shanghai",
        "sales_mode": "platform",
        "spec_name": "Standard",
        "spec_price": "199.00",
        "spec_billing_period": "month",
    }
    data.update(overrides)
    return data


def test_create_draft_with_a_specification_then_submit(client, me, vendor):
    response = client.post(reverse("vendor:product_new"), _create_data())
    product = Product.objects.get(vendor=vendor)
    assert response.status_code == 302
    assert product.status == Product.Status.DRAFT
    assert product.history.first().history_user == me
    assert str(product.specifications.get().price) == "199.00"
    client.post(reverse("vendor:product_submit", args=[product.pk]))
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED


def test_ms_4_1_5_create_form_refuses_zero_price_saas(client, me, vendor):
    response = client.post(
        reverse("vendor:product_new"), _create_data(kind=ProductKind.SAAS, spec_price="0")
    )
    assert response.status_code == 200
    assert not Product.objects.exists()
    response = client.post(
        reverse("vendor:product_new"),
        _create_data(kind=ProductKind.SAAS, spec_price="0", spec_is_trial="on"),
    )
    assert response.status_code == 302


def test_create_form_refuses_negative_price(client, me):
    response = client.post(reverse("vendor:product_new"), _create_data(spec_price="-5"))
    assert response.status_code == 200
    assert not Product.objects.exists()


def test_submit_by_non_active_vendor_shows_the_error(client, me, vendor):
    product = draft_product(vendor=vendor)
    Vendor.objects.filter(pk=vendor.pk).update(status=Vendor.Status.SUSPENDED)
    response = client.post(reverse("vendor:product_submit", args=[product.pk]), follow=True)
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


def test_list_query_count_is_fixed(client, me, vendor, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("vendor:product_list")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        draft_product(vendor=vendor)
    small = count()
    for _ in range(10):
        draft_product(vendor=vendor)
    assert count() == small


def _listed(vendor):
    from tests.catalog.factories import listed_product, reviewer

    return listed_product(reviewer("rev-for-pages"), vendor=vendor, title="Listed one")


def _update_data(**overrides):
    data = {
        "title": "Listed one v2",
        "description": "better",
        "tags": "t",
        "deployment": "this cloud",
        "specs-TOTAL_FORMS": "1",
        "specs-INITIAL_FORMS": "0",
        "specs-MIN_NUM_FORMS": "1",
        "specs-MAX_NUM_FORMS": "1000",
        "specs-0-name": "Standard",
        "specs-0-price": "120.00",
        "specs-0-billing_period": "month",
    }
    data.update(overrides)
    return data


def test_ms_6_1_2_vendor_update_goes_to_review_and_listing_stays(client, me, vendor):
    from catalog.models import ProductRevision

    product = _listed(vendor)
    url = reverse("vendor:product_update", args=[product.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _update_data())
    assert response.status_code == 302
    revision = ProductRevision.objects.get(product=product)
    assert revision.status == ProductRevision.Status.SUBMITTED
    product.refresh_from_db()
    assert product.title == "Listed one"
    assert product.status == Product.Status.LISTED


def test_ms_4_1_5_vendor_update_refuses_zero_price_saas(client, me, vendor):
    from catalog.models import ProductRevision

    product = _listed(vendor)
    Product.objects.filter(pk=product.pk).update(kind=ProductKind.SAAS)
    response = client.post(
        reverse("vendor:product_update", args=[product.pk]), _update_data(**{"specs-0-price": "0"})
    )
    assert response.status_code == 200
    assert not ProductRevision.objects.exists()


@pytest.mark.parametrize("name", ["vendor:product_update", "vendor:revision_submit"])
def test_isolation_other_vendors_update_pages_not_found(client, me, name):
    other = _listed(VendorFactory())
    response = client.post(reverse(name, args=[other.pk]), _update_data())
    assert response.status_code == 404


def test_vendor_home_shows_the_products_panel_and_nav(client, me, vendor):
    _listed(vendor)
    draft_product(vendor=VendorFactory(), title="Not mine")
    response = client.get(reverse("vendor:home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("vendor:product_list") in body
    assert "catalog-panel" in body


def test_products_panel_counts_only_own_products(vendor):
    from catalog.dashboard import products_panel

    _listed(vendor)
    draft_product(vendor=VendorFactory())
    panel = products_panel(None, vendor)
    assert panel.context["listed"] == 1
    assert panel.context["total"] == 1
