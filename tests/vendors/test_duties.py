"""Issue 13 duties in the vendors app: the access agreement (MS-3.1.4), document replacements
(MS-6.1.1) and service commitments (MS-4.3, MS-4.4), over HTTP as the people who use them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace import roles
from marketplace.exceptions import ValidationFailed
from marketplace.timeutils import china_date
from tests.vendors.factories import (
    active_vendor,
    complete_application,
    pdf_upload,
    role_user,
    vendor_user,
)
from vendors.models import (
    AgreementSignature,
    AgreementVersion,
    CheckResult,
    DocumentKind,
    ServiceCommitment,
    VendorDocument,
)
from vendors.services import (
    application_approve,
    document_replace,
    service_commitment_save,
)

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return china_date(timezone.now())


def _new_version(version: str = "2026-12-01", days_ago: int = 0) -> AgreementVersion:
    return AgreementVersion.objects.create(
        version=version,
        title="服务商接入协议",
        summary="第 5 条更新",
        text="新版协议全文",
        effective_from=_today() - dt.timedelta(days=days_ago),
    )


def _document(vendor, kind=DocumentKind.BUSINESS_LICENCE, until_days=10) -> VendorDocument:
    return VendorDocument.objects.create(
        vendor=vendor,
        kind=kind,
        file=pdf_upload(),
        valid_from=_today() - dt.timedelta(days=300),
        valid_until=_today() + dt.timedelta(days=until_days),
        review_result=CheckResult.PASSED,
    )


# --- MS-3.1.4 the vendor access agreement -----------------------------------------------------


def test_ms_3_1_4_the_version_in_force_is_data_and_the_latest_effective():
    from vendors.selectors import agreement_in_force

    assert agreement_in_force().version == "2023-03-17"  # the data migration's first version
    _new_version("2027-01-01", days_ago=-30)  # not yet in force
    assert agreement_in_force().version == "2023-03-17"
    _new_version("2026-12-01", days_ago=0)
    assert agreement_in_force().version == "2026-12-01"


def test_ms_3_1_4_signing_on_the_vendor_page_records_who_and_when(client):
    vendor = active_vendor()
    user = vendor_user(vendor)
    client.force_login(user)
    version = _new_version()
    page = client.get(reverse("vendor:agreement"))
    assert "新版协议全文" in page.content.decode()
    response = client.post(reverse("vendor:agreement_sign"), {"confirm": "yes"})
    assert response.status_code == 302
    signature = AgreementSignature.objects.get(vendor=vendor, version=version)
    assert signature.signed_by == user
    assert abs((timezone.now() - signature.signed_at).total_seconds()) < 60
    assert signature.history.first().history_change_reason.startswith("signed")
    # A second click signs nothing more.
    client.post(reverse("vendor:agreement_sign"), {"confirm": "yes"})
    assert AgreementSignature.objects.filter(vendor=vendor).count() == 1


def test_ms_3_1_4_signing_without_confirming_writes_nothing(client):
    vendor = active_vendor()
    client.force_login(vendor_user(vendor))
    _new_version()
    response = client.post(reverse("vendor:agreement_sign"), {}, follow=True)
    assert not AgreementSignature.objects.filter(vendor=vendor).exists()
    assert "Tick the box" in response.content.decode() or "勾选" in response.content.decode()


def test_ms_3_1_4_a_new_version_shows_a_banner_on_every_vendor_page_until_signed(client):
    vendor = active_vendor()
    client.force_login(vendor_user(vendor))
    AgreementSignature.objects.create(
        vendor=vendor,
        version=AgreementVersion.objects.get(version="2023-03-17"),
        signed_at=timezone.now(),
    )
    page = client.get(reverse("vendor:deposit"))
    assert page.status_code == 200 and "duty-banner" not in page.content.decode()
    _new_version()
    for name in ("vendor:home", "vendor:deposit", "vendor:documents"):
        html = client.get(reverse(name)).content.decode()
        assert "duty-banner" in html and "2026-12-01" in html, name
    client.post(reverse("vendor:agreement_sign"), {"confirm": "yes"})
    page = client.get(reverse("vendor:deposit"))
    assert page.status_code == 200 and "duty-banner" not in page.content.decode()


def test_ms_3_1_4_approval_is_refused_without_a_signature_of_the_version_in_force():
    application = complete_application()
    _new_version()  # published after the applicant signed 2023-03-17
    with pytest.raises(ValidationFailed) as info:
        application_approve(application=application, actor=None)
    assert info.value.code == "application_incomplete"
    assert any("2026-12-01" in item and "MS-3.1.4" in item for item in info.value.items)
    application.refresh_from_db()
    assert application.status == "under_review"


def test_ms_3_1_4_agreement_admin_is_for_onboarding_reviewers_only(client):
    client.force_login(role_user(roles.SECURITY_REVIEWER))
    url = reverse("admin:vendors_agreementversion_add")
    assert client.get(url).status_code == 403
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    response = client.post(
        url,
        {
            "version": "2026-12-01",
            "title": "协议",
            "effective_from": str(_today()),
            "summary": "",
            "text": "全文",
        },
    )
    assert response.status_code == 302
    version = AgreementVersion.objects.get(version="2026-12-01")
    assert version.history.first().history_user.username == "onboarding-reviewer"


# --- MS-6.1.1 document replacements ---------------------------------------------------------


def test_ms_6_1_1_vendor_replaces_an_expiring_document_and_the_old_stays_in_history(client):
    vendor = active_vendor()
    old = _document(vendor)
    client.force_login(vendor_user(vendor))
    page = client.get(reverse("vendor:documents")).content.decode()
    assert "state-expiring" in page
    response = client.post(
        reverse("vendor:document_replace"),
        {
            "kind": DocumentKind.BUSINESS_LICENCE,
            "file": pdf_upload("new.pdf"),
            "valid_from": str(_today()),
            "valid_until": str(_today() + dt.timedelta(days=3650)),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    old.refresh_from_db()
    assert old.replaced_at is not None
    new = VendorDocument.objects.get(vendor=vendor, replaced_at__isnull=True)
    assert new.is_replacement and new.review_result == CheckResult.PENDING
    page = client.get(reverse("vendor:documents")).content.decode()
    assert reverse("vendor:document", args=[old.pk]) in page  # history
    # The onboarding reviewer's work board counts it.
    from marketplace.workboard import board

    rows = {
        row.queue.key: row for row in board(role_user(roles.ONBOARDING_REVIEWER), timezone.now())
    }
    assert rows["document_replacements"].count == 1


def test_ms_6_1_1_a_bad_or_expired_replacement_is_refused_and_nothing_written(client):
    vendor = active_vendor()
    _document(vendor)
    client.force_login(vendor_user(vendor))
    before = VendorDocument.objects.count()
    for body in (
        {
            "kind": "business_licence",
            "file": pdf_upload("x.pdf", b"not a pdf"),
            "valid_from": "2026-01-01",
        },
        {
            "kind": "business_licence",
            "file": pdf_upload(),
            "valid_from": "2020-01-01",
            "valid_until": "2021-01-01",
        },
    ):
        response = client.post(reverse("vendor:document_replace"), body)
        assert response.status_code == 400
        assert (
            'class="errors"' in response.content.decode()
            or "errorlist" in response.content.decode()
        )
    assert VendorDocument.objects.count() == before


def test_ms_6_1_1_reviewer_accepts_or_rejects_with_a_reason_and_the_wrong_role_cannot(client):
    vendor = active_vendor()
    _document(vendor)
    first = document_replace(
        vendor=vendor,
        kind=DocumentKind.BUSINESS_LICENCE,
        file=pdf_upload(),
        valid_from=_today(),
        valid_until=None,
        actor=None,
    )
    accept = reverse("admin:vendors_vendordocument_transition", args=[first.pk, "accept"])
    reject = reverse("admin:vendors_vendordocument_transition", args=[first.pk, "reject"])
    for role in (roles.SECURITY_REVIEWER, roles.FINANCE, roles.COMPLIANCE_LEAD):
        client.force_login(role_user(role, username=f"wrong-{role}"))
        assert client.post(accept, {"reason": "x"}).status_code == 403, role
        assert client.post(reject, {"reason": "x"}).status_code == 403, role
    first.refresh_from_db()
    assert first.review_result == CheckResult.PENDING
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    client.force_login(reviewer)
    response = client.post(reject, {"reason": ""})
    assert response.status_code == 200  # the reason page again: a rejection needs a reason
    first.refresh_from_db()
    assert first.review_result == CheckResult.PENDING
    assert client.post(reject, {"reason": "盖章不清晰"}).status_code == 302
    first.refresh_from_db()
    assert first.review_result == CheckResult.FAILED
    assert first.review_note == "盖章不清晰" and first.reviewed_by == reviewer
    # The vendor reads the reason on its documents page.
    client.force_login(vendor_user(vendor))
    assert "盖章不清晰" in client.get(reverse("vendor:documents")).content.decode()
    second = document_replace(
        vendor=vendor,
        kind=DocumentKind.BUSINESS_LICENCE,
        file=pdf_upload(),
        valid_from=_today(),
        valid_until=None,
        actor=None,
    )
    client.force_login(reviewer)
    url = reverse("admin:vendors_vendordocument_transition", args=[second.pk, "accept"])
    assert client.post(url, {"reason": ""}).status_code == 302
    second.refresh_from_db()
    assert second.review_result == CheckResult.PASSED


def test_ms_6_1_1_documents_page_costs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    vendor = active_vendor()
    client.force_login(vendor_user(vendor))
    _document(vendor)
    client.get(reverse("vendor:documents"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("vendor:documents"))
    for kind in DocumentKind.values:
        for _ in range(3):
            document_replace(
                vendor=vendor,
                kind=kind,
                file=pdf_upload(),
                valid_from=_today(),
                valid_until=None,
                actor=None,
            )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("vendor:documents"))
    assert len(many) == len(few)


# --- MS-4.3 / MS-4.4 service commitments ------------------------------------------------------


def test_ms_4_4_after_sales_hours_must_cover_9_to_18_every_day(client):
    vendor = active_vendor()
    client.force_login(vendor_user(vendor))
    body = {
        "online_channel": "https://im.example.com/shop/1",
        "phone": "13800138000",
        "qq": "123456",
        "hours_start": "10:00",
        "hours_end": "18:00",
    }
    response = client.post(reverse("vendor:service_commitments"), body)
    assert response.status_code == 400
    assert "09:00" in response.content.decode()
    assert not ServiceCommitment.objects.filter(vendor=vendor).exists()
    response = client.post(reverse("vendor:service_commitments"), {**body, "hours_start": "08:30"})
    assert response.status_code == 302
    commitment = ServiceCommitment.objects.get(vendor=vendor)
    assert commitment.hours_start == dt.time(8, 30) and commitment.qq == "123456"


def test_ms_4_3_phone_and_qq_are_validated_by_the_service():
    vendor = active_vendor()
    with pytest.raises(ValidationFailed) as info:
        service_commitment_save(
            vendor=vendor,
            online_channel="https://im.example.com/1",
            phone="12345",
            qq="0123",
            hours_start=dt.time(9),
            hours_end=dt.time(18),
            actor=None,
        )
    assert info.value.code == "invalid"
    assert not ServiceCommitment.objects.exists()
