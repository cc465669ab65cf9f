"""MS-3.1 / MS-3.1.3 onboarding review in the admin (issue 12 §3): every uploaded document
opens inline on the application page through the authenticated file view, its validity beside
it; an incomplete checklist is listed once; nobody else opens the documents over HTTP."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from marketplace import roles
from tests.factories import VendorFactory
from tests.vendors.factories import (
    PNG,
    complete_application,
    filled_application,
    role_user,
    vendor_user,
)
from vendors.checklist import application_missing_items
from vendors.models import CheckResult, DocumentKind, OnboardingApplication, VendorDocument
from vendors.services import application_document_add, application_start_review, application_submit

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _change_url(application: OnboardingApplication) -> str:
    return reverse("admin:vendors_onboardingapplication_change", args=[application.pk])


def _approve_url(application: OnboardingApplication) -> str:
    return reverse(
        "admin:vendors_onboardingapplication_transition", args=[application.pk, "approve"]
    )


def _file_url(doc: VendorDocument) -> str:
    return reverse("private-file", args=["vendor-document", doc.pk])


def _under_review(**kwargs) -> OnboardingApplication:
    application = filled_application(**kwargs)
    application_submit(application=application, actor=None)
    application_start_review(application=application, actor=None)
    application.refresh_from_db()
    return application


def _with_image_id_copy(application: OnboardingApplication) -> VendorDocument:
    """The legal representative's ID copy uploaded again as a PNG scan (the PDF is replaced)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    application_document_add(
        application=application,
        kind=DocumentKind.LEGAL_REP_ID,
        file=SimpleUploadedFile("id-scan.png", PNG, content_type="image/png"),
        valid_from=timezone.localdate() - dt.timedelta(days=10),
        valid_until=None,
        actor=None,
    )
    return VendorDocument.objects.get(
        vendor=application.vendor, kind=DocumentKind.LEGAL_REP_ID, replaced_at__isnull=True
    )


# --- documents inline ---------------------------------------------------------------------------


def test_ms_3_1_3_each_document_opens_inline_through_the_authenticated_file_view(client):
    application = filled_application()
    image = _with_image_id_copy(application)
    application_submit(application=application, actor=None)
    application_start_review(application=application, actor=None)
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    page = client.get(_change_url(application), **EN)

    html = page.content.decode()
    assert page.status_code == 200
    current = VendorDocument.objects.filter(vendor=application.vendor, replaced_at__isnull=True)
    assert current.count() == 3
    for doc in current.exclude(pk=image.pk):  # the PDFs: in the browser's viewer, in a frame
        assert re.search(rf'<iframe class="document-frame" src="{_file_url(doc)}#', html), doc
    assert f'<img class="document-image" src="{_file_url(image)}"' in html
    # Each also opens in a new tab; nothing points at a public /media/ URL, and no
    # <object>/<embed> (the CSP's object-src is 'none').
    for doc in current:
        assert f'href="{_file_url(doc)}" target="_blank"' in html
    assert "/media/" not in html
    assert "<object" not in html and "<embed" not in html


def test_ms_3_1_3_the_page_csp_lets_the_documents_show_and_the_file_view_serves_them(client):
    application = _under_review()
    doc = VendorDocument.objects.filter(vendor=application.vendor).first()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    page = client.get(_change_url(application), **EN)
    csp = page.headers["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip()
    )
    # Frames fall back to default-src ('self'); images are allowed from 'self'.
    assert "frame-src" not in directives and "child-src" not in directives
    assert "'self'" in directives["default-src"] and "'self'" in directives["img-src"]

    served = client.get(_file_url(doc), **EN)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("inline")
    # The file may be framed by our own pages only.
    assert "frame-ancestors 'self'" in served.headers["Content-Security-Policy"]
    assert served["X-Frame-Options"] == "SAMEORIGIN"  # agrees with the CSP, not DENY
    assert b"".join(served.streaming_content).startswith(b"%PDF-")


