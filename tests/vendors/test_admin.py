"""The vendors admin: a UI over the services, permission-checked, with fixed query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace import roles
from tests.factories import UserFactory, VendorFactory, violation_deduction
from tests.vendors.factories import (
    active_vendor,
    complete_application,
    filled_application,
    role_user,
)
from vendors.models import (
    BannedIdentity,
    DepositEntry,
    OnboardingApplication,
    Vendor,
    VendorDocument,
)
from vendors.services import (
    deposit_pay,
    deposit_refund_request,
    vendor_evict,
    vendor_exit_begin,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def _make_rows(n: int) -> None:
    """n vendors with every related row the changelists show."""
    for _ in range(n):
        application = complete_application()
        vendor = application.vendor
        deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
        other = active_vendor()
        deposit_pay(vendor=other, amount="2000", actor=None, reason="paid")
        violation_deduction(other, "500", reason="p")
        gone = active_vendor()
        deposit_pay(vendor=gone, amount="100", actor=None, reason="paid")
        vendor_exit_begin(vendor=gone, actor=None, reason="term ended")
        deposit_refund_request(vendor=gone, actor=None, reason="term ended")
        vendor_evict(vendor=VendorFactory(), actor=None, reason="fraud")


CHANGELISTS = [
    "vendor",
    "store",
    "vendorstaff",
    "category",
    "onboardingapplication",
    "vendordocument",
    "extracondition",
    "bannedidentity",
    "depositentry",
    "topupobligation",
    "deposittier",
    "depositrefund",
]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **EN)
    assert response.status_code == 200, url
    return len(ctx)


def test_changelists_cost_a_fixed_number_of_queries_whatever_the_row_count(client, superuser):
    client.force_login(superuser)
    urls = [reverse(f"admin:vendors_{name}_changelist") for name in CHANGELISTS]
    urls += [
        reverse("admin:vendors_vendordocument_changelist") + "?expiry=flagged",
        reverse("admin:vendors_vendor_changelist") + "?documents=expiring",
        reverse("admin:vendors_topupobligation_changelist") + "?open=open",
    ]
    _make_rows(1)
    small = {url: _queries(client, url) for url in urls}
    _make_rows(4)
    large = {url: _queries(client, url) for url in urls}
    assert small == large


def test_ms_3_1_reviewer_approves_a_complete_application_with_the_button(client):
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    application = complete_application()
    client.force_login(reviewer)
    url = reverse(
        "admin:vendors_onboardingapplication_transition", args=[application.pk, "approve"]
    )
    page = client.get(url, **EN)
    assert page.status_code == 200
    assert "Every checklist item is provided and passed." in page.content.decode()
    response = client.post(url, {"reason": "all documents verified"}, **EN)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == OnboardingApplication.Status.APPROVED
    assert application.decided_by == reviewer
    assert application.history.first().history_user == reviewer


def test_ms_3_1_approval_of_incomplete_application_shows_what_is_missing(client):
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    application = complete_application()
    application.cloud_account_result = "pending"
    application.save(update_fields=["cloud_account_result"])
    client.force_login(reviewer)
    url = reverse(
        "admin:vendors_onboardingapplication_transition", args=[application.pk, "approve"]
    )
    response = client.post(url, {"reason": ""}, **EN)
    assert response.status_code == 200
    assert "The cloud account has not been checked." in response.content.decode()
    application.refresh_from_db()
    assert application.status == OnboardingApplication.Status.UNDER_REVIEW


def test_ms_3_1_rejection_asks_for_a_reason(client):
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    application = complete_application()
    client.force_login(reviewer)
    url = reverse("admin:vendors_onboardingapplication_transition", args=[application.pk, "reject"])
    response = client.post(url, {"reason": ""}, **EN)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    application.refresh_from_db()
    assert application.status == OnboardingApplication.Status.UNDER_REVIEW
    client.post(url, {"reason": "licence copy unreadable"}, **EN)
    application.refresh_from_db()
    assert application.rejection_reason == "licence copy unreadable"


def test_ms_3_1_approve_action_on_the_review_queue_uses_a_reason_page(client):
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    ready = complete_application()
    url = reverse("admin:vendors_onboardingapplication_changelist")
    client.force_login(reviewer)
    data = {"action": "do_approve", "_selected_action": [ready.pk]}
    page = client.post(url, data, **EN)
    assert page.status_code == 200
    ready.refresh_from_db()
    assert ready.status == OnboardingApplication.Status.UNDER_REVIEW
    client.post(url, {**data, "apply": "1", "reason": "ok"}, **EN)
    ready.refresh_from_db()
    assert ready.status == OnboardingApplication.Status.APPROVED


def test_transition_buttons_check_the_transition_permission(client):
    finance = role_user(roles.FINANCE)
    application = complete_application()
    client.force_login(finance)
    url = reverse(
        "admin:vendors_onboardingapplication_transition", args=[application.pk, "approve"]
    )
    assert client.post(url, {"reason": "x"}, **EN).status_code == 403
    vendor = active_vendor()
    suspend = reverse("admin:vendors_vendor_transition", args=[vendor.pk, "suspend"])
    assert client.post(suspend, {"reason": "x"}, **EN).status_code == 403
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    client.force_login(reviewer)
    assert client.post(suspend, {"reason": "x"}, **EN).status_code == 403
    application.refresh_from_db()
    vendor.refresh_from_db()
    assert application.status == OnboardingApplication.Status.UNDER_REVIEW
    assert vendor.status == Vendor.Status.ACTIVE


def test_ms_8_3_compliance_lead_cannot_evict_alone_from_the_vendor_page(client):
    """MS-8.3 / MS-7: the vendor page has no one-person eviction; it links to a penalty case
    (proposal, then a second compliance lead). The full path: tests/compliance/
    test_severe_paths.py."""
    lead = role_user(roles.COMPLIANCE_LEAD)
    vendor = active_vendor()
    client.force_login(lead)
    change = client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk]), **EN)
    html = change.content.decode()
    assert "Evict and ban for ever" not in html
    assert reverse("admin:compliance_penaltycase_add") + f"?vendor={vendor.pk}" in html
    url = reverse("admin:vendors_vendor_transition", args=[vendor.pk, "evict"])
    assert client.post(url, {"reason": "OFFLINE_TRADE, case P-7"}, **EN).status_code == 404
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.ACTIVE
    assert not BannedIdentity.objects.filter(vendor=vendor).exists()


def test_ms_3_1_5_ledger_entries_cannot_be_added_changed_or_deleted_in_admin(client, superuser):
    vendor = active_vendor()
    entry = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    client.force_login(superuser)
    assert client.get(reverse("admin:vendors_depositentry_add"), **EN).status_code == 403
    delete = reverse("admin:vendors_depositentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}, **EN).status_code == 403
    change = reverse("admin:vendors_depositentry_change", args=[entry.pk])
    client.post(change, {"amount": "1.00", "reason": "edit"}, **EN)
    assert DepositEntry.objects.get(pk=entry.pk).amount == Decimal("2000.00")


def test_ms_3_1_5_finance_records_entries_through_the_service(client):
    finance = role_user(roles.FINANCE)
    vendor = active_vendor()
    client.force_login(finance)
    url = reverse("admin:vendors_depositentry_record")
    base = {"vendor": vendor.pk, "amount": "2000.00", "reason": "bank slip 7"}
    response = client.post(url, {**base, "kind": "payment"}, **EN)
    assert response.status_code == 302
    # A deduction without a cause: a clear message, nothing saved.
    response = client.post(url, {**base, "kind": "deduction", "amount": "100"}, **EN)
    assert response.status_code == 200
    assert "A deduction needs its cause" in response.content.decode()
    response = client.post(url, {**base, "kind": "payment", "amount": "-3"}, **EN)
    assert "greater than zero" in response.content.decode()
    assert list(DepositEntry.objects.values_list("kind", "amount")) == [
        ("payment", Decimal("2000.00"))
    ]
    assert DepositEntry.objects.get().actor == finance


def test_ms_3_1_5_record_view_needs_the_permission(client):
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    client.force_login(reviewer)
    assert client.get(reverse("admin:vendors_depositentry_record"), **EN).status_code == 403


def test_ms_3_1_5_finance_reverses_an_entry_with_a_reason(client):
    finance = role_user(roles.FINANCE)
    vendor = active_vendor()
    entry = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    client.force_login(finance)
    url = reverse("admin:vendors_depositentry_transition", args=[entry.pk, "reverse"])
    client.post(url, {"reason": "entered twice"}, **EN)
    reversal = DepositEntry.objects.get(reverses=entry)
    assert reversal.reason == "entered twice"
    assert reversal.delta == Decimal("-2000.00")


def test_ms_6_1_1_documents_expiring_are_flagged_in_the_admin(client, superuser):
    soon = timezone.localdate() + dt.timedelta(days=10)
    flagged = filled_application(valid_until=soon).vendor
    filled_application(valid_until=None)
    client.force_login(superuser)
    docs = client.get(reverse("admin:vendors_vendordocument_changelist") + "?expiry=flagged", **EN)
    assert docs.context["cl"].result_count == 3
    assert {d.vendor_id for d in docs.context["cl"].result_list} == {flagged.pk}
    assert "expires within 30 days" in docs.content.decode()
    vendors = client.get(reverse("admin:vendors_vendor_changelist") + "?documents=expiring", **EN)
    assert [v.pk for v in vendors.context["cl"].result_list] == [flagged.pk]
    record = client.get(reverse("admin:vendors_vendor_change", args=[flagged.pk]), **EN)
    assert "Business licence copy" in record.content.decode()
    assert VendorDocument.objects.count() == 6


def test_admin_is_in_chinese_by_default(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:vendors_onboardingapplication_changelist"))
    assert "入驻申请" in page.content.decode()


def test_ms_8_3_starting_an_application_for_an_evicted_company_is_refused(client):
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    evicted = VendorFactory()
    vendor_evict(vendor=evicted, actor=None, reason="fraud")
    client.force_login(reviewer)
    url = reverse("admin:vendors_onboardingapplication_start")
    fresh = VendorFactory.build()
    data = {
        "company_name": "Reborn Co.",
        "credit_code": evicted.credit_code,
        "cloud_account_id": fresh.cloud_account_id,
    }
    response = client.post(url, data, **EN)
    assert response.status_code == 200
    assert "banned for ever" in response.content.decode()
    assert Vendor.objects.count() == 1
    response = client.post(url, {**data, "credit_code": "91110000802100433C"}, **EN)
    assert "check character" in response.content.decode()
    response = client.post(url, {**data, "credit_code": fresh.credit_code}, **EN)
    assert response.status_code == 302
    assert Vendor.objects.filter(credit_code=fresh.credit_code, status="applying").exists()
