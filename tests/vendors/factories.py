"""Vendors test helpers: documents, complete applications, users with a role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import VendorFactory

# One definition for every app's tests (tests/factories.py), importable from here too.
from tests.factories import role_user as role_user
from tests.factories import vendor_user as vendor_user
from vendors.models import (
    Category,
    CheckResult,
    DocumentKind,
    OnboardingApplication,
    Vendor,
    VendorDocument,
)
from vendors.services import (
    application_accept_agreement,
    application_document_add,
    application_start,
    application_start_review,
    application_submit,
    application_update,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def pdf_upload(name: str = "licence.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def category(code: str = "software") -> Category:
    """A default category (created with its deposit tier by the data migration)."""
    return Category.objects.get(code=code)


_counter = iter(range(10_000, 99_999))


def started_application(**kwargs) -> OnboardingApplication:
    n = next(_counter)
    vendor = VendorFactory.build()  # only for a valid, unique identity
    defaults = {
        "company_name": f"Applicant {n} Co., Ltd.",
        "credit_code": vendor.credit_code,
        "cloud_account_id": vendor.cloud_account_id,
        "actor": None,
    }
    defaults.update(kwargs)
    return application_start(**defaults)


def filled_application(
    *, categories: list[str] | None = None, valid_until: dt.date | None = None, **kwargs
) -> OnboardingApplication:
    """A draft with every applicant item of MS-3.1.1-3.1.6 provided."""
    application = started_application(**kwargs)
    application_update(
        application=application,
        actor=None,
        contact_name="Li Lei",
        contact_phone="13800138000",
        contact_qq="123456",
        contact_email="lilei@example.com",
        declares_this_cloud_only=True,
        categories=[category(c) for c in (categories or ["software"])],
    )
    application_accept_agreement(application=application, version="2023-03", actor=None)
    today = timezone.localdate()
    for kind in DocumentKind.values:
        application_document_add(
            application=application,
            kind=kind,
            file=pdf_upload(f"{kind}.pdf"),
            valid_from=today - dt.timedelta(days=365),
            valid_until=valid_until,
            actor=None,
        )
    application.refresh_from_db()
    return application


def complete_application(**kwargs) -> OnboardingApplication:
    """Under review, with every applicant item provided and every reviewer check passed."""
    application = filled_application(**kwargs)
    application_submit(application=application, actor=None)
    application_start_review(application=application, actor=None)
    application.refresh_from_db()
    application.cloud_account_result = CheckResult.PASSED
    application.bank_verification_result = CheckResult.PASSED
    application.save(update_fields=["cloud_account_result", "bank_verification_result"])
    for doc in VendorDocument.objects.filter(vendor=application.vendor):
        doc.review_result = CheckResult.PASSED
        doc.save(update_fields=["review_result"])
    for result in application.condition_results.all():
        result.result = CheckResult.PASSED
        result.save(update_fields=["result"])
    return application


def active_vendor(*, categories: tuple[str, ...] = ("software",), **kwargs) -> Vendor:
    vendor = VendorFactory(status=Vendor.Status.ACTIVE, **kwargs)
    vendor.categories.set([category(c) for c in categories])
    return vendor


def money(value: str) -> Decimal:
    return Decimal(value)
