"""Readable records in the vendors admin (issue 12 §2): choice labels, links instead of
`refund:12` / penalty-case references, money as money, times in China time, links only where
the viewer may follow them; the ledger list keeps a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import PenaltyCase
from marketplace import roles
from orders.services import refund_request, refund_vendor_agree
from tests.factories import UserFactory, violation_deduction
from tests.orders.factories import PAID_AT, make_order
from tests.vendors.factories import active_vendor, role_user
from vendors.models import DepositEntry
from vendors.services import deposit_deduct, deposit_pay, deposit_reverse

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# 20:30 UTC on Mar 1 is 04:30 on Mar 2 in China.
LATE_UTC = dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.UTC)


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def _ledger(client, vendor=None) -> str:
    url = reverse("admin:vendors_depositentry_changelist")
    if vendor is not None:
        url += f"?vendor__id__exact={vendor.pk}"
    return client.get(url, **EN).content.decode()


def _case_deduction(vendor, amount: str = "800") -> DepositEntry:
    violation_deduction(vendor, amount, at=LATE_UTC)
    return DepositEntry.objects.filter(vendor=vendor, kind="deduction").latest("pk")


def test_ledger_list_shows_labels_signed_money_and_china_time(client):
    vendor = active_vendor(name="Ledger Co.")
    deposit_pay(vendor=vendor, amount="300", actor=None, reason="paid", at=LATE_UTC)
    _case_deduction(vendor, "1000")  # 300 from the deposit, 700 owed
    client.force_login(role_user(roles.FINANCE))

    html = _ledger(client, vendor)

    assert "2026-03-02 04:30" in html  # China time, not the UTC day
    assert "2026-03-01 20:30" not in html
    assert "Payment" in html and "Deduction" in html and "Violation" in html
    assert "balance +¥300.00" in html
    assert "balance −¥300.00" in html and "owed +¥700.00" in html
    assert ">deduction<" not in html and ">violation<" not in html


def test_violation_reference_is_a_link_for_compliance_and_text_for_finance(client):
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    entry = _case_deduction(vendor)
    case = PenaltyCase.objects.get(reference=entry.reference)
    case_url = reverse("admin:compliance_penaltycase_change", args=[case.pk])

    client.force_login(role_user(roles.COMPLIANCE_LEAD))
    lead_view = _ledger(client, vendor)
    client.force_login(role_user(roles.FINANCE))
    finance_view = _ledger(client, vendor)

    assert f'<a href="{case_url}">penalty case {entry.reference}</a>' in lead_view
    assert f"penalty case {entry.reference}" in finance_view
    assert case_url not in finance_view  # finance may not open penalty cases


def test_refund_reference_reads_as_a_linked_refund_not_refund_colon_id(client, superuser):
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    order = make_order(vendor=vendor, amount="100.00")
    refund, _created = refund_request(
        order=order,
        external_id="R-READ",
        reason_code="not_as_expected",
        amount_requested="100.00",
        requested_at=PAID_AT + dt.timedelta(hours=1),
        received_at=PAID_AT + dt.timedelta(hours=1),
    )
    refund_vendor_agree(refund=refund, actor=None, note="ok")
    deposit_deduct(
        vendor=vendor,
        amount="100",
        cause="refund",
        reference=f"refund:{refund.pk}",
        actor=None,
        reason="compensation",
    )
    client.force_login(superuser)

    html = _ledger(client, vendor)
    entry = DepositEntry.objects.get(vendor=vendor, reference=f"refund:{refund.pk}")
    detail = client.get(
        reverse("admin:vendors_depositentry_change", args=[entry.pk]), **EN
    ).content.decode()

    refund_url = reverse("admin:orders_refund_change", args=[refund.pk])
    link = f'<a href="{refund_url}">refund #{refund.pk}</a>'
    assert link in html and link in detail
    assert f"refund:{refund.pk}" not in html


def test_reversal_links_the_entry_it_reverses_and_entry_page_reads_as_money(client):
    vendor = active_vendor()
    payment = deposit_pay(vendor=vendor, amount="5000", actor=None, reason="paid", at=LATE_UTC)
    reversal = deposit_reverse(entry=payment, actor=None, reason="entered twice")
    client.force_login(role_user(roles.FINANCE))

    html = _ledger(client, vendor)
    detail = client.get(
        reverse("admin:vendors_depositentry_change", args=[reversal.pk]), **EN
    ).content.decode()

    payment_url = reverse("admin:vendors_depositentry_change", args=[payment.pk])
    link = f'<a href="{payment_url}">reverses ledger entry #{payment.pk}</a>'
    assert link in html and link in detail
    assert "¥5,000.00" in detail and "−¥5,000.00" in detail
    assert ">5000.00<" not in detail
    ledger = reverse("admin:vendors_depositentry_changelist") + f"?vendor__id__exact={vendor.pk}"
    assert f'href="{ledger}"' in detail


def test_vendor_page_links_the_ledger_only_for_who_may_open_it(client):
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    url = reverse("admin:vendors_vendor_change", args=[vendor.pk])
    ledger = reverse("admin:vendors_depositentry_changelist")
    record = reverse("admin:vendors_depositentry_record")

    client.force_login(role_user(roles.FINANCE))
    finance_view = client.get(url, **EN).content.decode()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    reviewer_view = client.get(url, **EN).content.decode()

    assert f"{ledger}?vendor__id__exact={vendor.pk}" in finance_view
    assert f"{record}?vendor={vendor.pk}" in finance_view
    # The figures, without doors it cannot open.
    assert 'balance: <span data-figure="deposit-balance">¥2,000.00</span>' in reviewer_view
    assert ledger not in reviewer_view and record not in reviewer_view


def test_ledger_list_costs_a_fixed_number_of_queries_with_references(client, superuser):
    client.force_login(superuser)
    url = reverse("admin:vendors_depositentry_changelist")

    def add_rows(n: int) -> None:
        for _ in range(n):
            vendor = active_vendor()
            deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
            twice = deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid again")
            deposit_reverse(entry=twice, actor=None, reason="entered twice")
            _case_deduction(vendor, "100")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **EN).status_code == 200
        return len(ctx)

    add_rows(1)
    small = count()
    add_rows(4)
    assert count() == small


def test_chinese_ledger_reads_in_chinese(client):
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    entry = _case_deduction(vendor)
    client.force_login(role_user(roles.FINANCE))

    html = client.get(
        reverse("admin:vendors_depositentry_changelist") + f"?vendor__id__exact={vendor.pk}"
    ).content.decode()

    assert f"处罚案件 {entry.reference}" in html
    assert "余额 −¥800.00" in html
    assert "登记时间（北京时间）" in html
