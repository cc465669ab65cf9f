"""Factories for the core models every app's tests need. Apps add their own in tests/<app>/."""

from __future__ import annotations

import itertools
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


def role_user(role: str, username: str | None = None):
    """A staff account in a platform role's group (marketplace.roles). Without `username` it
    is named after the role ("onboarding-reviewer"), with a number once that name is taken."""
    from marketplace import roles

    User = get_user_model()
    if username is None:
        base = username = role.replace("_", "-")
        for n in itertools.count(2):
            if not User.objects.filter(username=username).exists():
                break
            username = f"{base}-{n}"
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(roles.group_for(role))
    return user


def vendor_user(vendor: Vendor | None = None, username: str | None = None):
    """A staff account of `vendor` (of a new vendor when None)."""
    user = UserFactory(username=username) if username else UserFactory()
    return VendorStaffFactory(vendor=vendor or VendorFactory(), user=user).user


_CASE_NUMBERS = itertools.count(1)


def violation_deduction(vendor, amount, *, reference: str | None = None, **kwargs):
    """A deposit deduction for a violation as the ledger accepts it (MS-3.1.5 ②, MS-7): it
    carries out an approved deduction measure of a real penalty case of `vendor`.

    Builds the case and the approved measure (as two compliance leads would have), deducts
    through `vendors.services.deposit_deduct`, then marks the measure carried out, as
    compliance does. `kwargs` go to `deposit_deduct` (actor, reason, at).
    """
    import datetime as dt

    from django.utils import timezone

    from compliance.models import (
        AppliedMeasure,
        CaseStatus,
        CauseType,
        MeasureKind,
        PenaltyCase,
        ViolationType,
    )
    from marketplace.money import to_money
    from vendors.services import deposit_deduct

    kwargs.setdefault("actor", None)
    kwargs.setdefault("reason", "penalty")
    reference = reference or f"TEST-CASE-{next(_CASE_NUMBERS):06d}"
    try:
        money = to_money(amount)
    except Exception:  # a bad amount: let the service refuse it
        money = None
    measure = None
    if money is not None and money > 0 and reference.strip():
        violation = ViolationType.objects.order_by("pk").first()
        at = kwargs.get("at") or timezone.now()
        case = PenaltyCase.objects.filter(reference=reference, vendor=vendor).first()
        if case is None:
            case = PenaltyCase.objects.create(
                reference=reference,
                vendor=vendor,
                violation=violation,
                violation_version=violation.versions.order_by("pk").first(),
                occurred_at=at - dt.timedelta(days=1),
                description="test case",
                reporter="tester",
                # Closed: its measures have run, so no exit check waits for it (MS-3.1.5 ④).
                status=CaseStatus.CLOSED,
                closed_at=at,
            )
        approver = UserFactory(is_staff=True)
        measure = AppliedMeasure.objects.create(
            vendor=vendor,
            kind=MeasureKind.DEDUCT_DEPOSIT,
            cause_type=CauseType.PENALTY,
            cause_id=reference,
            penalty_case=case,
            starts_at=at,
            amount=money,
            reason="test deduction",
            approved_by=approver,
            approved_at=at,
        )
    entry = deposit_deduct(
        vendor=vendor, amount=amount, cause="violation", reference=reference, **kwargs
    )
    if measure is not None:
        measure.executed_at = entry.created_at
        measure.execution_ref = f"ledger:{entry.pk}"
        measure.save(update_fields=["executed_at", "execution_ref"])
    return entry
