"""The catalogue demo data: every kind listed, every state present, idempotent."""

from __future__ import annotations

import pytest

from catalog import demo
from catalog.models import Product, ProductKind, ProductRevision, SecurityReview
from catalog.selectors import products_awaiting_review
from marketplace import roles
from tests.catalog.factories import vendor_user
from tests.factories import UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _ctx():
    reviewer = UserFactory(username="security-reviewer", is_staff=True)
    reviewer.groups.add(roles.group_for(roles.SECURITY_REVIEWER))
    compliance = UserFactory(username="compliance-reviewer", is_staff=True)
    compliance.groups.add(roles.group_for(roles.COMPLIANCE_REVIEWER))
    vendors = [VendorFactory(), VendorFactory()]
    for vendor in vendors:
        vendor_user(vendor)
    return {
        "vendors": {"a": vendors[0], "b": vendors[1]},
        "security_reviewer": reviewer,
        "compliance_reviewer": compliance,
        "logins": [],
    }


def test_demo_seeds_every_kind_and_state_and_is_idempotent():
    ctx = _ctx()
    demo.seed(ctx)
    assert set(ctx["products"]) == set(ProductKind.values)
    assert all(p.status == Product.Status.LISTED for p in ctx["products"].values())
    statuses = set(Product.objects.values_list("status", flat=True))
    assert statuses == set(Product.Status.values)
    assert ProductRevision.objects.filter(status=ProductRevision.Status.SUBMITTED).exists()
    assert products_awaiting_review().count() >= 3
    counts = (Product.objects.count(), SecurityReview.objects.count())
    demo.seed(ctx)
    assert (Product.objects.count(), SecurityReview.objects.count()) == counts


def test_demo_without_vendors_does_nothing():
    demo.seed({"logins": []})
    assert not Product.objects.exists()
