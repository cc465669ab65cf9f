"""Smoke tests of the skeleton: factories build, roles exist, the app answers."""

import pytest

from marketplace import roles
from tests.factories import VALID_CREDIT_CODES, SpecificationFactory, VendorStaffFactory
from vendors.validators import validate_credit_code


@pytest.mark.django_db
def test_factories_build_a_vendor_with_store_and_product():
    spec = SpecificationFactory()
    vendor = spec.product.vendor
    assert vendor.store.vendor == vendor
    validate_credit_code(vendor.credit_code)
    assert VendorStaffFactory(vendor=vendor).vendor == vendor


def test_sample_credit_codes_are_valid():
    for code in VALID_CREDIT_CODES:
        validate_credit_code(code)


@pytest.mark.django_db
def test_role_groups_are_created_by_migrate():
    for role in roles.ROLE_NAMES:
        assert roles.group_for(role).permissions.exists()


@pytest.mark.django_db
def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
