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
    assert sorted(statuses.values()) == ["active", "active", "active", "applying", "evicted"]
    assert {login for login, _p, _d in ctx["logins"]} >= {"vendor-tools", "vendor-applicant"}
    images = ctx["vendors"]["images"]
    assert open_obligations(images).count() == 1
    assert deposit_position(images).balance == Decimal("1200.00")
    assert documents_expiring().filter(vendor=ctx["vendors"]["ops"]).count() == 3
    assert BannedIdentity.objects.filter(vendor=ctx["vendors"]["evicted"]).count() == 2
    applicant = ctx["vendors"]["applicant"].applications.get()
    assert applicant.status == OnboardingApplication.Status.SUBMITTED
    counts = (Vendor.objects.count(), OnboardingApplication.objects.count())
    demo.seed(_ctx_again(ctx))
    assert (Vendor.objects.count(), OnboardingApplication.objects.count()) == counts


def _ctx_again(ctx):
    return {**ctx, "logins": [], "vendors": {}}
