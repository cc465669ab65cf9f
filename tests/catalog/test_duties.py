"""Issue 13 duties in the catalogue: drafts edited before submission, qualifications per
product (MS-4.1.2) and marketing grants refused to ineligible vendors (MS-4.1.3, MS-5.8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.exceptions import MarketingIneligible, QualificationsMissing
from catalog.models import MarketingGrant, Product, ProductQualification, QualificationRequirement
from catalog.services import marketing_grant_create, product_submit, qualification_upload
from marketplace import roles
from marketplace.timeutils import china_date
from tests.factories import ProductFactory, SpecificationFactory
from tests.vendors.factories import active_vendor, category, pdf_upload, role_user, vendor_user

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return china_date(timezone.now())


@pytest.fixture
def draft():
    vendor = active_vendor(categories=("saas",))
    product = ProductFactory(
        vendor=vendor, category=category("saas"), kind="saas", status=Product.Status.DRAFT
    )
    SpecificationFactory(product=product)
    requirement = QualificationRequirement.objects.create(
        category=category("saas"), name="ICP 经营许可证", description="增值电信业务经营许可证"
    )
    return {"vendor": vendor, "product": product, "requirement": requirement}


def test_ms_4_1_2_submission_is_refused_while_a_required_qualification_is_missing(client, draft):
    product, requirement = draft["product"], draft["requirement"]
    client.force_login(vendor_user(draft["vendor"]))
    page = client.get(reverse("vendor:product_detail", args=[product.pk])).content.decode()
    assert "ICP 经营许可证" in page and "state-expired" in page
    response = client.post(reverse("vendor:product_submit", args=[product.pk]), follow=True)
    html = response.content.decode()
    assert "MS-4.1.2" in html and "ICP 经营许可证" in html
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    # The vendor uploads it on the product page; submission then goes through.
    response = client.post(
        reverse("vendor:product_qualification_upload", args=[product.pk]),
        {
            "requirement": requirement.pk,
            "file": pdf_upload("icp.pdf"),
            "number": "B2-20260001",
            "expires_on": str(_today() + dt.timedelta(days=365)),
        },
    )
    assert response.status_code == 302
    client.post(reverse("vendor:product_submit", args=[product.pk]))
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED


def test_ms_4_1_2_an_expired_qualification_blocks_submission(draft):
    product, requirement = draft["product"], draft["requirement"]
    ProductQualification.objects.create(
        product=product,
        requirement=requirement,
        name=requirement.name,
        document=pdf_upload(),
        expires_on=_today() - dt.timedelta(days=1),
    )
    with pytest.raises(QualificationsMissing) as info:
        product_submit(product=product, actor=None)
    assert "expired" in info.value.items[0]
    # A bad file or an expired date is refused at upload, nothing written.
    before = ProductQualification.objects.count()
    for kwargs in (
        {"file": pdf_upload("x.pdf", b"not a pdf")},
        {"file": pdf_upload(), "expires_on": _today() - dt.timedelta(days=3)},
    ):
        with pytest.raises(Exception):  # noqa: B017 - ValidationFailed with items
            qualification_upload(product=product, requirement=requirement, actor=None, **kwargs)
    assert ProductQualification.objects.count() == before


def test_ms_4_1_2_a_new_upload_keeps_the_old_one_in_history(draft):
    product, requirement = draft["product"], draft["requirement"]
    first = qualification_upload(
        product=product, requirement=requirement, file=pdf_upload(), actor=None
    )
    qualification_upload(product=product, requirement=requirement, file=pdf_upload(), actor=None)
    first.refresh_from_db()
    assert first.replaced_at is not None
    assert ProductQualification.objects.filter(product=product).count() == 2


def test_drafts_can_be_edited_and_get_more_specifications_before_submission(client, draft):
    product = draft["product"]
    client.force_login(vendor_user(draft["vendor"]))
    response = client.post(
        reverse("vendor:product_edit", args=[product.pk]),
        {"title": "新标题", "description": "更详细的说明", "tags": "", "deployment": "本云"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("vendor:product_spec_add", args=[product.pk]),
        {"spec-name": "专业版", "spec-price": "200.00", "spec-billing_period": "month"},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.title == "新标题"
    assert product.specifications.filter(name="专业版").exists()
    assert product.history.first().history_change_reason == "draft edited by the vendor"
    # MS-4.1.5 on the added specification too: a 0-price SaaS spec is refused, nothing written.
    response = client.post(
        reverse("vendor:product_spec_add", args=[product.pk]),
        {"spec-name": "免费", "spec-price": "0.00", "spec-billing_period": "month"},
    )
    assert response.status_code == 400
    assert not product.specifications.filter(name="免费").exists()


def test_a_listed_product_is_not_edited_as_a_draft(client):
    vendor = active_vendor()
    product = ProductFactory(vendor=vendor, status=Product.Status.LISTED, title="在售")
    client.force_login(vendor_user(vendor))
    client.post(
        reverse("vendor:product_edit", args=[product.pk]),
        {"title": "偷改", "deployment": "x"},
    )
    product.refresh_from_db()
    assert product.title == "在售"


def test_ms_4_1_3_no_marketing_grant_for_a_vendor_ineligible_under_ms_5_8(client):
    vendor = active_vendor()
    product = ProductFactory(vendor=vendor)
    vendor.marketing_eligible = False  # as compliance's recompute writes it (MS-5.8)
    vendor.save(update_fields=["marketing_eligible"])
    with pytest.raises(MarketingIneligible):
        marketing_grant_create(
            product=product, resource="首页推荐位", starts_on=_today(), actor=None
        )
    body = {"product": product.pk, "resource": "首页推荐位", "starts_on": str(_today())}
    url = reverse("admin:catalog_marketinggrant_add")
    # The wrong role cannot grant at all.
    client.force_login(role_user(roles.SECURITY_REVIEWER))
    assert client.post(url, body).status_code == 403
    client.force_login(role_user(roles.COMPLIANCE_REVIEWER))
    response = client.post(url, body)
    assert response.status_code == 200
    assert "MS-5.8" in response.content.decode()
    assert not MarketingGrant.objects.exists()
    vendor.marketing_eligible = True
    vendor.save(update_fields=["marketing_eligible"])
    assert client.post(url, body).status_code == 302
    grant = MarketingGrant.objects.get()
    assert grant.granted_by.username == "compliance-reviewer"


def test_ms_4_1_2_required_qualifications_are_kept_by_security_reviewers_only(client):
    url = reverse("admin:catalog_qualificationrequirement_add")
    body = {"category": category("saas").pk, "name": "ICP", "active": "on"}
    for role in (roles.FINANCE, roles.ONBOARDING_REVIEWER):
        client.force_login(role_user(role))
        assert client.post(url, body).status_code == 403, role
    client.force_login(role_user(roles.SECURITY_REVIEWER))
    assert client.post(url, body).status_code == 302
    assert QualificationRequirement.objects.filter(name="ICP").exists()
