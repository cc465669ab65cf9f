"""Catalog lifecycle services: every transition allowed and refused, bad input, rule IDs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.exceptions import (
    InvalidSpecification,
    ReasonRequired,
    ReviewIncomplete,
    TransitionRefused,
    VendorMayNotPublish,
    ZeroPriceForbidden,
)
from catalog.models import (
    ItemResult,
    Product,
    ProductKind,
    ProductRevision,
    ReviewItem,
    SecurityReview,
    Specification,
)
from catalog.selectors import products_awaiting_review
from catalog.services import (
    SpecInput,
    product_create,
    product_delist,
    product_relist_submit,
    product_submit,
    revision_create,
    revision_submit,
    security_review_approve,
    security_review_record,
    security_review_reject,
    security_review_start,
    specification_add,
)
from marketplace.exceptions import PermissionDenied
from tests.catalog.factories import (
    all_pass,
    draft_product,
    listed_product,
    open_review,
    reviewer,
)
from tests.factories import CategoryFactory, UserFactory, VendorFactory
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def rev():
    return reviewer(delist=True)


# --- creation and specifications (MS-4.1.5) ----------------------------------------------


def test_product_create_makes_a_draft_and_adds_the_category_to_the_vendor():
    """MS-3.1.5 ①: the deposit tier follows the categories the vendor sells in."""
    vendor = VendorFactory()
    category = CategoryFactory()
    product = draft_product(vendor=vendor, category=category)
    assert product.status == Product.Status.DRAFT
    assert category in vendor.categories.all()
    assert product.specifications.get().price == Decimal("100.00")
    assert product.history.count() == 1


@pytest.mark.parametrize("kind", [ProductKind.SAAS, ProductKind.MANUAL])
def test_ms_4_1_5_zero_price_spec_refused_for_saas_and_manual(kind):
    vendor = VendorFactory()
    with pytest.raises(ZeroPriceForbidden) as exc:
        draft_product(vendor=vendor, kind=kind, price="0")
    assert exc.value.code == "zero_price_forbidden"
    assert not Product.objects.exists()  # nothing written
    assert not vendor.categories.exists()


@pytest.mark.parametrize("kind", [ProductKind.SAAS, ProductKind.MANUAL])
def test_ms_4_1_5_zero_price_trial_spec_is_the_way_to_offer_a_trial(kind):
    product = draft_product(kind=kind)
    spec = specification_add(
        product=product, actor=None, spec=SpecInput(name="Trial", price="0", is_trial=True)
    )
    assert spec.price == Decimal("0.00") and spec.is_trial


def test_ms_4_1_5_zero_price_allowed_for_other_kinds():
    product = draft_product(kind=ProductKind.TOOL, price="0.00")
    assert product.specifications.get().price == Decimal("0.00")


def test_ms_4_1_5_specification_add_refuses_zero_price_saas():
    product = draft_product(kind=ProductKind.SAAS)
    with pytest.raises(ZeroPriceForbidden):
        specification_add(product=product, actor=None, spec=SpecInput(name="Free", price="0"))
    assert product.specifications.count() == 1


def test_ms_4_1_5_model_clean_refuses_zero_price_saas():
    from django.core.exceptions import ValidationError

    product = draft_product(kind=ProductKind.SAAS)
    with pytest.raises(ValidationError):
        Specification(product=product, name="Free", price=Decimal("0")).full_clean()
    Specification(product=product, name="Trial", price=Decimal("0"), is_trial=True).full_clean()


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("-1.00", "spec_price_negative"),
        ("abc", "spec_price_invalid"),
        ("1000000000000", "spec_price_too_large"),
    ],
)
def test_bad_prices_are_refused_and_nothing_written(price, code):
    with pytest.raises(InvalidSpecification) as exc:
        draft_product(price=price)
    assert exc.value.code == code
    assert not Product.objects.exists()


def test_float_price_is_refused():
    with pytest.raises(InvalidSpecification) as exc:
        draft_product(price=1.5)  # type: ignore[arg-type]
    assert exc.value.code == "spec_price_invalid"


def test_specification_cannot_be_added_to_listed_product_directly(rev):
    """MS-6.1.2: a listed product changes through a revision."""
    product = listed_product(rev)
    with pytest.raises(TransitionRefused) as exc:
        specification_add(product=product, actor=None, spec=SpecInput(name="Pro", price="9"))
    assert exc.value.code == "transition_not_allowed"


# --- submit (only an active vendor that may publish) --------------------------------------


def test_ms_4_1_1_submit_moves_draft_to_submitted():
    product = draft_product()
    product_submit(product=product, actor=None)
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED
    assert product in products_awaiting_review()
    assert product.status != Product.Status.LISTED


@pytest.mark.parametrize(
    "status", [Vendor.Status.APPLYING, Vendor.Status.SUSPENDED, Vendor.Status.EVICTED]
)
def test_submit_by_non_active_vendor_is_refused(status):
    product = draft_product()
    Vendor.objects.filter(pk=product.vendor_id).update(status=status)  # test set-up only
    with pytest.raises(VendorMayNotPublish) as exc:
        product_submit(product=product, actor=None)
    assert exc.value.code == "vendor_not_active"
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


def test_evicted_vendor_cannot_create_products():
    vendor = VendorFactory(status=Vendor.Status.EVICTED)
    with pytest.raises(TransitionRefused) as exc:
        draft_product(vendor=vendor)
    assert exc.value.code == "vendor_closed"
    assert not Product.objects.exists()


def test_submit_refused_while_publishing_is_restricted():
    """MS-7 'restrict publishing' reaches catalog as Vendor.can_publish = False."""
    product = draft_product(vendor=VendorFactory(can_publish=False))
    with pytest.raises(VendorMayNotPublish) as exc:
        product_submit(product=product, actor=None)
    assert exc.value.code == "publishing_restricted"


def test_submit_needs_a_non_trial_specification():
    product = product_create(
        vendor=VendorFactory(),
        actor=None,
        kind=ProductKind.SAAS,
        category=CategoryFactory(),
        title="Only trial",
        specifications=[SpecInput(name="Trial", price="0", is_trial=True)],
    )
    with pytest.raises(InvalidSpecification) as exc:
        product_submit(product=product, actor=None)
    assert exc.value.code == "no_specification"


@pytest.mark.parametrize("status", ["submitted", "in_review", "listed", "delisted"])
def test_submit_refused_from_other_states(status):
    product = draft_product()
    Product.objects.filter(pk=product.pk).update(status=status)  # test set-up only
    product.refresh_from_db()
    with pytest.raises(TransitionRefused) as exc:
        product_submit(product=product, actor=None)
    assert exc.value.code == "transition_not_allowed"


# --- security review (MS-4.1.1, MS-4.1.4, MS-3.1.6) ---------------------------------------


def test_ms_4_1_4_review_opens_with_every_item_unanswered(rev):
    review = open_review(draft_product(), rev)
    items = {i.item: i.result for i in review.items.all()}
    assert set(items) == set(ReviewItem.values)  # ①–⑥ and MS-3.1.6
    assert "ms_3_1_6" in items
    assert set(items.values()) == {ItemResult.UNANSWERED}
    review.product.refresh_from_db()
    assert review.product.status == Product.Status.IN_REVIEW


def test_ms_4_1_1_approval_lists_the_product(rev):
    product = listed_product(rev)
    assert product.status == Product.Status.LISTED
    assert product.listed_at is not None
    review = SecurityReview.objects.get(product=product)
    assert review.outcome == SecurityReview.Outcome.APPROVED
    assert review.reviewer == rev
    assert Product.objects.filter(pk=product.pk, status=Product.Status.LISTED).exists()
    assert product not in products_awaiting_review()


def test_ms_4_1_4_approval_impossible_while_an_item_is_unanswered(rev):
    product = draft_product()
    review = open_review(product, rev)
    results = all_pass()
    results.pop(ReviewItem.ON_THIS_CLOUD)  # MS-3.1.6 not checked
    security_review_record(review=review, actor=rev, results=results)
    with pytest.raises(ReviewIncomplete):
        security_review_approve(review=review, actor=rev)
    product.refresh_from_db()
    review.refresh_from_db()
    assert product.status == Product.Status.IN_REVIEW
    assert review.outcome == SecurityReview.Outcome.OPEN


@pytest.mark.parametrize("item", ReviewItem.values)
def test_ms_4_1_4_approval_impossible_with_a_failed_item(rev, item):
    product = draft_product()
    review = open_review(product, rev)
    results = all_pass()
    results[item] = (ItemResult.FAIL, "found")
    security_review_record(review=review, actor=rev, results=results)
    with pytest.raises(ReviewIncomplete):
        security_review_approve(review=review, actor=rev)
    product.refresh_from_db()
    assert product.status == Product.Status.IN_REVIEW


def test_ms_3_1_6_other_cloud_deployment_blocks_listing_and_can_be_rejected(rev):
    product = draft_product()
    review = open_review(product, rev)
    results = all_pass()
    results[ReviewItem.ON_THIS_CLOUD] = (ItemResult.FAIL, "runs on another brand's cloud")
    security_review_record(review=review, actor=rev, results=results)
    security_review_reject(review=review, actor=rev, reason="deployed on another cloud")
    product.refresh_from_db()
    assert product.status == Product.Status.REJECTED
    assert product.rejection_reason == "deployed on another cloud"


def test_rejection_needs_a_reason(rev):
    product = draft_product()
    review = open_review(product, rev)
    with pytest.raises(ReasonRequired):
        security_review_reject(review=review, actor=rev, reason="  ")
    product.refresh_from_db()
    assert product.status == Product.Status.IN_REVIEW


def test_rejected_product_can_be_fixed_and_resubmitted(rev):
    product = draft_product()
    review = open_review(product, rev)
    security_review_reject(review=review, actor=rev, reason="links to an outside site")
    product_submit(product=product, actor=None)
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED
    assert product.rejection_reason == ""


def test_review_actions_need_the_review_permission():
    product = draft_product()
    product_submit(product=product, actor=None)
    nobody = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied) as exc:
        security_review_start(product=product, actor=nobody)
    assert exc.value.code == "permission_denied"
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED
    assert not SecurityReview.objects.exists()


def test_approve_needs_the_review_permission(rev):
    review = open_review(draft_product(), rev)
    security_review_record(review=review, actor=rev, results=all_pass())
    with pytest.raises(PermissionDenied) as exc:
        security_review_approve(review=review, actor=UserFactory(is_staff=True))
    assert exc.value.code == "permission_denied"


def test_review_start_refused_when_nothing_is_waiting(rev):
    with pytest.raises(TransitionRefused) as exc:
        security_review_start(product=draft_product(), actor=rev)
    assert exc.value.code == "nothing_to_review"


def test_decided_review_cannot_be_decided_again(rev):
    product = listed_product(rev)
    review = SecurityReview.objects.get(product=product)
    with pytest.raises(TransitionRefused) as exc:
        security_review_reject(review=review, actor=rev, reason="changed my mind")
    assert exc.value.code == "review_decided"
    with pytest.raises(TransitionRefused) as exc:
        security_review_record(review=review, actor=rev, results=all_pass())
    assert exc.value.code == "review_decided"


def test_approval_refused_when_vendor_was_evicted_meanwhile(rev):
    product = draft_product()
    review = open_review(product, rev)
    security_review_record(review=review, actor=rev, results=all_pass())
    Vendor.objects.filter(pk=product.vendor_id).update(status=Vendor.Status.EVICTED)
    with pytest.raises(VendorMayNotPublish) as exc:
        security_review_approve(review=review, actor=rev)
    assert exc.value.code == "vendor_not_active"


def test_review_history_names_the_reviewer(rev):
    product = listed_product(rev)
    last = product.history.first()
    assert last.history_user == rev
    assert "MS-4.1.1" in last.history_change_reason


# --- delist and relist ---------------------------------------------------------------------


def test_delist_moves_listed_to_delisted_with_reason(rev):
    product = listed_product(rev)
    product_delist(product=product, actor=rev, reason="OTHER_CLOUD_DEPLOYMENT penalty")
    product.refresh_from_db()
    assert product.status == Product.Status.DELISTED
    assert product.delist_reason == "OTHER_CLOUD_DEPLOYMENT penalty"
    assert product.delisted_at is not None


def test_delist_by_the_system_needs_no_role(rev):
    product = listed_product(rev)
    product_delist(product=product, actor=None, reason="MS-4.2 SaaS failure unrepaired 30 days")
    product.refresh_from_db()
    assert product.status == Product.Status.DELISTED


def test_delist_needs_permission_and_reason(rev):
    product = listed_product(rev)
    with pytest.raises(PermissionDenied) as exc:
        product_delist(product=product, actor=UserFactory(is_staff=True), reason="x")
    assert exc.value.code == "permission_denied"
    with pytest.raises(ReasonRequired):
        product_delist(product=product, actor=rev, reason="")
    product.refresh_from_db()
    assert product.status == Product.Status.LISTED


@pytest.mark.parametrize("status", ["draft", "submitted", "in_review", "rejected", "delisted"])
def test_delist_refused_unless_listed(status, rev):
    product = draft_product()
    Product.objects.filter(pk=product.pk).update(status=status)
    product.refresh_from_db()
    with pytest.raises(TransitionRefused) as exc:
        product_delist(product=product, actor=rev, reason="x")
    assert exc.value.code == "transition_not_allowed"


def test_ms_4_1_1_delisted_product_relists_only_through_security_review(rev):
    product = listed_product(rev)
    product_delist(product=product, actor=rev, reason="measure")
    product_relist_submit(product=product, actor=None)
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED  # not listed yet
    review = security_review_start(product=product, actor=rev)
    security_review_record(review=review, actor=rev, results=all_pass())
    security_review_approve(review=review, actor=rev)
    product.refresh_from_db()
    assert product.status == Product.Status.LISTED
    assert product.delist_reason == ""
    assert SecurityReview.objects.filter(product=product).count() == 2


def test_relist_refused_unless_delisted_and_vendor_may_publish(rev):
    product = listed_product(rev)
    with pytest.raises(TransitionRefused) as exc:
        product_relist_submit(product=product, actor=None)
    assert exc.value.code == "transition_not_allowed"
    product_delist(product=product, actor=rev, reason="measure")
    Vendor.objects.filter(pk=product.vendor_id).update(can_publish=False)
    with pytest.raises(VendorMayNotPublish) as exc:
        product_relist_submit(product=product, actor=None)
    assert exc.value.code == "publishing_restricted"


# --- revisions (MS-6.1.2) ------------------------------------------------------------------


def _revise(product, **kwargs):
    return revision_create(
        product=product,
        actor=None,
        title=kwargs.pop("title", "Backup suite 2"),
        description="new",
        specifications=kwargs.pop(
            "specifications",
            [SpecInput(name="Standard", price="100.00"), SpecInput(name="Pro", price="300.00")],
        ),
    )


def test_ms_6_1_2_listed_content_stays_on_sale_while_revision_is_reviewed(rev):
    product = listed_product(rev, title="Backup suite")
    revision = _revise(product)
    revision_submit(revision=revision, actor=None)
    assert product in products_awaiting_review()
    review = security_review_start(product=product, actor=rev)
    assert review.revision == revision
    product.refresh_from_db()
    assert product.status == Product.Status.LISTED
    assert product.title == "Backup suite"
    assert [s.name for s in product.specifications.filter(active=True)] == ["Standard"]


def test_ms_6_1_2_approving_the_revision_publishes_it(rev):
    product = listed_product(rev)
    old_spec = product.specifications.get()
    revision = _revise(
        product,
        specifications=[SpecInput(name="Pro", price="300.00"), SpecInput(name="Basic", price="50")],
    )
    revision_submit(revision=revision, actor=None)
    review = security_review_start(product=product, actor=rev)
    security_review_record(review=review, actor=rev, results=all_pass())
    security_review_approve(review=review, actor=rev)
    product.refresh_from_db()
    revision.refresh_from_db()
    old_spec.refresh_from_db()
    assert revision.status == ProductRevision.Status.PUBLISHED
    assert product.title == "Backup suite 2"
    assert product.status == Product.Status.LISTED
    assert not old_spec.active  # kept for orders that point at it, off sale
    active = {(s.name, s.price) for s in product.specifications.filter(active=True)}
    assert active == {("Pro", Decimal("300.00")), ("Basic", Decimal("50.00"))}


def test_ms_6_1_2_identical_specification_is_kept_not_recreated(rev):
    product = listed_product(rev)
    old_spec = product.specifications.get()
    revision = _revise(product)
    revision_submit(revision=revision, actor=None)
    review = security_review_start(product=product, actor=rev)
    security_review_record(review=review, actor=rev, results=all_pass())
    security_review_approve(review=review, actor=rev)
    old_spec.refresh_from_db()
    assert old_spec.active


def test_ms_6_1_2_rejected_revision_leaves_the_listing_unchanged(rev):
    product = listed_product(rev, title="Backup suite")
    revision = _revise(product)
    revision_submit(revision=revision, actor=None)
    review = security_review_start(product=product, actor=rev)
    security_review_reject(review=review, actor=rev, reason="copied another store")
    product.refresh_from_db()
    revision.refresh_from_db()
    assert revision.status == ProductRevision.Status.REJECTED
    assert revision.rejection_reason == "copied another store"
    assert product.status == Product.Status.LISTED
    assert product.title == "Backup suite"
    # A new update may be started once the old one is decided.
    assert _revise(product).number == 2


def test_ms_6_1_2_only_one_open_revision_and_only_for_listed_products(rev):
    product = listed_product(rev)
    _revise(product)
    with pytest.raises(TransitionRefused) as exc:
        _revise(product)
    assert exc.value.code == "revision_open"
    with pytest.raises(TransitionRefused) as exc:
        _revise(draft_product())
    assert exc.value.code == "transition_not_allowed"


def test_ms_4_1_5_revision_refuses_zero_price_saas_spec(rev):
    product = listed_product(rev, kind=ProductKind.SAAS)
    with pytest.raises(ZeroPriceForbidden):
        _revise(product, specifications=[SpecInput(name="Free", price="0")])
    assert not ProductRevision.objects.exists()


def test_ms_6_1_2_revision_submit_needs_a_vendor_that_may_publish(rev):
    product = listed_product(rev)
    revision = _revise(product)
    Vendor.objects.filter(pk=product.vendor_id).update(can_publish=False)
    with pytest.raises(VendorMayNotPublish) as exc:
        revision_submit(revision=revision, actor=None)
    assert exc.value.code == "publishing_restricted"
    revision.refresh_from_db()
    assert revision.status == ProductRevision.Status.DRAFT


def test_ms_6_1_2_revision_transitions_refused_from_wrong_states(rev):
    product = listed_product(rev)
    revision = _revise(product)
    revision_submit(revision=revision, actor=None)
    with pytest.raises(TransitionRefused) as exc:
        revision_submit(revision=revision, actor=None)
    assert exc.value.code == "transition_not_allowed"
