"""Factories for the core models every app's tests need. Apps add their own in tests/<app>/."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from catalog.models import Product, ProductKind, SalesMode, Specification
from vendors.models import Category, Store, Vendor, VendorStaff

# Valid unified social credit codes (GB 32100-2015 check character included).
VALID_CREDIT_CODES = [
    "91110000802100433B",
    "91310000MA1FL4J046",
    "91440300MA5FXT4K8N",
    "914403001922038216",
    "91110108551385082Q",
]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


def _credit_code(n: int) -> str:
    """A syntactically valid credit code, unique per n (check character computed)."""
    from vendors.validators import credit_code_check_char  # provided by the vendors app

    body = f"91110000{n:09d}"[:17]
    return body + credit_code_check_char(body)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Vendor {n} Co., Ltd.")
    credit_code = factory.Sequence(_credit_code)
    cloud_account_id = factory.Sequence(lambda n: f"10000{n:07d}")
    status = Vendor.Status.ACTIVE
    store = factory.RelatedFactory("tests.factories.StoreFactory", factory_related_name="vendor")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    vendor = factory.SubFactory(VendorFactory, store=None)
    name = factory.LazyAttribute(lambda s: f"{s.vendor.name} store")


class VendorStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorStaff

    user = factory.SubFactory(UserFactory)
    vendor = factory.SubFactory(VendorFactory)
    is_owner = False


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    vendor = factory.SubFactory(VendorFactory)
    kind = ProductKind.SOFTWARE
    sales_mode = SalesMode.PLATFORM
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    deployment = "this cloud, region ap-guangzhou"
    status = Product.Status.LISTED


class SpecificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specification

    product = factory.SubFactory(ProductFactory)
    name = "Standard"
    price = Decimal("100.00")
