"""Set-based selectors the sweep and the pages use (MS-6.1.1, MS-3.1.5 ③)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.timeutils import CHINA_TZ
from tests.factories import violation_deduction
from tests.vendors.factories import active_vendor, filled_application, pdf_upload, vendor_user
from vendors.selectors import documents_expiring, overdue_obligations
from vendors.services import application_document_add, deposit_pay

pytestmark = pytest.mark.django_db


def test_ms_6_1_1_documents_expiring_is_one_query_and_counts_30_days(django_assert_num_queries):
    today = timezone.localdate()
    soon = filled_application(valid_until=today + dt.timedelta(days=30)).vendor
    later = filled_application(valid_until=today + dt.timedelta(days=31)).vendor
    forever = filled_application(valid_until=None).vendor
    with django_assert_num_queries(1):
        rows = [(d.vendor.pk, d.kind) for d in documents_expiring(on=today)]
    assert {vendor_id for vendor_id, _kind in rows} == {soon.pk}
    assert len(rows) == 3
    # Later, the 31-day documents are inside the window and the 30-day ones have expired.
    in_40 = documents_expiring(on=today + dt.timedelta(days=10))
    assert {d.vendor_id for d in in_40} == {soon.pk, later.pk}
    assert forever.pk not in {d.vendor_id for d in documents_expiring(on=today, within_days=9999)}
    assert documents_expiring(on=today, within_days=0).count() == 0


def test_ms_6_1_1_a_replaced_document_is_no_longer_flagged():
    today = timezone.localdate()
    application = filled_application(valid_until=today + dt.timedelta(days=5))
    application_document_add(
        application=application,
        kind="business_licence",
        file=pdf_upload(),
        valid_from=today,
        valid_until=None,
        actor=None,
    )
    assert sorted(d.kind for d in documents_expiring(on=today)) == [
        "bank_account_proof",
        "legal_rep_id",
    ]


def test_ms_3_1_5_3_overdue_obligations_for_the_sweep(django_assert_num_queries):
    vendor = active_vendor()
    at = dt.datetime(2026, 9, 30, 10, tzinfo=CHINA_TZ)
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid", at=at)
    violation_deduction(vendor, "100", reason="p", at=at)
    due_end = dt.datetime(2026, 10, 15, 23, 59, tzinfo=CHINA_TZ)
    with django_assert_num_queries(1):
        assert list(overdue_obligations(at=due_end)) == []
    late = dt.datetime(2026, 10, 16, 0, 0, 1, tzinfo=CHINA_TZ)
    assert [o.vendor_id for o in overdue_obligations(at=late)] == [vendor.pk]


def test_ms_3_1_5_3_provisional_due_date_is_marked_on_the_vendor_page(client):
    vendor = active_vendor()
    at = dt.datetime(2026, 12, 28, 10, tzinfo=CHINA_TZ)
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid", at=at)
    violation_deduction(vendor, "100", reason="p", at=at)
    client.force_login(vendor_user(vendor))
    page = client.get(reverse("vendor:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "provisional" in page
    assert "2027-01-" in page
