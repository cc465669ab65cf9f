"""Catalog admin: review queue, approve/reject through services, permissions, query counts."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import (
    ItemResult,
    Product,
    ProductKind,
    ReviewItem,
    SecurityReview,
    SecurityReviewItem,
)
from catalog.services import product_submit, security_review_record
from marketplace import roles
from tests.catalog.factories import all_pass, draft_product, open_review
from tests.factories import CategoryFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db

PRODUCTS_URL = reverse("admin:catalog_product_changelist")
REVIEWS_URL = reverse("admin:catalog_securityreview_changelist")


@pytest.fixture
def security_reviewer(client):
    user = UserFactory(username="sec-reviewer", is_staff=True)
    user.groups.add(roles.group_for(roles.SECURITY_REVIEWER))
    client.force_login(user)
    return user


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _bulk_products(n: int) -> None:
    """Set-up only: many rows across vendors, kinds and states, with open revisions."""
    vendors = [VendorFactory() for _ in range(5)]
    category = CategoryFactory()
    kinds = ProductKind.values
    statuses = Product.Status.values
    Product.objects.bulk_create(
        Product(
            vendor=vendors[i % 5],
            category=category,
            kind=kinds[i % len(kinds)],
            title=f"Bulk {i}",
            status=statuses[i % len(statuses)],
        )
        for i in range(n)
    )


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("query", ["", "?queue=awaiting", "?q=Bulk", "?kind=saas"])
def test_product_changelist_query_count_is_fixed(superuser_client, query):
    _bulk_products(100)
    small = _count_queries(superuser_client, PRODUCTS_URL + query)
    _bulk_products(250)
    large = _count_queries(superuser_client, PRODUCTS_URL + query)
    assert small == large


def test_security_review_changelist_query_count_is_fixed(superuser_client):
    reviewer_user = UserFactory(username="r", is_superuser=True, is_staff=True)

    def add_reviews(n):
        for _ in range(n):
            open_review(draft_product(), reviewer_user)

    add_reviews(3)
    small = _count_queries(superuser_client, REVIEWS_URL)
    add_reviews(12)
    large = _count_queries(superuser_client, REVIEWS_URL)
    assert small == large


def test_ms_4_1_1_queue_filter_lists_products_awaiting_review(superuser_client):
    waiting = draft_product(title="Waiting one")
    product_submit(product=waiting, actor=None)
    draft_product(title="Still a draft")
    response = superuser_client.get(PRODUCTS_URL + "?queue=awaiting")
    assert "Waiting one" in response.content.decode()
    assert "Still a draft" not in response.content.decode()


def test_ms_4_1_1_reviewer_starts_review_then_approves_with_all_items_passed(
    client, security_reviewer
):
    product = draft_product()
    product_submit(product=product, actor=None)
    response = client.post(
        PRODUCTS_URL,
        {"action": "start_security_review", ACTION_CHECKBOX_NAME: [product.pk]},
    )
    review = SecurityReview.objects.get(product=product)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/securityreview/{review.pk}/change/")
    assert review.reviewer == security_reviewer

    # Record the items through the change form (inline), as a reviewer does.
    items = list(review.items.order_by("pk"))
    data = {
        "notes": "checked",
        "items-TOTAL_FORMS": len(items),
        "items-INITIAL_FORMS": len(items),
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 1000,
    }
    for i, item in enumerate(items):
        data[f"items-{i}-id"] = item.pk
        data[f"items-{i}-review"] = review.pk
        data[f"items-{i}-result"] = ItemResult.PASS
        data[f"items-{i}-notes"] = ""
    change_url = reverse("admin:catalog_securityreview_change", args=[review.pk])
    response = client.post(change_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(review.items.values_list("result", flat=True)) == {ItemResult.PASS}

    # The approve action asks for notes on an intermediate page, then approves.
    action = {"action": "approve_reviews", ACTION_CHECKBOX_NAME: [review.pk]}
    page = client.post(REVIEWS_URL, action)
    assert page.status_code == 200
    assert "reason" in page.content.decode()
    client.post(REVIEWS_URL, {**action, "apply": "1", "reason": "all fine"})
    product.refresh_from_db()
    review.refresh_from_db()
    assert product.status == Product.Status.LISTED
    assert review.outcome == SecurityReview.Outcome.APPROVED
    assert product.history.first().history_user == security_reviewer


def test_ms_4_1_4_admin_approve_refused_with_failed_item(client, security_reviewer):
    review = open_review(draft_product(), security_reviewer)
    results = all_pass()
    results[ReviewItem.MALWARE] = (ItemResult.FAIL, "trojan")
    security_review_record(review=review, actor=security_reviewer, results=results)
    response = client.post(
        REVIEWS_URL,
        {
            "action": "approve_reviews",
            ACTION_CHECKBOX_NAME: [review.pk],
            "apply": "1",
            "reason": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    review.refresh_from_db()
    assert review.outcome == SecurityReview.Outcome.OPEN
    assert "did not pass" in response.content.decode() or "未通过" in response.content.decode()


def test_admin_reject_requires_a_reason(client, security_reviewer):
    review = open_review(draft_product(), security_reviewer)
    action = {"action": "reject_reviews", ACTION_CHECKBOX_NAME: [review.pk], "apply": "1"}
    page = client.post(REVIEWS_URL, {**action, "reason": ""})
    assert page.status_code == 200  # the form again, with the error
    review.refresh_from_db()
    assert review.outcome == SecurityReview.Outcome.OPEN
    client.post(REVIEWS_URL, {**action, "reason": "embeds outside links (MS-4.1.4 ⑤)"})
    review.refresh_from_db()
    review.product.refresh_from_db()
    assert review.outcome == SecurityReview.Outcome.REJECTED
    assert review.product.status == Product.Status.REJECTED
    assert review.product.rejection_reason == "embeds outside links (MS-4.1.4 ⑤)"


def test_review_actions_hidden_and_refused_without_permission(client):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.groups.add(roles.group_for(roles.REFUND_ARBITRATOR))
    client.force_login(viewer)
    product = draft_product()
    product_submit(product=product, actor=None)
    response = client.get(PRODUCTS_URL)
    assert response.status_code == 200
    assert "start_security_review" not in response.content.decode()
    client.post(
        PRODUCTS_URL, {"action": "start_security_review", ACTION_CHECKBOX_NAME: [product.pk]}
    )
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED
    assert not SecurityReview.objects.exists()


def test_security_reviewer_cannot_delist(client, security_reviewer):
    response = client.get(PRODUCTS_URL)
    assert response.status_code == 200
    assert "delist_products" not in response.content.decode()


def test_ms_4_1_5_admin_specification_form_refuses_zero_price_saas(superuser_client):
    product = draft_product(kind=ProductKind.SAAS)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    spec = product.specifications.get()
    data = {
        "specifications-TOTAL_FORMS": 2,
        "specifications-INITIAL_FORMS": 1,
        "specifications-MIN_NUM_FORMS": 0,
        "specifications-MAX_NUM_FORMS": 1000,
        "specifications-0-id": spec.pk,
        "specifications-0-product": product.pk,
        "specifications-1-product": product.pk,
        "specifications-1-name": "Free",
        "specifications-1-price": "0",
        "specifications-1-billing_period": "month",
        "revisions-TOTAL_FORMS": 0,
        "revisions-INITIAL_FORMS": 0,
        "revisions-MIN_NUM_FORMS": 0,
        "revisions-MAX_NUM_FORMS": 1000,
        "reviews-TOTAL_FORMS": 0,
        "reviews-INITIAL_FORMS": 0,
        "reviews-MIN_NUM_FORMS": 0,
        "reviews-MAX_NUM_FORMS": 1000,
    }
    response = superuser_client.post(url, data)
    assert response.status_code == 200  # form redisplayed with the error
    assert product.specifications.count() == 1
    data["specifications-1-is_trial"] = "on"
    response = superuser_client.post(url, data)
    assert response.status_code == 302
    assert product.specifications.filter(is_trial=True, price=0).count() == 1


def test_review_items_are_read_only_once_decided(client, security_reviewer):
    review = open_review(draft_product(), security_reviewer)
    security_review_record(review=review, actor=security_reviewer, results=all_pass())
    from catalog.services import security_review_approve

    security_review_approve(review=review, actor=security_reviewer)
    url = reverse("admin:catalog_securityreview_change", args=[review.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="items-0-result"' not in response.content.decode()
    assert SecurityReviewItem.objects.filter(review=review).count() == len(ReviewItem.values)


def test_admin_is_chinese_first(superuser_client):
    draft_product()
    superuser_client.cookies.load({"django_language": "zh-hans"})
    response = superuser_client.get(PRODUCTS_URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert "待安全审核" in body
    assert "开始安全审核" in body


@pytest.mark.slow
def test_product_changelist_query_count_same_with_100_or_10000_rows(superuser_client):
    _bulk_products(100)
    small = _count_queries(superuser_client, PRODUCTS_URL + "?queue=awaiting")
    _bulk_products(9_900)
    large = _count_queries(superuser_client, PRODUCTS_URL + "?queue=awaiting")
    assert small == large


def test_ms_2_8_policy_in_force_is_read_only_in_admin(superuser_client):
    """Rule parameters are data: a row in force is kept; a change is a later row."""
    import datetime as dt

    from catalog.models import KindPolicy, ReviewPeriodRule

    in_force = KindPolicy.objects.get(kind=ProductKind.IMAGE)
    url = reverse("admin:catalog_kindpolicy_change", args=[in_force.pk])
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert 'name="review_period_days"' not in response.content.decode()
    delete = reverse("admin:catalog_kindpolicy_delete", args=[in_force.pk])
    assert superuser_client.get(delete).status_code == 403
    future = KindPolicy.objects.create(
        kind=ProductKind.IMAGE,
        effective_from=dt.date(2099, 1, 1),
        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        review_period_days=7,
    )
    url = reverse("admin:catalog_kindpolicy_change", args=[future.pk])
    assert 'name="review_period_days"' in superuser_client.get(url).content.decode()


def test_ms_4_1_4_decide_buttons_on_the_review_page(client, security_reviewer):
    product = draft_product()
    review = open_review(product, security_reviewer)
    change_url = reverse("admin:catalog_securityreview_change", args=[review.pk])
    assert "/decide/approve/" in client.get(change_url).content.decode()
    approve = reverse("admin:catalog_securityreview_decide", args=[review.pk, "approve"])
    assert client.get(approve).status_code == 200
    # Items unanswered: the approval is refused with a message, nothing changes.
    response = client.post(approve, {"reason": ""})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.outcome == SecurityReview.Outcome.OPEN
    security_review_record(review=review, actor=security_reviewer, results=all_pass())
    client.post(approve, {"reason": "ok"})
    review.refresh_from_db()
    product.refresh_from_db()
    assert review.outcome == SecurityReview.Outcome.APPROVED
    assert product.status == Product.Status.LISTED
    response = client.get(change_url)
    assert response.status_code == 200
    assert "/decide/approve/" not in response.content.decode()


def test_decide_page_refused_without_review_permission(client):
    reviewer_user = UserFactory(username="rv", is_staff=True, is_superuser=True)
    review = open_review(draft_product(), reviewer_user)
    viewer = UserFactory(username="viewer2", is_staff=True)
    viewer.groups.add(roles.group_for(roles.COMPLIANCE_REVIEWER))
    client.force_login(viewer)
    reject = reverse("admin:catalog_securityreview_decide", args=[review.pk, "reject"])
    assert client.post(reject, {"reason": "x"}).status_code == 403
    review.refresh_from_db()
    assert review.outcome == SecurityReview.Outcome.OPEN


def test_product_page_shows_its_review_history(superuser_client):
    reviewer_user = UserFactory(username="rv3", is_staff=True, is_superuser=True)
    review = open_review(draft_product(), reviewer_user)
    url = reverse("admin:catalog_product_change", args=[review.product_id])
    body = superuser_client.get(url).content.decode()
    assert reverse("admin:catalog_securityreview_change", args=[review.pk]) in body
