"""Vendor pages: scoped to the user's own vendor (isolation), 403 for everyone else."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, violation_deduction
from tests.vendors.factories import (
    active_vendor,
    complete_application,
    filled_application,
    vendor_user,
)
from vendors.models import VendorDocument
from vendors.services import deposit_pay

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_vendor_pages_need_a_login(client):
    response = client.get(reverse("vendor:home"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["vendor:home", "vendor:deposit", "vendor:onboarding"])
def test_platform_staff_without_a_vendor_get_403(client, name):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse(name), **EN).status_code == 403


def test_ms_3_1_5_home_shows_deposit_and_obligation_with_due_date(client):
    vendor = active_vendor(categories=("tool",))
    deposit_pay(vendor=vendor, amount="1000", actor=None, reason="paid")
    violation_deduction(vendor, "1200", reason="p")
    client.force_login(vendor_user(vendor))
    page = client.get(reverse("vendor:home"), **EN).content.decode()
    assert vendor.name in page
    assert "¥0.00" in page  # balance
    assert "¥1,000.00" in page  # required
    assert "¥200.00" in page  # owed
    assert "¥1,200.00" in page  # to top up
    obligation = vendor.obligations.get()
    assert obligation.due_at.astimezone().strftime("%Y-%m-%d") in page
    assert 'name="language"' in page  # the language switcher
    assert "Log out" in page


def test_ms_6_1_1_home_and_onboarding_flag_expiring_documents(client):
    application = complete_application(valid_until=timezone.localdate() + dt.timedelta(days=5))
    client.force_login(vendor_user(application.vendor))
    home = client.get(reverse("vendor:home"), **EN).content.decode()
    assert "Business licence copy" in home
    onboarding = client.get(reverse("vendor:onboarding"), **EN).content.decode()
    assert "expired or expiring within 30 days" in onboarding


def test_ms_3_1_onboarding_page_lists_missing_items(client):
    application = filled_application()
    application.contact_qq = ""
    application.save(update_fields=["contact_qq"])
    client.force_login(vendor_user(application.vendor))
    page = client.get(reverse("vendor:onboarding"), **EN).content.decode()
    assert "Draft" in page
    assert "Missing contact QQ number." in page


def test_deposit_ledger_page_lists_only_own_entries(client):
    mine = active_vendor()
    other = active_vendor()
    deposit_pay(vendor=mine, amount="2000", actor=None, reason="my payment")
    deposit_pay(vendor=other, amount="5000", actor=None, reason="their payment")
    client.force_login(vendor_user(mine))
    page = client.get(reverse("vendor:deposit"), **EN).content.decode()
    assert "my payment" in page
    assert "their payment" not in page


def test_isolation_other_vendors_application_and_document_are_404(client):
    mine = filled_application()
    theirs = filled_application()
    client.force_login(vendor_user(mine.vendor))
    own_doc = VendorDocument.objects.filter(vendor=mine.vendor).first()
    their_doc = VendorDocument.objects.filter(vendor=theirs.vendor).first()
    assert client.get(reverse("vendor:application", args=[mine.pk]), **EN).status_code == 200
    assert client.get(reverse("vendor:application", args=[theirs.pk]), **EN).status_code == 404
    assert client.get(reverse("vendor:document", args=[own_doc.pk]), **EN).status_code == 200
    assert client.get(reverse("vendor:document", args=[their_doc.pk]), **EN).status_code == 404


def test_vendor_pages_are_in_chinese_by_default(client):
    vendor = active_vendor()
    client.force_login(vendor_user(vendor))
    page = client.get(reverse("vendor:home")).content.decode()
    assert "保证金" in page


def test_ms_3_1_3_vendor_fills_in_uploads_and_submits_the_application(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.vendors.factories import PDF, started_application
    from vendors.models import Category, OnboardingApplication

    application = started_application()
    client.force_login(vendor_user(application.vendor))
    edit = reverse("vendor:application_edit", args=[application.pk])
    data = {
        "contact_name": "Li Lei",
        "contact_phone": "13800138000",
        "contact_qq": "123456",
        "contact_email": "lilei@example.com",
        "categories": [Category.objects.get(code="saas").pk],
        "declares_this_cloud_only": "on",
        "accept_agreement": "on",
    }
    assert client.post(edit, data, **EN).status_code == 302
    upload = reverse("vendor:application_upload", args=[application.pk])
    for kind in ("business_licence", "legal_rep_id", "bank_account_proof"):
        response = client.post(
            upload,
            {
                "kind": kind,
                "file": SimpleUploadedFile(f"{kind}.pdf", PDF),
                "valid_from": "2024-01-01",
            },
            **EN,
        )
        assert response.status_code == 302
    response = client.post(reverse("vendor:application_submit", args=[application.pk]), **EN)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == OnboardingApplication.Status.SUBMITTED
    assert application.agreement_version


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("contact_phone", "1234", "mainland China mobile"),
        ("contact_qq", "0999", "QQ number"),
        ("contact_email", "nope", "valid e-mail"),
    ],
)
def test_ms_3_1_3_bad_contact_on_the_vendor_page_saves_nothing(client, field, value, fragment):
    from tests.vendors.factories import started_application

    application = started_application()
    client.force_login(vendor_user(application.vendor))
    edit = reverse("vendor:application_edit", args=[application.pk])
    data = {"contact_name": "Li Lei", "accept_agreement": "on", field: value}
    response = client.post(edit, data, **EN)
    assert response.status_code == 400
    assert fragment in response.content.decode()
    application.refresh_from_db()
    assert application.contact_name == ""
    assert application.agreement_accepted_at is None


def test_ms_3_1_3_bad_file_on_the_vendor_page_saves_nothing(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.vendors.factories import started_application

    application = started_application()
    client.force_login(vendor_user(application.vendor))
    upload = reverse("vendor:application_upload", args=[application.pk])
    fake = SimpleUploadedFile("licence.png", b"GIF89a not a png")
    response = client.post(
        upload, {"kind": "business_licence", "file": fake, "valid_from": "2024-01-01"}, **EN
    )
    assert response.status_code == 400
    assert "not a real PNG" in response.content.decode()
    assert not VendorDocument.objects.exists()


def test_ms_3_1_submitting_an_incomplete_application_lists_what_is_missing(client):
    from tests.vendors.factories import started_application

    application = started_application()
    client.force_login(vendor_user(application.vendor))
    response = client.post(reverse("vendor:application_submit", args=[application.pk]), **EN)
    assert response.status_code == 400
    assert "Missing document: Business licence copy." in response.content.decode()


def test_isolation_posting_to_another_vendors_application_is_404(client):
    from tests.vendors.factories import started_application

    mine = started_application()
    theirs = started_application()
    client.force_login(vendor_user(mine.vendor))
    for name in (
        "vendor:application_edit",
        "vendor:application_upload",
        "vendor:application_submit",
    ):
        assert client.post(reverse(name, args=[theirs.pk]), {}, **EN).status_code == 404


def test_bad_input_messages_are_in_the_users_language(client):
    from tests.vendors.factories import started_application

    application = started_application()
    client.force_login(vendor_user(application.vendor))
    edit = reverse("vendor:application_edit", args=[application.pk])
    response = client.post(edit, {"contact_qq": "0999"})  # no Accept-Language: Chinese
    assert response.status_code == 400
    assert "QQ号为 5 至 12 位数字" in response.content.decode()


def test_vendor_login_page_renders_and_logs_in(client):
    vendor = active_vendor()
    user = vendor_user(vendor, username="owner-login")
    page = client.get(reverse("login"), **EN)
    assert page.status_code == 200
    assert 'name="language"' in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "owner-login", "password": "pw-for-tests-1"}, **EN
    )
    assert response.status_code == 302
    assert client.get(reverse("vendor:home"), **EN).status_code == 200
    assert user.is_authenticated
