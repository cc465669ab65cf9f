"""Private files (issue 8 §4): every upload is served by one authenticated view, never /media/.

For each file kind: the owner vendor's staff may fetch it, another vendor's staff gets 404, an
anonymous visitor is sent to the login page, staff without the view permission get 404, and a
reviewer with it gets the bytes with safe headers. Appeal evidence accepts only the MS-3.1.3
document types, checked by content, and a refused or failed upload leaves no file behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog.models import ProductQualification
from compliance.models import CaseEvidence, CaseStatus, ImportJob
from compliance.services import penalties
from compliance.services.penalties import penalty_appeal, penalty_apply
from marketplace import roles
from marketplace.exceptions import ValidationFailed
from tests.compliance.factories import confirmed_case
from tests.compliance.factories import reviewer as compliance_reviewer
from tests.factories import ProductFactory, UserFactory, VendorFactory, VendorStaffFactory
from tests.vendors.factories import PDF, PNG, filled_application, role_user
from vendors.models import VendorDocument

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_FILES_DELIVERY = "django"


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@dataclass
class Kind:
    """One stored file of one kind, and who is who around it."""

    name: str
    record: Any
    field: str
    owner: Any | None  # the vendor whose staff may read it (None: staff only)
    reader_role: str  # a role with the view permission of the owning record
    stranger_role: str  # a staff role without it
    content: bytes
    content_type: str
    inline: bool
    filename: str

    @property
    def url(self) -> str:
        return reverse("private-file", args=[self.name, self.record.pk])


def _vendor_document() -> Kind:
    application = filled_application()
    doc = VendorDocument.objects.filter(vendor=application.vendor).first()
    return Kind(
        "vendor-document", doc, "file", application.vendor, roles.ONBOARDING_REVIEWER,
        roles.FINANCE, PDF, "application/pdf", True, Path(doc.file.name).name,
    )  # fmt: skip


def _appeal_evidence() -> Kind:
    case = penalty_apply(
        case=confirmed_case(code="SPAM_AD"), actor=compliance_reviewer(), reason="per table"
    )
    penalty_appeal(
        case=case,
        statement="Our ad was approved.",
        actor=VendorStaffFactory(vendor=case.vendor).user,
        evidence_files=[SimpleUploadedFile("申诉截图.png", PNG, "image/png")],
    )
    evidence = case.evidence.get(kind=CaseEvidence.Kind.APPEAL)
    return Kind(
        "case-evidence", evidence, "file", case.vendor, roles.COMPLIANCE_REVIEWER,
        roles.ONBOARDING_REVIEWER, PNG, "image/png", True, "申诉截图.png",
    )  # fmt: skip


def _report_evidence() -> Kind:
    case = confirmed_case(code="SPAM_AD")
    evidence = CaseEvidence(case=case, kind=CaseEvidence.Kind.REPORT)
    evidence.file.save("report.pdf", ContentFile(PDF), save=True)
    # Report evidence may name the reporter: the vendor never reads it, even on its own case.
    return Kind(
        "case-evidence", evidence, "file", None, roles.COMPLIANCE_REVIEWER,
        roles.FINANCE, PDF, "application/pdf", True, "report.pdf",
    )  # fmt: skip


def _import_file() -> Kind:
    content = b"case_reference,vendor\nCASE-1,x\n"
    job = ImportJob(original_name="处罚案件导入.csv")
    job.file.save("upload.csv", ContentFile(content), save=True)
    return Kind(
        "penalty-import", job, "file", None, roles.COMPLIANCE_REVIEWER,
        roles.SECURITY_REVIEWER, content, "text/csv", False, "处罚案件导入.csv",
    )  # fmt: skip


def _qualification() -> Kind:
    product = ProductFactory()
    qualification = ProductQualification(product=product, name="ICP licence")
    qualification.document.save("icp.pdf", ContentFile(PDF), save=True)
    return Kind(
        "product-qualification", qualification, "document", product.vendor,
        roles.SECURITY_REVIEWER, roles.FINANCE, PDF, "application/pdf", True, "icp.pdf",
    )  # fmt: skip


def _refund_evidence() -> Kind:
    from orders.models import RefundEvidence
    from orders.services import refund_request, refund_vendor_dispute
    from tests.orders.factories import PAID_AT, make_order

    order = make_order()
    at = PAID_AT + dt.timedelta(days=1)
    refund, _ = refund_request(
        order=order, external_id="R-1", reason_code="not_received", amount_requested="10.00",
        requested_at=at, received_at=at,
    )  # fmt: skip
    refund_vendor_dispute(
        refund=refund,
        note="Delivered.",
        actor=VendorStaffFactory(vendor=order.vendor).user,
        evidence_files=[SimpleUploadedFile("交付记录.pdf", PDF, "application/pdf")],
    )
    evidence = RefundEvidence.objects.get(refund=refund)
    # MS-5.1: the vendor's own answer; arbitrators read it, onboarding reviewers do not.
    return Kind(
        "refund-evidence", evidence, "file", order.vendor, roles.REFUND_ARBITRATOR,
        roles.ONBOARDING_REVIEWER, PDF, "application/pdf", True, "交付记录.pdf",
    )  # fmt: skip


BUILDERS = {
    "vendor-document": _vendor_document,
    "appeal-evidence": _appeal_evidence,
    "report-evidence": _report_evidence,
    "import-file": _import_file,
    "qualification": _qualification,
    "refund-evidence": _refund_evidence,
}
VENDOR_OWNED = ["vendor-document", "appeal-evidence", "qualification", "refund-evidence"]


@pytest.fixture(params=list(BUILDERS))
def kind(request) -> Kind:
    return BUILDERS[request.param]()


def assert_served(response, kind: Kind) -> None:
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == kind.content
    assert response["Content-Type"] == kind.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline" if kind.inline else "attachment")
    if kind.filename.isascii():
        assert f'filename="{kind.filename}"' in disposition
    else:  # RFC 5987: Chinese names survive the download
        assert f"filename*=utf-8''{quote(kind.filename)}" in disposition
    assert "no-store" in response["Cache-Control"]


# --- who may read ---------------------------------------------------------------------------


def test_ms_3_1_3_reviewer_with_view_permission_gets_the_bytes_with_safe_headers(client, kind):
    """MS-3.1.3 / MS-6.1.1: the reviewer opens the document they check."""
    client.force_login(role_user(kind.reader_role, username="reader"))
    assert_served(client.get(kind.url), kind)


@pytest.mark.parametrize("kind", VENDOR_OWNED, indirect=True)
def test_owner_vendor_staff_fetch_their_own_file(client, kind):
    client.force_login(VendorStaffFactory(vendor=kind.owner).user)
    assert_served(client.get(kind.url), kind)


def test_another_vendors_staff_get_404(client, kind):
    """Isolation: the ID of another vendor's file is simply not found."""
    client.force_login(VendorStaffFactory(vendor=VendorFactory()).user)
    assert client.get(kind.url).status_code == 404


