"""MS-7 annex: every row of the violation table is in the data with its measures, and applying
it has every effect the table prescribes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from compliance.models import CaseStatus, MeasureKind, ViolationType
from compliance.services.measures import vendor_state_recompute
from compliance.services.penalties import penalty_apply, penalty_approve
from tests.compliance.factories import confirmed_case, lead, paid_vendor, reviewer
from tests.factories import ProductFactory
from vendors.models import BannedIdentity, Vendor
from vendors.selectors import deposit_balance, open_obligations

pytestmark = pytest.mark.django_db
K = MeasureKind

CONTENT = {
    "SPAM_AD",
    "SENSITIVE_INFO",
    "OBSCENE_INFO",
    "MISAPPROPRIATION",
    "OTHER_CLOUD_DEPLOYMENT",
}
SHIELD = {
    "FAKE_TRANSACTION": 15,
    "MALICIOUS_REPORT": 15,
    "ABUSE_THREAT": 15,
    "DISHONESTY": 30,
    "UNREACHABLE": 15,
    "INSECURE_PRODUCT": 15,
}
EVICT = {"OFFLINE_TRADE", "TRAFFIC_DIVERSION", "IMPERSONATION", "ACCOUNT_THEFT", "FRAUD"}
BAN = {"DATA_MISUSE", "MALICIOUS_PRODUCT", "FALSE_QUALIFICATION"}
ALL_CODES = sorted(CONTENT | set(SHIELD) | EVICT | BAN)


def test_ms_7_annex_has_the_nineteen_rows_with_their_levels():
    assert len(ALL_CODES) == 19
    assert sorted(ViolationType.objects.values_list("code", flat=True)) == ALL_CODES
    for vtype in ViolationType.objects.all():
        version = vtype.versions.get()
        expected = "general" if vtype.code in CONTENT - {"OTHER_CLOUD_DEPLOYMENT"} else "serious"
        assert version.level == expected, vtype.code
        assert version.name_zh and version.name_en and version.detail


@pytest.mark.parametrize("code", sorted(CONTENT))
def test_ms_7_annex_content_rows_shield_content_and_delist_product(code):
    vendor = paid_vendor()
    product = ProductFactory(vendor=vendor)
    bystander = ProductFactory(vendor=vendor)
    case = confirmed_case(code=code, vendor=vendor, product=product)
    case = penalty_apply(case=case, actor=reviewer(), reason="true, per table")
    assert case.status == CaseStatus.APPLIED
    product.refresh_from_db()
    bystander.refresh_from_db()
    assert product.content_shielded is True
    assert product.status == Product.Status.DELISTED
    assert bystander.status == Product.Status.LISTED and not bystander.content_shielded
    assert sorted(case.measures.values_list("kind", flat=True)) == [
        "delist_product",
        "shield_content",
    ]
    assert deposit_balance(vendor) == Decimal("5000.00")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.ACTIVE and vendor.can_publish


@pytest.mark.parametrize("code", sorted(SHIELD))
def test_ms_7_annex_shield_rows_hide_store_and_restrict_publishing_for_n_days(code):
    days = SHIELD[code]
    vendor = paid_vendor()
    products = ProductFactory.create_batch(2, vendor=vendor)
    start = timezone.now()
    case = confirmed_case(code=code, vendor=vendor, product=products[0])
    case = penalty_apply(case=case, actor=reviewer(), reason="true", at=start)
    assert case.status == CaseStatus.APPLIED
    vendor.refresh_from_db()
    vendor.store.refresh_from_db()
    assert vendor.store.displayed is False
    assert vendor.can_publish is False
    for product in products:
        product.refresh_from_db()
        assert product.searchable is False and "shield_store" in product.hidden_reason
    for measure in case.measures.all():
        assert measure.ends_at == start + dt.timedelta(days=days)
    assert deposit_balance(vendor) == Decimal("5000.00")

    # One second before the end still in force; at the end everything is back.
    vendor_state_recompute(
        vendor_ids=[vendor.pk], at=start + dt.timedelta(days=days, seconds=-1), reason="sweep"
    )
    vendor.refresh_from_db()
    assert vendor.can_publish is False
    vendor_state_recompute(
        vendor_ids=[vendor.pk], at=start + dt.timedelta(days=days), reason="sweep"
    )
    vendor.refresh_from_db()
    vendor.store.refresh_from_db()
    assert vendor.can_publish is True and vendor.store.displayed is True
    assert all(p.searchable for p in Product.objects.filter(vendor=vendor))


@pytest.mark.parametrize("code", sorted(EVICT | BAN))
def test_ms_7_annex_evict_and_ban_rows_deduct_5000_and_ban_for_ever(code):
    """MS-8.3: the vendor leaves and its identity is banned; MS-3.1.5 ②: 5000 deducted.
    Nothing happens before a second compliance lead approves."""
    vendor = paid_vendor()
    product = ProductFactory(vendor=vendor)
    proposer, approver = lead(), lead()
    case = confirmed_case(code=code, vendor=vendor, product=product)
    case = penalty_apply(case=case, actor=proposer, reason="serious")
    assert case.status == CaseStatus.PENDING_APPROVAL
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.ACTIVE
    assert deposit_balance(vendor) == Decimal("5000.00")

    case = penalty_approve(case=case, actor=approver, reason="agreed")
    assert case.status == CaseStatus.APPLIED
    vendor.refresh_from_db()
    vendor.store.refresh_from_db()
    product.refresh_from_db()
    assert vendor.status == Vendor.Status.EVICTED
    assert BannedIdentity.objects.filter(value=vendor.credit_code).exists()
    assert BannedIdentity.objects.filter(value=vendor.cloud_account_id).exists()
    assert deposit_balance(vendor) == Decimal("0.00")
    assert vendor.store.closed and not vendor.store.displayed and not vendor.store.trading
    assert not vendor.can_publish and not product.searchable
    kinds = set(case.measures.values_list("kind", flat=True))
    assert kinds == (
        {"evict", "ban", "deduct_deposit"} if code in EVICT else {"ban", "deduct_deposit"}
    )
    deduction = case.measures.get(kind=K.DEDUCT_DEPOSIT)
    assert deduction.amount == Decimal("5000.00") and deduction.execution_ref.startswith("ledger:")
    # An evicted vendor has left: no top-up obligation is opened.
    assert not open_obligations(vendor).exists()