def test_ms_3_1_3_validity_dates_beside_each_document_with_expired_and_expiring_marked(client):
    today = timezone.localdate()
    application = _under_review(valid_until=today + dt.timedelta(days=12))
    soon, expired, lasting = VendorDocument.objects.filter(vendor=application.vendor).order_by(
        "kind"
    )
    VendorDocument.objects.filter(pk=expired.pk).update(valid_until=today - dt.timedelta(days=3))
    VendorDocument.objects.filter(pk=lasting.pk).update(valid_until=None)
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    html = client.get(_change_url(application), **EN).content.decode()

    cards = re.findall(r'<div class="inline-related[^"]*document-card.*?</iframe>', html, re.S)
    assert len(cards) == 3
    by_kind = {
        kind: next(c for c in cards if escape(label) in c)
        for kind, label in [
            (soon.kind, soon.get_kind_display()),
            (expired.kind, expired.get_kind_display()),
            (lasting.kind, lasting.get_kind_display()),
        ]
    }
    valid_from = soon.valid_from.isoformat()
    assert f"{valid_from} – {(today + dt.timedelta(days=12)).isoformat()}" in by_kind[soon.kind]
    assert "expires in 12 days" in by_kind[soon.kind]
    assert "expiry-soon" in by_kind[soon.kind]
    assert f"{valid_from} – {(today - dt.timedelta(days=3)).isoformat()}" in by_kind[expired.kind]
    assert "expired 3 days ago" in by_kind[expired.kind]
    assert "expiry-expired" in by_kind[expired.kind]
    assert "no end date" in by_kind[lasting.kind] and "valid" in by_kind[lasting.kind]
    assert "expiry-expired" not in by_kind[lasting.kind]


def test_ms_3_1_3_reviewer_records_each_documents_result_beside_it(client):
    application = _under_review()
    docs = list(VendorDocument.objects.filter(vendor=application.vendor).order_by("kind"))
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    client.force_login(reviewer)
    page = client.get(_change_url(application), **EN)
    formset = page.context["inline_admin_formsets"][0].formset
    assert formset.model is VendorDocument
    data = {
        "cloud_account_result": "passed",
        "bank_verification_result": "passed",
        "bank_verification_reference": "BV-1",
    }
    for fs in page.context["inline_admin_formsets"]:
        prefix = fs.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = fs.formset.total_form_count()
        data[f"{prefix}-INITIAL_FORMS"] = fs.formset.initial_form_count()
        for i, form in enumerate(fs.formset.forms):
            data[f"{prefix}-{i}-id"] = form.instance.pk
            data[f"{prefix}-{i}-{fs.formset.fk.name}"] = application.pk
            data[
                f"{prefix}-{i}-"
                + ("review_result" if fs.formset.model is VendorDocument else "result")
            ] = "passed"

    response = client.post(_change_url(application), data, **EN)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert {
        d.review_result for d in VendorDocument.objects.filter(pk__in=[d.pk for d in docs])
    } == {CheckResult.PASSED}
    assert VendorDocument.objects.get(pk=docs[0].pk).history.first().history_user == reviewer


def test_ms_3_1_3_replaced_documents_are_linked_not_embedded(client):
    application = filled_application()
    old_pdf = VendorDocument.objects.get(vendor=application.vendor, kind=DocumentKind.LEGAL_REP_ID)
    _with_image_id_copy(application)
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    html = client.get(_change_url(application), **EN).content.decode()

    assert f'href="{_file_url(old_pdf)}" target="_blank"' in html
    assert f'src="{_file_url(old_pdf)}' not in html
    assert "replaced on" in html


def test_ms_3_1_3_document_page_shows_the_document_too(client):
    application = _under_review()
    doc = VendorDocument.objects.filter(vendor=application.vendor).first()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    html = client.get(
        reverse("admin:vendors_vendordocument_change", args=[doc.pk]), **EN
    ).content.decode()
    listing = client.get(reverse("admin:vendors_vendordocument_changelist"), **EN)

    assert f'<iframe class="document-frame" src="{_file_url(doc)}#' in html
    assert "<iframe" not in listing.content.decode()  # the list links, it does not embed
    assert f'href="{_file_url(doc)}" target="_blank"' in listing.content.decode()


# --- who may open the documents -------------------------------------------------------------------


