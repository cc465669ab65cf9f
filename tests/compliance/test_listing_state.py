"""Issue 9 §5: state that follows new listings (MS-4.2, MS-3.1.5 ③, MS-7).

A product's effective visibility is derived from every measure in force whenever it enters a
listed state (listing, relisting, an approved update), not only when a measure changes; the
sweep re-derives it as a safety net; every vendor page shows the effective state.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, ProductKind
from catalog.services import (
    SpecInput,
    product_delist,
    product_relist_submit,
    revision_create,
    revision_submit,
    security_review_approve,
    security_review_record,
    security_review_start,
)
from compliance.models import CauseType, MeasureKind, RuleEvaluation
from compliance.services.measures import measure_apply
from tests.catalog.factories import all_pass, draft_product, listed_product
from tests.catalog.factories import reviewer as security_reviewer
from tests.compliance.sweep.factories import failure, sweep
from tests.factories import StoreFactory, VendorFactory, VendorStaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

K = MeasureKind


@pytest.fixture
def seller():
    v = VendorFactory()
    if not hasattr(v, "store"):
        StoreFactory(vendor=v)
    return v


@pytest.fixture
def checker():
    return security_reviewer("security-checker", delist=True)


def _approve(product: Product, checker) -> Product:
    from catalog.services import product_submit

    if product.status in (Product.Status.DRAFT, Product.Status.REJECTED):
        product_submit(product=product, actor=None)
    review = security_review_start(product=product, actor=checker)
    security_review_record(review=review, actor=checker, results=all_pass())
    security_review_approve(review=review, actor=checker)
    product.refresh_from_db()
    return product


def _saas_draft(vendor, title="Cloud desk") -> Product:
    return draft_product(vendor=vendor, kind=ProductKind.SAAS, saas_delivered=True, title=title)


def _measure(vendor, kind, **kwargs):
    return measure_apply(
        vendor=vendor,
        kind=kind,
        cause_type=CauseType.MANUAL,
        cause_id=f"test-{kind}",
        actor=None,
        reason="test measure",
        **kwargs,
    )


def _visible(product: Product) -> bool:
    product.refresh_from_db()
    return product.searchable and not product.content_shielded


def test_ms_4_2_saas_product_listed_on_day_8_stays_hidden_after_the_sweep(seller, checker):
    """MS-4.2: a SaaS product listed while "hide all SaaS products" is in force is hidden at
    once, and the next sweep keeps it hidden (it was visible for ever before)."""
    now = timezone.now()
    old = _approve(_saas_draft(seller, "Old desk"), checker)
    failure(seller, failed_at=now - dt.timedelta(days=8), prod=old)
    sweep(now - dt.timedelta(minutes=1), "saas_delivery")
    assert not _visible(old)  # day 8: every SaaS product hidden

    new = _approve(_saas_draft(seller, "New desk"), checker)  # listed on day 8
    assert not _visible(new)
    assert "hide_saas_products" in new.hidden_reason
    sweep(timezone.now() + dt.timedelta(minutes=1))
    assert not _visible(new)
    # A product that is not SaaS-delivered listed now stays visible (the rule is about SaaS).
    plain = _approve(draft_product(vendor=seller, title="Plain tool"), checker)
    assert _visible(plain)


@pytest.mark.parametrize("kind", [K.SHIELD_STORE, K.SUSPEND_DISPLAY, K.CLOSE_STORE])
def test_ms_7_ms_3_1_5_product_listed_while_store_shielded_or_display_suspended_is_hidden(
    seller, checker, kind
):
    """MS-7 (shield store), MS-3.1.5 ③ (suspend display, close store): a product listed while
    the measure is in force is hidden from buyers, and so is a relisted one."""
    _measure(seller, kind)
    product = _approve(draft_product(vendor=seller), checker)
    assert not _visible(product)
    assert kind in product.hidden_reason
    sweep(timezone.now() + dt.timedelta(minutes=1))
    assert not _visible(product)


def test_ms_7_relisted_product_is_hidden_while_the_store_is_shielded(seller, checker):
    """MS-7 / MS-4.1.1: relisting (delisted → security review → listed) derives visibility."""
    product = listed_product(checker, vendor=seller)
    product_delist(product=product, actor=checker, reason="test delisting")
    _measure(seller, K.SHIELD_STORE)
    # Simulate the stale flag a product kept from before (rows written before this fix).
    Product.objects.filter(pk=product.pk).update(searchable=True, hidden_reason="")
    product.refresh_from_db()
    product_relist_submit(product=product, actor=None)
    product = _approve(product, checker)
    assert product.status == Product.Status.LISTED
    assert not _visible(product)


def test_ms_6_1_2_approved_update_keeps_the_product_hidden(seller, checker):
    """MS-6.1.2 / MS-7: an update approved while the store is shielded leaves it hidden, even
    when its stored flag was stale."""
    product = listed_product(checker, vendor=seller)
    _measure(seller, K.SHIELD_STORE)
    Product.objects.filter(pk=product.pk).update(searchable=True, hidden_reason="")
    revision = revision_create(
        product=product,
        actor=None,
        title="Backup suite 2",
        specifications=[SpecInput(name="Standard", price="120.00")],
    )
    revision_submit(revision=revision, actor=None)
    review = security_review_start(product=product, actor=checker)
    security_review_record(review=review, actor=checker, results=all_pass())
    security_review_approve(review=review, actor=checker)
    product.refresh_from_db()
    assert product.title == "Backup suite 2"
    assert not _visible(product)


def test_ms_7_sweep_rederives_a_stale_visibility_and_records_it(seller, checker):
    """MS-7 safety net: a product whose stored visibility disagrees with the measures in force
    (a lost signal, a row written before the fix) is re-derived by the next sweep, with an
    evaluation reviewers can read; a second run changes nothing more."""
    product = listed_product(checker, vendor=seller)
    _measure(seller, K.SUSPEND_DISPLAY)
    assert not _visible(product)
    Product.objects.filter(pk=product.pk).update(searchable=True, hidden_reason="")
    # And a vendor with no measure whose product was left hidden is shown again.
    other = VendorFactory()
    stale = listed_product(checker, vendor=other)
    Product.objects.filter(pk=stale.pk).update(searchable=False, hidden_reason="shield_store")

    sweep(timezone.now() + dt.timedelta(minutes=1))
    assert not _visible(product)
    assert _visible(stale)
    recorded = RuleEvaluation.objects.filter(
        rule="measure_expiry", subject_type="vendor", vendor__in=[seller, other]
    )
    assert {e.vendor_id for e in recorded} == {seller.pk, other.pk}
    count = RuleEvaluation.objects.count()
    sweep(timezone.now() + dt.timedelta(minutes=2))
    assert RuleEvaluation.objects.count() == count


# --- what vendors see -----------------------------------------------------------------------


def _vendor_client(vendor) -> Client:
    client = Client()
    client.force_login(VendorStaffFactory(vendor=vendor).user)
    client.cookies["django_language"] = "en"
    return client


def test_ms_3_1_5_home_does_not_say_displayed_while_display_is_suspended(seller):
    """MS-3.1.5 ③: with product display suspended the home page does not say "Displayed to
    buyers"; it names the measure."""
    _measure(seller, K.SUSPEND_DISPLAY)
    text = _vendor_client(seller).get(reverse("vendor:home")).content.decode()
    assert "Displayed to buyers" not in text
    assert "Products hidden from buyers" in text
    assert "Suspend product display: since" in text


