"""Onboarding (MS-3.1, MS-8.3): the application's state machine and its checklist."""

import datetime as dt

import pytest
from django.utils import timezone

from marketplace.exceptions import DomainError, StateConflict, ValidationFailed
from tests.factories import VendorFactory
from tests.vendors.factories import (
    complete_application,
    filled_application,
    pdf_upload,
    started_application,
)
from vendors.checklist import application_missing_items
from vendors.models import (
    CheckResult,
    ExtraCondition,
    ExtraConditionResult,
    OnboardingApplication,
    Vendor,
    VendorDocument,
)
from vendors.services import (
    application_approve,
    application_create,
    application_document_add,
    application_reject,
    application_start,
    application_start_review,
    application_submit,
    application_update,
    deposit_pay,
    vendor_evict,
)

pytestmark = pytest.mark.django_db
Status = OnboardingApplication.Status


def test_ms_3_1_start_creates_applying_vendor_store_and_draft():
    application = started_application(company_name="Acme Cloud Tools Co., Ltd.")
    vendor = application.vendor
    assert application.status == Status.DRAFT
    assert vendor.status == Vendor.Status.APPLYING
    assert vendor.store.name == "Acme Cloud Tools Co., Ltd."
    assert application.history.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("credit_code", "91110000802100433C", "check character"),
        ("cloud_account_id", "abc", "cloud account"),
        ("company_name", "  ", "company name"),
    ],
)
def test_ms_3_1_start_with_bad_identity_refused_and_nothing_saved(field, value, fragment):
    with pytest.raises(ValidationFailed) as info:
        started_application(**{field: value})
    assert info.value.code == "invalid"
    assert fragment in str(info.value)
    assert not Vendor.objects.exists()
    assert not OnboardingApplication.objects.exists()


def test_ms_8_3_evicted_credit_code_refused_for_ever():
    evicted = VendorFactory()
    vendor_evict(vendor=evicted, actor=None, reason="OFFLINE_TRADE penalty")
    other = VendorFactory.build()
    with pytest.raises(DomainError) as info:
        application_start(
            company_name="New name, same company",
            credit_code=evicted.credit_code.lower(),
            cloud_account_id=other.cloud_account_id,
            actor=None,
        )
    assert info.value.code == "identity_banned"
    assert "banned for ever" in str(info.value)
    assert Vendor.objects.count() == 1


def test_ms_8_3_evicted_cloud_account_refused_for_ever():
    evicted = VendorFactory()
    vendor_evict(vendor=evicted, actor=None, reason="FRAUD penalty")
    other = VendorFactory.build()
    with pytest.raises(DomainError) as info:
        application_start(
            company_name="Other company",
            credit_code=other.credit_code,
            cloud_account_id=evicted.cloud_account_id,
            actor=None,
        )
    assert info.value.code == "identity_banned"


def test_ms_3_1_second_vendor_with_same_identity_refused():
    existing = VendorFactory()
    with pytest.raises(StateConflict) as info:
        started_application(credit_code=existing.credit_code)
    assert info.value.code == "vendor_exists"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("contact_phone", "12345", "mainland China mobile"),
        ("contact_qq", "0123", "QQ"),
        ("contact_email", "lilei-at-example", "e-mail"),
    ],
)
def test_ms_3_1_3_bad_contact_refused_and_nothing_saved(field, value, fragment):
    application = started_application()
    with pytest.raises(ValidationFailed) as info:
        application_update(
            application=application, actor=None, contact_name="Li Lei", **{field: value}
        )
    assert info.value.code == "invalid"
    assert fragment in str(info.value)
    application.refresh_from_db()
    assert application.contact_name == ""
    assert getattr(application, field) == ""


def test_ms_3_1_3_document_with_bad_type_refused_and_nothing_saved():
    application = started_application()
    with pytest.raises(ValidationFailed) as info:
        application_document_add(
            application=application,
            kind="business_licence",
            file=pdf_upload("licence.exe", b"MZ\x90"),
            valid_from=dt.date(2024, 1, 1),
            valid_until=None,
            actor=None,
        )
    assert info.value.code == "invalid"
    assert "PDF, JPG or PNG" in str(info.value)
    assert not VendorDocument.objects.exists()


def test_ms_3_1_3_document_already_expired_refused():
    application = started_application()
    with pytest.raises(ValidationFailed) as info:
        application_document_add(
            application=application,
            kind="business_licence",
            file=pdf_upload(),
            valid_from=dt.date(2020, 1, 1),
            valid_until=timezone.localdate() - dt.timedelta(days=1),
            actor=None,
        )
    assert info.value.code == "invalid"
    assert "already expired" in str(info.value)
    assert not VendorDocument.objects.exists()


def test_ms_6_1_1_new_upload_replaces_the_current_document_of_its_kind():
    application = filled_application()
    old = VendorDocument.objects.get(vendor=application.vendor, kind="business_licence")
    application_update(application=application, actor=None)  # still a draft
    new = application_document_add(
        application=application,
        kind="business_licence",
        file=pdf_upload(),
        valid_from=dt.date(2025, 1, 1),
        valid_until=None,
        actor=None,
    )
    old.refresh_from_db()
    assert old.replaced_at is not None
    assert new.replaced_at is None