def test_ms_3_1_3_another_vendors_user_cannot_open_the_documents_over_http(client):
    application = _under_review()
    doc = VendorDocument.objects.filter(vendor=application.vendor).first()
    stranger = vendor_user(VendorFactory())
    client.force_login(stranger)

    assert client.get(_file_url(doc), **EN).status_code == 404
    assert client.get(_change_url(application), **EN).status_code == 302  # to the admin login
    owner = vendor_user(application.vendor)
    client.force_login(owner)
    assert client.get(_file_url(doc), **EN).status_code == 200  # its own documents only


@pytest.mark.parametrize("role", [roles.FINANCE, roles.SECURITY_REVIEWER, roles.REFUND_ARBITRATOR])
def test_ms_3_1_3_wrong_role_staff_cannot_open_the_documents_or_the_application(client, role):
    application = _under_review()
    doc = VendorDocument.objects.filter(vendor=application.vendor).first()
    client.force_login(role_user(role))

    assert client.get(_file_url(doc), **EN).status_code == 404
    assert client.get(_change_url(application), **EN).status_code == 403
    assert (
        client.get(reverse("admin:vendors_vendordocument_change", args=[doc.pk]), **EN).status_code
        == 403
    )


def test_ms_3_1_3_anonymous_visitor_is_sent_to_log_in_for_a_document(client):
    application = _under_review()
    doc = VendorDocument.objects.filter(vendor=application.vendor).first()

    response = client.get(_file_url(doc), **EN)

    assert response.status_code == 302
    assert "login" in response["Location"]


# --- the checklist, listed once ---------------------------------------------------------------


def test_ms_3_1_incomplete_checklist_is_listed_once_where_the_reviewer_decides(client):
    application = _under_review()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    html = client.get(_change_url(application), **EN).content.decode()

    missing = application_missing_items(application)
    assert len(missing) == 5  # two reviewer's checks and three documents not yet checked
    for item in missing:
        assert html.count(escape(item)) == 1, item
    assert "Approval is not possible yet: 5 items are missing or failed." in html
    # The approve button says why it cannot be used instead of leading to a page that repeats
    # the list.
    assert _approve_url(application) not in html
    assert "Approve (5 checklist items open)" in html
    assert (
        reverse("admin:vendors_onboardingapplication_transition", args=[application.pk, "reject"])
        in html
    )


def test_ms_3_1_approve_page_of_an_incomplete_application_lists_the_items_once(client):
    application = _under_review()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    item = "The cloud account has not been checked."

    page = client.get(_approve_url(application), **EN).content.decode()
    refused = client.post(_approve_url(application), {"reason": "ok"}, **EN)

    assert page.count(item) == 1
    assert 'name="confirm"' not in page  # nothing to confirm until the list is empty
    body = refused.content.decode()
    assert refused.status_code == 200
    assert body.count(item) == 1  # not again in the error message
    application.refresh_from_db()
    assert application.status == OnboardingApplication.Status.UNDER_REVIEW


def test_ms_3_1_approve_action_on_the_list_reports_a_count_not_the_list(client):
    application = _under_review()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    url = reverse("admin:vendors_onboardingapplication_changelist")
    data = {"action": "do_approve", "_selected_action": [application.pk], "apply": "1"}

    response = client.post(url, {**data, "reason": "ok"}, follow=True, **EN)

    assert response.redirect_chain == [(url, 302)] and response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        f"{application}: not done, 5 items are missing or failed (listed on its page)."
    ]
    assert "The cloud account has not been checked." not in response.content.decode()


def test_ms_3_1_complete_application_offers_approval(client):
    application = complete_application()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    html = client.get(_change_url(application), **EN).content.decode()
    page = client.get(_approve_url(application), **EN).content.decode()

    assert "✔ complete" in html
    assert f'href="{_approve_url(application)}"' in html
    assert "Every checklist item is provided and passed." in page
    assert 'name="confirm"' in page


def test_chinese_page_is_translated(client):
    application = _under_review()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))

    html = client.get(_change_url(application)).content.decode()

    assert "资质文件（MS-3.1.3）" in html
    assert "暂不能审核通过：还有 5 项缺失或未通过。" in html
    assert "在新标签页打开" in html
    assert "Open " not in html