def test_vendor_never_reads_report_evidence_or_import_files_even_for_its_own_case(client):
    report = _report_evidence()
    client.force_login(VendorStaffFactory(vendor=report.record.case.vendor).user)
    assert client.get(report.url).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, kind):
    response = client.get(kind.url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_without_the_view_permission_get_404(client, kind):
    client.force_login(role_user(kind.stranger_role, username="stranger"))
    assert client.get(kind.url).status_code == 404


def test_plain_user_without_vendor_or_staff_gets_404(client, kind):
    client.force_login(UserFactory())
    assert client.get(kind.url).status_code == 404


def test_unknown_kind_and_unknown_id_are_404(client):
    kind = _qualification()
    client.force_login(role_user(kind.reader_role, username="reader"))
    assert client.get(f"/files/no-such-kind/{kind.record.pk}/").status_code == 404
    missing = reverse("private-file", args=[kind.name, kind.record.pk + 1000])
    assert client.get(missing).status_code == 404


def test_a_file_missing_from_storage_is_404_not_500(client, settings):
    kind = _qualification()
    Path(settings.MEDIA_ROOT, kind.record.document.name).unlink()
    client.force_login(role_user(kind.reader_role, username="reader"))
    assert client.get(kind.url).status_code == 404


def test_only_get_and_head(client):
    kind = _qualification()
    client.force_login(role_user(kind.reader_role, username="reader"))
    assert client.post(kind.url).status_code == 405


# --- no public URL --------------------------------------------------------------------------


def test_media_is_not_served_publicly(client, kind):
    """The stored name cannot be fetched under /media/, logged in or not."""
    name = getattr(kind.record, kind.field).name
    assert client.get(f"/media/{name}").status_code == 404
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(f"/media/{name}").status_code == 404


def test_no_url_pattern_serves_media_in_any_profile():
    """The URL map has no profile branch: no pattern under /media/, no static-serve view."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.views.static import serve

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    routes = list(walk(get_resolver().url_patterns))
    assert routes
    assert not [r for r, _ in routes if r.lstrip("^/").startswith("media")]
    assert not [r for r, view in routes if view is serve]


def test_the_file_url_is_the_authenticated_view(kind):
    assert getattr(kind.record, kind.field).url == kind.url


# --- production delivery --------------------------------------------------------------------


def test_x_accel_redirect_mode_hands_the_transfer_to_nginx(client, settings):
    settings.PRIVATE_FILES_DELIVERY = "x-accel-redirect"
    settings.PRIVATE_FILES_ACCEL_PREFIX = "/protected-media/"
    kind = _appeal_evidence()
    client.force_login(role_user(kind.reader_role, username="reader"))
    response = client.get(kind.url)
    assert response.status_code == 200
    name = kind.record.file.name
    assert response["X-Accel-Redirect"] == "/protected-media/" + quote(name)
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "filename*=utf-8''" in response["Content-Disposition"]


def test_x_accel_redirect_mode_still_refuses_strangers(client, settings):
    settings.PRIVATE_FILES_DELIVERY = "x-accel-redirect"
    kind = _vendor_document()
    client.force_login(VendorStaffFactory(vendor=VendorFactory()).user)
    response = client.get(kind.url)
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_storage_url_mode_redirects_to_the_storage(client, settings):
    settings.PRIVATE_FILES_DELIVERY = "storage-url"
    settings.MEDIA_URL = "https://bucket.example.com/"
    kind = _qualification()
    client.force_login(role_user(kind.reader_role, username="reader"))
    response = client.get(kind.url)
    assert response.status_code == 302
    assert response["Location"] == "https://bucket.example.com/" + kind.record.document.name


# --- pages link the authenticated URL -------------------------------------------------------


def test_ms_3_1_3_onboarding_admin_links_documents_through_the_view(client):
    kind = _vendor_document()
    client.force_login(role_user(kind.reader_role, username="reader"))
    application = kind.record.application
    for url in (
        reverse("admin:vendors_onboardingapplication_change", args=[application.pk]),
        reverse("admin:vendors_vendordocument_change", args=[kind.record.pk]),
    ):
        page = client.get(url, **EN).content.decode()
        assert f'href="{kind.url}"' in page
        assert "/media/" not in page


def test_ms_6_1_1_vendor_onboarding_page_links_documents_through_the_view(client):
    kind = _vendor_document()
    client.force_login(VendorStaffFactory(vendor=kind.owner).user)
    page = client.get(reverse("vendor:onboarding"), **EN).content.decode()
    assert f'href="{kind.url}"' in page
    assert "/media/" not in page
    # The vendor's own document link answers with the same safe headers.
    response = client.get(reverse("vendor:document", args=[kind.record.pk]))
    assert_served(response, kind)


def test_case_admin_and_vendor_case_page_link_evidence_through_the_view(client):
    kind = _appeal_evidence()
    case = kind.record.case
    client.force_login(role_user(kind.reader_role, username="reader"))
    page = client.get(reverse("admin:compliance_penaltycase_change", args=[case.pk]), **EN)
    assert f'href="{kind.url}"' in page.content.decode()
    assert "/media/" not in page.content.decode()
    client.force_login(VendorStaffFactory(vendor=kind.owner).user)
    page = client.get(reverse("vendor:compliance_case", args=[case.pk]), **EN).content.decode()
    assert f'href="{kind.url}"' in page
    assert "申诉截图.png" in page


def test_qualification_admin_links_the_document_through_the_view(client):
    kind = _qualification()
    client.force_login(role_user(kind.reader_role, username="reader"))
    page = client.get(
        reverse("admin:catalog_productqualification_change", args=[kind.record.pk]), **EN
    ).content.decode()
    assert f'href="{kind.url}"' in page
    assert "/media/" not in page


@pytest.mark.parametrize(
    ("builder", "changelist"),
    [
        (_vendor_document, "admin:vendors_vendordocument_changelist"),
        (_qualification, "admin:catalog_productqualification_changelist"),
        (_import_file, "admin:compliance_importjob_changelist"),
    ],
)
def test_admin_lists_link_files_through_the_view(client, builder, changelist):
    kind = builder()
    client.force_login(role_user(kind.reader_role, username="reader"))
    page = client.get(reverse(changelist), **EN).content.decode()
    assert f'href="{kind.url}"' in page
    assert "/media/" not in page


# --- appeal evidence: document types only, nothing stored when refused ----------------------


def _applied_case():
    return penalty_apply(
        case=confirmed_case(code="SPAM_AD"), actor=compliance_reviewer(), reason="per table"
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("evidence.html", HTML, "text/html"), "Upload a PDF, JPG or PNG file."),
        (
            SimpleUploadedFile("evidence.pdf", HTML, "application/pdf"),
            "The file&#x27;s content is not a real PDF file.",
        ),
        (SimpleUploadedFile("photo.png", PDF, "image/png"), "not a real PNG file"),
    ],
    ids=["html", "html-named-pdf", "pdf-named-png"],
)
def test_ms_3_1_3_appeal_evidence_only_takes_document_types_by_content(
    client, settings, upload, message
):
    """Issue 8 §4 with the MS-3.1.3 document rule: refused with a clear message, nothing
    stored (no appeal, no evidence row, no file in media)."""
    case = _applied_case()
    client.force_login(VendorStaffFactory(vendor=case.vendor).user)
    response = client.post(
        reverse("vendor:compliance_case", args=[case.pk]),
        {"statement": "Our ad was approved.", "evidence_file": upload},
        **EN,
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.APPLIED
    assert not case.evidence.exists()
    assert media_files(settings) == []


def test_appeal_evidence_size_limit_is_the_documents_limit(client, settings):
    settings.VENDOR_DOCUMENT_MAX_BYTES = 1024
    case = _applied_case()
    client.force_login(VendorStaffFactory(vendor=case.vendor).user)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, "application/pdf")
    response = client.post(
        reverse("vendor:compliance_case", args=[case.pk]),
        {"statement": "Our ad was approved.", "evidence_file": big},
        **EN,
    )
    assert "The file is too large" in response.content.decode()
    assert not case.evidence.exists()
    assert media_files(settings) == []


def test_the_appeal_service_refuses_bad_evidence_before_writing(settings):
    """Any caller of the service (not only the form) gets the same check."""
    case = _applied_case()
    with pytest.raises(ValidationFailed) as refused:
        penalty_appeal(
            case=case,
            statement="Our ad was approved.",
            actor=VendorStaffFactory(vendor=case.vendor).user,
            evidence_files=[SimpleUploadedFile("proof.pdf", HTML, "application/pdf")],
        )
    assert refused.value.code == "evidence_file"
    assert "proof.pdf" in str(refused.value)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPLIED
    assert media_files(settings) == []


def test_a_failed_appeal_leaves_no_orphan_file(settings, monkeypatch):
    case = _applied_case()

    def broken_event(*args, **kwargs):
        raise RuntimeError("the event log is down")

    monkeypatch.setattr(penalties, "_event", broken_event)
    with pytest.raises(RuntimeError):
        penalty_appeal(
            case=case,
            statement="Our ad was approved.",
            actor=VendorStaffFactory(vendor=case.vendor).user,
            evidence_files=[SimpleUploadedFile("proof.pdf", PDF, "application/pdf")],
        )
    assert not CaseEvidence.objects.filter(case=case).exists()
    assert media_files(settings) == []


def test_report_evidence_added_in_the_admin_is_checked_by_content_too():
    case = confirmed_case(code="SPAM_AD")
    evidence = CaseEvidence(case=case, file=SimpleUploadedFile("x.pdf", HTML))
    with pytest.raises(ValidationError) as refused:
        evidence.full_clean()
    assert "file" in refused.value.message_dict


def test_a_good_appeal_file_is_stored_and_readable_by_the_reviewer(client):
    case = _applied_case()
    client.force_login(VendorStaffFactory(vendor=case.vendor).user)
    response = client.post(
        reverse("vendor:compliance_case", args=[case.pk]),
        {
            "statement": "Our ad was approved.",
            "evidence_file": SimpleUploadedFile("批准.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    evidence = case.evidence.get()
    client.force_login(compliance_reviewer())
    served = client.get(evidence.file.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == PDF


def test_expired_documents_stay_readable_for_the_ms_6_1_1_review(client):
    """MS-6.1.1: the reviewer of an expiring document can still open the old file."""
    kind = _vendor_document()
    VendorDocument.objects.filter(pk=kind.record.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    client.force_login(role_user(kind.reader_role, username="reader"))
    assert client.get(kind.url).status_code == 200
