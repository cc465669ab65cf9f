"""Catalogue admin records a person can read (issue 12 §2): labels for choices, no raw codes
or JSON, money as money, percentages, times in China time, links, and a products list whose
key columns (state, what buyers see, waiting time, vendor) come first, at a fixed query count."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product, ServiceFeeRate
from catalog.services import (
    SpecInput,
    product_submit,
    revision_create,
    revision_submit,
    security_review_record,
)
from marketplace import roles
from tests.catalog.factories import all_pass, draft_product, listed_product, open_review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRODUCTS_URL = reverse("admin:catalog_product_changelist")


@pytest.fixture
def reviewer():
    user = UserFactory(username="sec-readable", is_staff=True)
    user.groups.add(roles.group_for(roles.SECURITY_REVIEWER))
    return user


def _get(client, url: str, lang: str = "zh-hans") -> str:
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _result_table(body: str) -> str:
    match = re.search(r'<table id="result_list">.*?</table>', body, re.S)
    assert match, "no result list"
    return match.group(0)


def _headers(table: str) -> list[str]:
    cells = re.findall(r'<th scope="col" class="([^"]*)"', table)
    return [re.search(r"column-(\S+)", c).group(1) for c in cells if "column-" in c]


def _row_of(table: str, title: str) -> str:
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)
    return next(r for r in rows if f">{title}<" in r).replace("\xa0", " ")


def _update(product: Product, title: str):
    revision = revision_create(
        product=product,
        actor=None,
        title=title,
        deployment=product.deployment,
        specifications=[SpecInput(name="Standard", price="1999.00", billing_period="year")],
    )
    revision_submit(revision=revision, actor=None)
    return revision


def _age(instance, status: str, days: int) -> None:
    """Set-up only: the record became `status` `days` days ago (its history says so)."""
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days, minutes=5)
    instance.history.filter(status=status).update(history_date=moment)


# --- the products list -----------------------------------------------------------------------


def test_product_list_key_columns_come_first(client, reviewer):
    listed_product(reviewer, title="Listed one")
    client.force_login(reviewer)
    table = _result_table(_get(client, PRODUCTS_URL))
    assert _headers(table)[:5] == ["title", "state", "visibility", "waiting", "vendor"]


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "zh-hans",
            ["已上架", "更新 #1：已提交", "对买家展示", "对买家隐藏：店铺屏蔽", "已提交", "未上架"],
        ),
        (
            "en",
            [
                "Listed",
                "update #1: Submitted",
                "Visible to buyers",
                "Hidden from buyers: Shield store",
                "Submitted",
                "Not on sale",
            ],
        ),
    ],
)
def test_product_list_shows_labels_not_codes(client, reviewer, lang, texts):
    updated = listed_product(reviewer, title="Updated one")
    _update(updated, "Updated one 2.0")
    hidden = listed_product(reviewer, title="Hidden one")
    Product.objects.filter(pk=hidden.pk).update(searchable=False, hidden_reason="shield_store")
    product_submit(product=draft_product(title="Waiting one"), actor=None)
    client.force_login(reviewer)
    table = _result_table(_get(client, PRODUCTS_URL, lang))
    for text in texts:
        assert text in table, text
    for code in ("shield_store", "in_review", ">submitted<", ">listed<", "True", "False"):
        assert code not in table, code
    assert "对买家展示" not in _row_of(table, "Hidden one") or lang == "en"


@pytest.mark.parametrize(("lang", "text"), [("zh-hans", "3 日"), ("en", "3 days")])
def test_product_list_shows_how_long_each_waits_for_review(client, reviewer, lang, text):
    waiting = draft_product(title="Waiting one")
    product_submit(product=waiting, actor=None)
    _age(waiting, "submitted", 3)
    updated = listed_product(reviewer, title="Updated one")
    revision = _update(updated, "Updated one 2.0")
    _age(revision, "submitted", 1)
    listed_product(reviewer, title="Nothing waits")
    client.force_login(reviewer)
    table = _result_table(_get(client, PRODUCTS_URL, lang))
    assert text in _row_of(table, "Waiting one")
    assert ("1 日" if lang == "zh-hans" else "1 day") in _row_of(table, "Updated one")
    assert re.search(r'class="field-waiting">-<', _row_of(table, "Nothing waits"))


def test_queue_sorted_by_waiting_time_oldest_first(client, reviewer):
    for title, days in (("Newer", 1), ("Oldest", 5), ("Middle", 3)):
        product = draft_product(title=title)
        product_submit(product=product, actor=None)
        _age(product, "submitted", days)
    client.force_login(reviewer)
    table = _result_table(_get(client, PRODUCTS_URL + "?queue=awaiting&o=4"))
    titles = re.findall(r'<th class="field-title"><a [^>]*>([^<]+)</a>', table)
    assert titles == ["Oldest", "Middle", "Newer"]


def test_vendor_is_a_link_to_its_page_never_a_filter_link(client, reviewer):
    product = listed_product(reviewer, title="Linked one")
    client.force_login(reviewer)
    body = _get(client, PRODUCTS_URL)
    vendor_url = reverse("admin:vendors_vendor_change", args=[product.vendor_id])
    assert f'<a href="{vendor_url}">{product.vendor.name}</a>' in body
    assert "vendor__id__exact=" not in body


def test_product_list_queries_do_not_grow_with_waiting_rows_and_updates(client, reviewer):
    def add(n: int) -> None:
        for i in range(n):
            product_submit(product=draft_product(title=f"Waiting {i}"), actor=None)
            _update(listed_product(reviewer, title=f"Updated {i}"), f"Updated {i} 2.0")

    client.force_login(reviewer)
    add(2)
    with CaptureQueriesContext(connection) as small:
        _get(client, PRODUCTS_URL)
    add(6)
    with CaptureQueriesContext(connection) as large:
        _get(client, PRODUCTS_URL)
    assert len(small.captured_queries) == len(large.captured_queries)


# --- a product's page ----------------------------------------------------------------------


def test_product_page_money_times_and_measures_read_as_words(client, reviewer):
    product = listed_product(reviewer, title="Readable one", price="1999.00")
    listed_at = dt.datetime(2026, 1, 1, 16, 30, tzinfo=dt.UTC)  # 2026-01-02 00:30 in China
    Product.objects.filter(pk=product.pk).update(
        listed_at=listed_at, searchable=False, hidden_reason="shield_store,hide_product"
    )
    client.force_login(reviewer)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    body = _get(client, url)
    assert "¥1,999.00" in body
    assert "2026年1月2日 00:30" in body
    assert "店铺屏蔽、隐藏产品（不可搜索）" in body
    assert "shield_store" not in body
    english = _get(client, url, "en")
    assert "Shield store, Hide product" in english
    assert "Jan. 2, 2026, 12:30 a.m." in english


def test_product_page_tells_the_review_in_progress(client, reviewer):
    review = open_review(draft_product(title="In review one"), reviewer)
    client.force_login(reviewer)
    body = _get(client, reverse("admin:catalog_product_change", args=[review.product_id]), "en")
    assert "This product is in security review by sec-readable" in body
    assert reverse("admin:catalog_securityreview_change", args=[review.pk]) in body


# --- an update's page --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [("zh-hans", "Standard：¥1,999.00 / 按年"), ("en", "Standard: ¥1,999.00 / Yearly")],
)
def test_revision_page_lists_specifications_not_json(client, reviewer, lang, text):
    revision = _update(listed_product(reviewer, title="Json one"), "Json one 2.0")
    client.force_login(reviewer)
    body = _get(client, reverse("admin:catalog_productrevision_change", args=[revision.pk]), lang)
    assert text in body
    assert "billing_period" not in body and "is_trial" not in body
    assert "[{" not in body


def test_revision_page_has_no_save_buttons(client):
    """The vendor's content is read there and decided in its review: nothing to save."""
    admin_user = UserFactory(username="root-readable", is_staff=True, is_superuser=True)
    revision = _update(listed_product(admin_user, title="Saved one"), "Saved one 2.0")
    client.force_login(admin_user)
    body = _get(client, reverse("admin:catalog_productrevision_change", args=[revision.pk]))
    assert 'name="_save"' not in body


