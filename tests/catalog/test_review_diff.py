"""Security review of an update (MS-6.1.2, MS-4.1.1, issue 12 §3): the review shows what the
update changes against the listed version, the product's page offers "start review" only to
whom may and when the state allows it, the door refuses everyone else, and the messages say
what happened to which product."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, ProductRevision, SecurityReview
from catalog.selectors import revision_diff, split_tags
from catalog.services import (
    SpecInput,
    revision_create,
    revision_submit,
    security_review_record,
    security_review_start,
)
from marketplace import roles
from tests.catalog.factories import all_pass, draft_product, listed_product, open_review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONG_DESCRIPTION = "\n".join(
    [
        "Backup suite for databases and files.",
        "Runs on this cloud's servers in every region.",
        "Encrypts every backup at rest.",
        "Works with MySQL and PostgreSQL.",
        "Incremental backups every hour.",
        "Restores a single file or a whole server.",
        "Support by ticket, 7x24.",
        "Keeps 30 days of versions.",
    ]
)


def _user(username: str, role: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(roles.group_for(role))
    return user


@pytest.fixture
def reviewer():
    return _user("sec-diff", roles.SECURITY_REVIEWER)


def _listed(reviewer, **extra) -> Product:
    return listed_product(
        reviewer, title="Backup suite", price="1999.00", tags="backup, database", **extra
    )


def _update(product: Product, *, submit: bool = True, **changes) -> ProductRevision:
    """An update of `product` that changes only what `changes` names."""
    fields = {
        "title": product.title,
        "description": product.description,
        "tags": product.tags,
        "deployment": product.deployment,
        "specifications": [
            SpecInput(name=s.name, price=s.price, billing_period=s.billing_period)
            for s in product.specifications.filter(active=True)
        ],
        **changes,
    }
    revision = revision_create(product=product, actor=None, **fields)
    if submit:
        revision_submit(revision=revision, actor=None)
    return revision


def _page(client, url: str, lang: str = "zh-hans") -> str:
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _diff_block(body: str) -> str:
    match = re.search(
        r'<div class="revision-diff">.*?</table>\s*(<p class="diff-unchanged">.*?</p>)?', body, re.S
    )
    assert match, "no diff on the page"
    return match.group(0)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- what the diff holds -----------------------------------------------------------------


def test_ms_6_1_2_diff_holds_exactly_the_changed_fields(reviewer):
    product = _listed(reviewer)
    revision = _update(
        product,
        title="Backup suite 2.0",
        specifications=[SpecInput(name="Standard", price="2599.00")],
    )
    diff = revision_diff(revision)
    assert [(c.field, c.old, c.new) for c in diff.texts] == [
        ("title", "Backup suite", "Backup suite 2.0")
    ]
    assert [(s.kind, s.name, s.changes) for s in diff.specs] == [
        ("changed", "Standard", ("price",))
    ]
    assert diff.specs[0].old.price == Decimal("1999.00")
    assert diff.specs[0].new.price == Decimal("2599.00")
    assert not diff.tags_changed
    assert set(diff.unchanged) == {"description", "deployment", "tags"}


def test_ms_6_1_2_specifications_added_removed_and_changed(reviewer):
    product = _listed(reviewer)
    revision = _update(
        product,
        specifications=[
            SpecInput(name="Standard", price="1999.00", billing_period="month"),
            SpecInput(name="Enterprise", price="4999.00", billing_period="year"),
        ],
    )
    diff = revision_diff(revision)
    kinds = {(s.kind, s.name): s for s in diff.specs}
    assert set(kinds) == {("changed", "Standard"), ("added", "Enterprise")}
    assert kinds[("changed", "Standard")].changes == ("billing_period",)
    assert diff.texts == []

    only_new = _update(
        listed_product(reviewer, title="Other", price="10.00"),
        specifications=[SpecInput(name="Pro", price="20.00")],
    )
    kinds = {(s.kind, s.name) for s in revision_diff(only_new).specs}
    assert kinds == {("added", "Pro"), ("removed", "Standard")}


def test_ms_6_1_2_tags_are_compared_as_tags():
    assert split_tags("演示, LAMP，PHP 8.3、Apache") == ["演示", "LAMP", "PHP 8.3", "Apache"]
    assert split_tags("backup database") == ["backup", "database"]
    assert split_tags("") == []


def test_ms_6_1_2_tags_added_and_removed(reviewer):
    product = _listed(reviewer)
    diff = revision_diff(_update(product, tags="backup, PHP 8.3"))
    assert diff.tags_added == ["PHP 8.3"]
    assert diff.tags_removed == ["database"]
    assert diff.texts == [] and diff.specs == []


def test_ms_6_1_2_no_change_says_so(client, reviewer):
    product = _listed(reviewer)
    revision = _update(product)
    assert not revision_diff(revision).has_changes
    review = security_review_start(product=product, actor=reviewer)
    client.force_login(reviewer)
    body = _page(client, reverse("admin:catalog_securityreview_change", args=[review.pk]), "en")
    assert "This update changes nothing against the listed version." in body


# --- the review page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "labels", "absent"),
    [
        ("zh-hans", ["标题", "规格“Standard”", "价格：¥1,999.00 → ¥2,599.00"], ["描述", "标签"]),
        (
            "en",
            ["Title", "Specification “Standard”", "Price: ¥1,999.00 → ¥2,599.00"],
            ["Description", "Tags"],
        ),
    ],
)
def test_ms_6_1_2_review_page_shows_the_diff_not_raw_values(client, reviewer, lang, labels, absent):
    product = _listed(reviewer)
    _update(
        product,
        title="Backup suite 2.0",
        specifications=[SpecInput(name="Standard", price="2599.00")],
    )
    review = security_review_start(product=product, actor=reviewer)
    client.force_login(reviewer)
    body = _page(client, reverse("admin:catalog_securityreview_change", args=[review.pk]), lang)
    block = _diff_block(body)
    rows = re.findall(r'<th scope="row">(.*?)<div class="diff-kind">', block, re.S)
    assert [r.strip() for r in rows] == labels[:2]  # exactly the changed fields
    assert labels[2] in block
    assert "<del>Backup suite</del>" in block and "<ins>Backup suite 2.0</ins>" in block
    for label in absent:
        assert f'<th scope="row">{label}' not in block
    # Not the update's raw values: no JSON of the specifications, no period codes.
    assert '"billing_period"' not in body and "&quot;price&quot;" not in body
    assert ">year<" not in body and "/ year" not in body


def test_ms_6_1_2_long_description_is_a_line_diff_with_html_escaped(client, reviewer):
    product = _listed(reviewer, description=LONG_DESCRIPTION)
    new = LONG_DESCRIPTION.replace("every hour.", "every 15 minutes.").replace(
        "Keeps 30 days of versions.", "Keeps 30 days of versions.\n<script>alert(1)</script>"
    )
    _update(product, description=new)
    review = security_review_start(product=product, actor=reviewer)
    client.force_login(reviewer)
    body = _page(client, reverse("admin:catalog_securityreview_change", args=[review.pk]), "en")
    block = _diff_block(body)
    assert 'class="line-diff"' in block
    removed = re.findall(r'<tr class="diff-removed">.*?</tr>', block, re.S)
    added = re.findall(r'<tr class="diff-added">.*?</tr>', block, re.S)
    assert len(removed) == 1 and "Incremental backups every " in removed[0]
    assert "<del>hour.</del>" in removed[0]  # the changed characters are marked
    assert len(added) == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "<script>alert(1)</script>" not in body
    # Unchanged lines far from a change are left out.
    assert "Backup suite for databases and files." not in block
    assert 'class="diff-gap"' in block


def test_ms_6_1_2_decided_review_keeps_its_diff_against_the_version_it_replaced(client, reviewer):
    product = _listed(reviewer)
    _update(product, title="Backup suite 2.0")
    review = security_review_start(product=product, actor=reviewer)
    security_review_record(review=review, actor=reviewer, results=all_pass())
    client.force_login(reviewer)
    approve = reverse("admin:catalog_securityreview_decide", args=[review.pk, "approve"])
    client.post(approve, {"reason": "ok"})
    product.refresh_from_db()
    assert product.title == "Backup suite 2.0"  # published
    body = _page(client, reverse("admin:catalog_securityreview_change", args=[review.pk]), "en")
    block = _diff_block(body)
    assert "<del>Backup suite</del>" in block and "<ins>Backup suite 2.0</ins>" in block
    assert "when the review started" in block


# --- "start review" on the product's page ----------------------------------------------------


def _start_url(product: Product) -> str:
    return reverse("admin:catalog_product_start_review", args=[product.pk])


def _product_url(product: Product) -> str:
    return reverse("admin:catalog_product_change", args=[product.pk])


def test_ms_6_1_2_start_button_shown_to_a_security_reviewer_for_a_submitted_update(
    client, reviewer
):
    product = _listed(reviewer)
    draft = _update(product, title="Backup suite 2.0", submit=False)
    client.force_login(reviewer)
    assert _start_url(product) not in _page(client, _product_url(product))  # a draft: no
    revision_submit(revision=draft, actor=None)
    body = _page(client, _product_url(product))
    assert _start_url(product) in body
    assert "开始审核此更新" in body
    assert _start_url(product) in _page(
        client, reverse("admin:catalog_productrevision_change", args=[draft.pk])
    )
    security_review_start(product=product, actor=reviewer)
    body = _page(client, _product_url(product), "en")
    assert _start_url(product) not in body  # taken: a link to the review instead
    assert "Open the security review" in body


def test_ms_4_1_1_start_button_for_a_submitted_product_only(client, reviewer):
    client.force_login(reviewer)
    draft = draft_product(title="Draft one")
    assert _start_url(draft) not in _page(client, _product_url(draft))
    listed = _listed(reviewer)
    assert _start_url(listed) not in _page(client, _product_url(listed))
    submitted = draft_product(title="Submitted one")
    from catalog.services import product_submit

    product_submit(product=submitted, actor=None)
    body = _page(client, _product_url(submitted), "en")
    assert _start_url(submitted) in body
    assert "Start security review" in body


@pytest.mark.parametrize("role", [roles.COMPLIANCE_REVIEWER, roles.REFUND_ARBITRATOR])
def test_ms_4_1_1_start_button_hidden_from_other_roles(client, reviewer, role):
    product = _listed(reviewer)
    _update(product, title="Backup suite 2.0")
    client.force_login(_user("other", role))
    body = _page(client, _product_url(product))
    assert _start_url(product) not in body
    assert "Update #1 waits" in _page(client, _product_url(product), "en")  # told, not offered


@pytest.mark.parametrize("role", [roles.COMPLIANCE_REVIEWER, roles.COMPLIANCE_LEAD, roles.FINANCE])
def test_ms_4_1_1_wrong_role_posting_the_start_door_is_refused(client, reviewer, role):
    product = _listed(reviewer)
    revision = _update(product, title="Backup suite 2.0")
    client.force_login(_user("intruder", role))
    response = client.post(_start_url(product))
    assert response.status_code == 403
    revision.refresh_from_db()
    assert revision.status == ProductRevision.Status.SUBMITTED
    assert not SecurityReview.objects.filter(product=product, revision=revision).exists()


def test_start_door_answers_post_only_and_unknown_products_are_not_found(client, reviewer):
    product = _listed(reviewer)
    _update(product)
    client.force_login(reviewer)
    assert client.get(_start_url(product)).status_code == 405
    missing = reverse("admin:catalog_product_start_review", args=[10**9])
    assert client.post(missing).status_code == 404
    assert client.post("/admin/catalog/product/abc/start-review/").status_code == 404


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-hans", "已开始“Backup suite”更新 #1 的安全审核"),
        ("en", "Started the security review of update #1 of “Backup suite”"),
    ],
)
def test_ms_6_1_2_reviewer_starts_the_update_review_from_the_product_page(
    client, reviewer, lang, expected
):
    product = _listed(reviewer)
    revision = _update(product, title="Backup suite 2.0")
    client.force_login(reviewer)
    client.cookies["django_language"] = lang
    response = client.post(_start_url(product), follow=True)
    review = SecurityReview.objects.get(revision=revision)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:catalog_securityreview_change", args=[review.pk]
    )
    assert any(expected in m for m in _messages(response))
    revision.refresh_from_db()
    assert revision.status == ProductRevision.Status.IN_REVIEW
    assert review.reviewer == reviewer
    assert revision.history.first().history_user == reviewer


def test_starting_twice_is_refused_with_a_message_not_an_error(client, reviewer):
    product = _listed(reviewer)
    _update(product)
    client.force_login(reviewer)
    client.post(_start_url(product))
    response = client.post(_start_url(product), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == _product_url(product)
    assert SecurityReview.objects.filter(product=product).count() == 2  # listing + one update


# --- what the decision did to which product ----------------------------------------------


def _decide(client, review: SecurityReview, decision: str, reason: str, lang: str):
    client.cookies["django_language"] = lang
    url = reverse("admin:catalog_securityreview_decide", args=[review.pk, decision])
    return _messages(client.post(url, {"reason": reason}, follow=True))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-hans", "已批准“Backup suite”的更新，新版本“Backup suite 2.0”已上架。"),
        (
            "en",
            "Approved the update of “Backup suite”; the new version “Backup suite 2.0” is listed.",
        ),
    ],
)
def test_ms_6_1_2_approving_an_update_says_the_new_version_is_listed(
    client, reviewer, lang, expected
):
    product = _listed(reviewer)
    _update(product, title="Backup suite 2.0")
    review = security_review_start(product=product, actor=reviewer)
    security_review_record(review=review, actor=reviewer, results=all_pass())
    client.force_login(reviewer)
    assert expected in _decide(client, review, "approve", "ok", lang)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-hans", "已批准“Backup suite”的更新，新版本已上架。"),
        ("en", "Approved the update of “Backup suite”; the new version is listed."),
    ],
)
def test_ms_6_1_2_approving_an_update_with_the_same_title(client, reviewer, lang, expected):
    product = _listed(reviewer)
    _update(product, specifications=[SpecInput(name="Standard", price="10.00")])
    review = security_review_start(product=product, actor=reviewer)
    security_review_record(review=review, actor=reviewer, results=all_pass())
    client.force_login(reviewer)
    assert expected in _decide(client, review, "approve", "", lang)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-hans", "已驳回“Backup suite”的更新，在售版本保持不变"),
        ("en", "Rejected the update of “Backup suite”; the listed version stays on sale"),
    ],
)
def test_ms_6_1_2_rejecting_an_update_says_the_listed_version_stays(
    client, reviewer, lang, expected
):
    product = _listed(reviewer)
    _update(product, title="Backup suite 2.0")
    review = security_review_start(product=product, actor=reviewer)
    client.force_login(reviewer)
    assert any(expected in m for m in _decide(client, review, "reject", "outside links", lang))
    product.refresh_from_db()
    assert product.title == "Backup suite"


@pytest.mark.parametrize(
    ("decision", "lang", "expected"),
    [
        ("approve", "zh-hans", "已批准“First listing”，产品已上架。"),
        ("approve", "en", "Approved “First listing”; it is listed now."),
        ("reject", "zh-hans", "已驳回“First listing”的上架申请，服务商可看到驳回原因。"),
        ("reject", "en", "Rejected “First listing”; the vendor sees the reason."),
    ],
)
def test_ms_4_1_1_decision_on_a_product_names_it(client, reviewer, decision, lang, expected):
    review = open_review(draft_product(title="First listing"), reviewer)
    security_review_record(review=review, actor=reviewer, results=all_pass())
    client.force_login(reviewer)
    assert expected in _decide(client, review, decision, "a reason", lang)


def test_ms_4_1_1_changelist_approve_names_each_product(client, reviewer):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    reviews = []
    for title in ("Alpha tool", "Beta tool"):
        review = open_review(draft_product(title=title), reviewer)
        security_review_record(review=review, actor=reviewer, results=all_pass())
        reviews.append(review)
    client.force_login(reviewer)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("admin:catalog_securityreview_changelist"),
        {
            "action": "approve_reviews",
            ACTION_CHECKBOX_NAME: [r.pk for r in reviews],
            "apply": "1",
            "reason": "",
        },
        follow=True,
    )
    shown = _messages(response)
    assert "Approved “Alpha tool”; it is listed now." in shown
    assert "Approved “Beta tool”; it is listed now." in shown


def test_waiting_since_is_the_submission_from_history(client, reviewer):
    """The product page tells since when the update waits: its submission, in China time."""
    product = _listed(reviewer)
    revision = _update(product, title="Backup suite 2.0")
    submitted = revision.history.filter(status="submitted").get()
    moment = dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC)  # 2026-03-03 00:30 in China
    type(submitted).objects.filter(pk=submitted.pk).update(history_date=moment)
    client.force_login(reviewer)
    body = _page(client, _product_url(product), "en")
    assert "since 2026-03-03 00:30" in body
    assert timezone.now() > moment