def test_ms_7_home_says_displayed_without_measures(seller):
    """The same page says "Displayed to buyers" when nothing hides the store or products."""
    text = _vendor_client(seller).get(reverse("vendor:home")).content.decode()
    assert "Displayed to buyers" in text


def test_ms_4_1_1_draft_and_rejected_products_are_not_shown_as_displayed(seller, checker):
    """MS-4.1.1: only a listed product can be displayed; drafts, rejected, in-review and
    delisted products read "not on sale" on the list and the detail page."""
    draft = draft_product(vendor=seller, title="Draft one")
    listed = listed_product(checker, vendor=seller, title="Listed one")
    client = _vendor_client(seller)
    page = client.get(reverse("vendor:product_list")).content.decode()
    row_of = {p.title: page.split(p.title, 1)[1].split("</tr>", 1)[0] for p in (draft, listed)}
    assert "Not on sale" in row_of["Draft one"] and "Visible" not in row_of["Draft one"]
    assert "Visible to buyers" in row_of["Listed one"]
    detail = client.get(reverse("vendor:product_detail", args=[draft.pk])).content.decode()
    assert "Not on sale" in detail and "Visible to buyers" not in detail


def test_ms_7_hidden_reasons_are_named_not_coded(seller, checker):
    """MS-7: a hidden product says why in words (the measure's name), never a raw code."""
    product = listed_product(checker, vendor=seller, title="Hidden one")
    _measure(seller, K.SHIELD_STORE)
    page = _vendor_client(seller).get(reverse("vendor:product_list")).content.decode()
    row = page.split("Hidden one", 1)[1].split("</tr>", 1)[0]
    assert "shield_store" not in row
    assert "Hidden from buyers" in row and "Shield store" in row
    assert not _visible(product)