def test_ms_3_1_submit_refused_with_the_translated_list_of_missing_items():
    application = started_application()
    with pytest.raises(ValidationFailed) as info:
        application_submit(application=application, actor=None)
    assert info.value.code == "application_incomplete"
    items = info.value.items
    assert "Missing document: Business licence copy." in items
    assert "Missing contact QQ number." in items
    assert (
        "The vendor access agreement version 2023-03-17 in force has not been signed (MS-3.1.4)."
        in items
    )
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_ms_3_1_missing_items_are_translated(settings):
    from django.utils import translation

    application = started_application()
    with translation.override("zh-hans"):
        items = application_missing_items(application)
    assert any("营业执照" in item for item in items)


def test_ms_3_1_approve_incomplete_application_refused_nothing_saved():
    application = filled_application()
    application_submit(application=application, actor=None)
    application_start_review(application=application, actor=None)
    with pytest.raises(ValidationFailed) as info:
        application_approve(application=application, actor=None)
    assert info.value.code == "application_incomplete"
    assert "The cloud account has not been checked." in info.value.items
    assert "The bank account's real-name verification has not been checked." in info.value.items
    application.refresh_from_db()
    assert application.status == Status.UNDER_REVIEW
    assert application.decided_at is None


def test_ms_3_1_2_failed_bank_verification_blocks_approval():
    application = complete_application()
    application.bank_verification_result = CheckResult.FAILED
    application.save(update_fields=["bank_verification_result"])
    with pytest.raises(ValidationFailed) as info:
        application_approve(application=application, actor=None)
    assert info.value.code == "application_incomplete"
    assert info.value.items == ["The bank account's real-name verification failed."]


def test_ms_3_1_7_extra_conditions_are_data_and_block_approval_until_passed():
    ExtraCondition.objects.create(code="hotline", text="Has a customer service hotline")
    ExtraCondition.objects.create(code="retired", text="Retired condition", active=False)
    application = complete_application()
    # The review started with one pending result per active condition; the factory passed it.
    result = ExtraConditionResult.objects.get(application=application)
    assert result.condition.code == "hotline"
    result.result = CheckResult.FAILED
    result.save(update_fields=["result"])
    with pytest.raises(ValidationFailed) as info:
        application_approve(application=application, actor=None)
    assert info.value.code == "application_incomplete"
    assert info.value.items == ["Extra condition failed: Has a customer service hotline"]
    result.result = CheckResult.PASSED
    result.save(update_fields=["result"])
    assert application_approve(application=application, actor=None).status == Status.APPROVED


def test_ms_3_1_approve_complete_application_then_deposit_activates_vendor(django_user_model):
    reviewer = django_user_model.objects.create_user("rev", is_staff=True)
    application = complete_application()
    application_approve(application=application, actor=reviewer, reason="all checked")
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert application.decided_by == reviewer
    vendor = application.vendor
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.APPLYING  # MS-3.1.5 ①: not before the deposit
    deposit_pay(vendor=vendor, amount="1999.99", actor=None, reason="bank transfer")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.APPLYING  # software tier is 2,000
    deposit_pay(vendor=vendor, amount="0.01", actor=None, reason="bank transfer")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.ACTIVE
    assert vendor.history.first().history_change_reason.startswith("MS-3.1.5")


def test_ms_3_1_5_deposit_paid_before_approval_activates_on_approval():
    application = complete_application()
    deposit_pay(vendor=application.vendor, amount="2000", actor=None, reason="paid early")
    application_approve(application=application, actor=None)
    application.vendor.refresh_from_db()
    assert application.vendor.status == Vendor.Status.ACTIVE


def test_ms_3_1_reject_needs_a_reason_and_allows_a_new_application():
    application = filled_application()
    application_submit(application=application, actor=None)
    with pytest.raises(ValidationFailed) as info:
        application_reject(application=application, actor=None, reason=" ")
    assert info.value.code == "reason_required"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    application_reject(application=application, actor=None, reason="Licence is blurred")
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert application.rejection_reason == "Licence is blurred"
    again = application_create(vendor=application.vendor, actor=None)
    assert again.status == Status.DRAFT
    with pytest.raises(StateConflict) as info:
        application_create(vendor=application.vendor, actor=None)
    assert info.value.code == "application_open"


def test_ms_8_3_ban_blocks_submission_of_an_open_application():
    application = filled_application()
    vendor = application.vendor
    vendor_evict(vendor=vendor, actor=None, reason="false qualifications")
    with pytest.raises(DomainError) as info:
        application_submit(application=application, actor=None)
    assert info.value.code == "identity_banned"


def test_ms_8_3_evict_records_both_identities_with_history():
    from vendors.models import BannedIdentity

    vendor = VendorFactory()
    vendor_evict(vendor=vendor, actor=None, reason="FRAUD")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.EVICTED
    assert set(BannedIdentity.objects.values_list("kind", "value")) == {
        ("credit_code", vendor.credit_code),
        ("cloud_account", vendor.cloud_account_id),
    }
    assert BannedIdentity.objects.first().history.first().history_change_reason == "FRAUD"


def test_ms_3_1_5_category_changes_are_kept_in_the_vendors_history():
    from tests.vendors.factories import category

    application = started_application()
    application_update(
        application=application, actor=None, categories=[category("ops"), category("tool")]
    )
    vendor = application.vendor
    latest = vendor.history.first()
    assert {c.category.code for c in latest.categories.all()} == {"ops", "tool"}
