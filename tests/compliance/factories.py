"""Compliance test helpers: users with a compliance role, vendors with a paid deposit, cases."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from compliance.models import CaseSource, PenaltyCase, ViolationType
from compliance.services.penalties import case_create, penalty_confirm
from marketplace import roles
from tests.factories import ProductFactory, VendorFactory

# One definition for every app's tests (tests/factories.py), importable from here too.
from tests.factories import role_user as role_user
from tests.factories import vendor_user as vendor_user
from vendors.models import Category
from vendors.services import deposit_pay

_refs = itertools.count(1)


def reviewer(username: str | None = None):
    return role_user(roles.COMPLIANCE_REVIEWER, username)


def lead(username: str | None = None):
    return role_user(roles.COMPLIANCE_LEAD, username)


def paid_vendor(amount: str = "5000.00", **kwargs):
    """An active vendor whose deposit is paid (so deductions come out of a real balance)."""
    vendor = VendorFactory(**kwargs)
    # The ops category's tier is 5,000 (vendors' data): the deposit is whole when paid.
    vendor.categories.add(Category.objects.get(code="ops"))
    deposit_pay(vendor=vendor, amount=Decimal(amount), actor=None, reason="test deposit")
    vendor.refresh_from_db()
    return vendor


def violation(code: str) -> ViolationType:
    return ViolationType.objects.get(code=code)


def reported_case(
    *,
    code: str = "SPAM_AD",
    vendor=None,
    product=None,
    with_product: bool = True,
    occurred_at: dt.datetime | None = None,
    actor=None,
    reference: str | None = None,
) -> PenaltyCase:
    vendor = vendor or paid_vendor()
    if product is None and with_product:
        product = ProductFactory(vendor=vendor)
    return case_create(
        reference=reference or f"CASE-{next(_refs):06d}",
        vendor=vendor,
        violation=violation(code),
        occurred_at=occurred_at or timezone.now() - dt.timedelta(days=1),
        description="test case",
        reporter="tester",
        product=product,
        source=CaseSource.ADMIN,
        actor=actor,
    )


def confirmed_case(*, actor=None, **kwargs) -> PenaltyCase:
    case = reported_case(actor=actor, **kwargs)
    return penalty_confirm(case=case, actor=actor, reason="checked, true")
