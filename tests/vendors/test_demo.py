"""The vendors demo data: several vendors in different states, idempotent."""

from decimal import Decimal

import pytest

from marketplace import roles
from tests.vendors.factories import role_user
from vendors import demo
from vendors.models import BannedIdentity, OnboardingApplication, Vendor
from vendors.selectors import deposit_position, documents_expiring, open_obligations

pytestmark = pytest.mark.django_db


def _ctx():
    ctx = {"logins": [], "password": "demo-pass-for-tests"}
    for role in roles.ROLE_NAMES:
        ctx[role] = role_user(role)
    return ctx


def test_demo_seeds_vendors_in_every_state_and_is_idempotent():
    ctx = _ctx()
    demo.seed(ctx)
    statuses = dict(Vendor.objects.values_list("name", "status"))
    # MS-8.3 / MS-7: the eviction and the violation deductions are compliance's demo cases,
    # approved by a second lead (tests/compliance/test_severe_paths.py checks the full demo).
    assert sorted(statuses.values()) == ["active", "active", "active", "active", "applying"]
    assert {login for login, _p, _d in ctx["logins"]} >= {"vendor-tools", "vendor-applicant"}
    images = ctx["vendors"]["images"]
    assert not open_obligations(images).exists()
    assert deposit_position(images).balance == Decimal("2000.00")
    # Three documents were expiring; the vendor has already uploaded a replacement business
    # licence (MS-6.1.1, awaiting review), which leaves the other two expiring.
    expiring = documents_expiring().filter(vendor=ctx["vendors"]["ops"])
    assert sorted(expiring.values_list("kind", flat=True)) == ["bank_account_proof", "legal_rep_id"]
    assert not BannedIdentity.objects.exists()
    applicant = ctx["vendors"]["applicant"].applications.get()
    assert applicant.status == OnboardingApplication.Status.SUBMITTED
    counts = (Vendor.objects.count(), OnboardingApplication.objects.count())
    demo.seed(_ctx_again(ctx))
    assert (Vendor.objects.count(), OnboardingApplication.objects.count()) == counts


def _ctx_again(ctx):
    return {**ctx, "logins": [], "vendors": {}}