# --- reviews and rule parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "before", "after"),
    [("zh-hans", "通过 0/7", "通过 7/7"), ("en", "0/7 passed", "7/7 passed")],
)
def test_security_review_list_counts_items_in_words(client, reviewer, lang, before, after):
    review = open_review(draft_product(title="Counted one"), reviewer)
    client.force_login(reviewer)
    url = reverse("admin:catalog_securityreview_changelist")
    assert before in _result_table(_get(client, url, lang))
    security_review_record(review=review, actor=reviewer, results=all_pass())
    assert after in _result_table(_get(client, url, lang))


def test_ms_2_6_service_fee_rate_reads_as_a_percentage(client):
    admin_user = UserFactory(username="root-rate", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    table = _result_table(_get(client, reverse("admin:catalog_servicefeerate_changelist")))
    assert '<td class="field-rate_percent">10%</td>' in table
    assert not re.search(r"<td[^>]*>0\.1000<", table)
    assert "未单独设置费率的所有类目（默认）" in table
    default = ServiceFeeRate.objects.get(category__isnull=True)
    body = _get(client, reverse("admin:catalog_servicefeerate_change", args=[default.pk]))
    assert '<div class="readonly">10%</div>' in body
    assert '<div class="readonly">0.1000</div>' not in body


def test_decided_review_is_read_only(client, reviewer):
    """A decided review is a record: no Save button, no editable notes (issue 12 §2)."""
    review = open_review(draft_product(title="Decided one"), reviewer)
    client.force_login(reviewer)
    url = reverse("admin:catalog_securityreview_change", args=[review.pk])
    assert 'name="_save"' in _get(client, url)
    security_review_record(review=review, actor=reviewer, results=all_pass())
    from catalog.services import security_review_approve

    security_review_approve(review=review, actor=reviewer)
    body = _get(client, url)
    assert 'name="_save"' not in body and 'name="notes"' not in body
    assert client.post(url, {"notes": "changed"}).status_code == 403
    review.refresh_from_db()
    assert review.notes == ""
