"""MS-3.1.5 ③ top-up obligations in the admin (issue 12 §1): days left / overdue counted in
working days in China time (the working calendar: holidays and make-up days), a link to the
vendor's ledger, and the record-entry form showing the chosen vendor's balance, required
amount (tier) and amount owed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from marketplace import roles
from marketplace.timeutils import CHINA_TZ, end_of_day
from tests.factories import violation_deduction
from tests.vendors.factories import active_vendor, role_user, vendor_user
from vendors.admin import display
from vendors.models import DepositEntry, DepositTier, TopUpObligation
from vendors.services import deposit_pay, deposit_topup

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# 2026: Mid-Autumn and National Day run Oct 1-7 (workdays again from Oct 8); Sat Oct 10 is a
# make-up working day. Seven working days after Tue Sep 29: Sep 30, Oct 8, 9, 10, 12, 13, 14.
OPENED = dt.datetime(2026, 9, 29, 10, 0, tzinfo=CHINA_TZ)
DUE_DAY = dt.date(2026, 10, 14)


@pytest.fixture
def at(monkeypatch):
    """Fix the moment the admin judges deadlines at."""

    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(display, "now", lambda: moment)

    return set_now


def _short_vendor(name: str = "Short Co."):
    """A vendor whose deposit a violation deduction left short on OPENED (an open obligation)."""
    vendor = active_vendor(name=name)
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid", at=OPENED)
    violation_deduction(vendor, "500", at=OPENED)
    return vendor


def _obligation_list(client) -> str:
    return client.get(reverse("admin:vendors_topupobligation_changelist"), **EN).content.decode()


def test_ms_3_1_5_obligation_due_after_seven_working_days_skipping_the_holidays():
    vendor = _short_vendor()
    obligation = TopUpObligation.objects.get(vendor=vendor)
    assert obligation.due_at == end_of_day(DUE_DAY)
    assert not obligation.provisional


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        # On the day it opened: 7 working days left, though 15 calendar days remain.
        (OPENED, "7 working days left"),
        # Oct 9 (Fri): Oct 10 (make-up Saturday), 12, 13, 14 remain.
        (dt.datetime(2026, 10, 9, 9, 0, tzinfo=CHINA_TZ), "4 working days left"),
        (dt.datetime(2026, 10, 13, 18, 0, tzinfo=CHINA_TZ), "1 working day left"),
        (dt.datetime(2026, 10, 14, 23, 30, tzinfo=CHINA_TZ), "due today"),
        (dt.datetime(2026, 10, 15, 0, 5, tzinfo=CHINA_TZ), "overdue by 1 working day"),
        (dt.datetime(2026, 10, 16, 10, 0, tzinfo=CHINA_TZ), "overdue by 2 working days"),
        # Sat Oct 17 and Sun Oct 18 are no working days: still 2.
        (dt.datetime(2026, 10, 18, 10, 0, tzinfo=CHINA_TZ), "overdue by 2 working days"),
    ],
)
def test_ms_3_1_5_obligation_list_shows_working_days_left_or_overdue(client, at, moment, shown):
    _short_vendor()
    at(moment)
    client.force_login(role_user(roles.FINANCE))

    html = _obligation_list(client)

    assert shown in html
    assert "2026-10-14 23:59" in html  # the due time in China time
    overdue = moment > end_of_day(DUE_DAY)
    assert ("deadline-overdue" in html) is overdue


def test_ms_3_1_5_days_left_in_china_time_not_utc(client, at):
    """16:30 UTC on Oct 14 is already Oct 15 00:30 in China: the obligation is overdue."""
    _short_vendor()
    at(dt.datetime(2026, 10, 14, 16, 30, tzinfo=dt.UTC))
    client.force_login(role_user(roles.FINANCE))

    assert "overdue by 1 working day" in _obligation_list(client)


def test_ms_3_1_5_closed_obligation_shows_when_it_was_topped_up(client, at):
    vendor = _short_vendor()
    deposit_topup(
        vendor=vendor,
        amount="500",
        actor=None,
        reason="bank slip",
        at=dt.datetime(2026, 10, 8, 11, 0, tzinfo=CHINA_TZ),
    )
    at(dt.datetime(2026, 10, 20, 10, 0, tzinfo=CHINA_TZ))
    client.force_login(role_user(roles.FINANCE))

    html = _obligation_list(client)

    assert "topped up 2026-10-08 11:00" in html
    assert "deadline-overdue" not in html and "overdue by" not in html


def test_ms_3_1_5_obligation_links_the_vendors_ledger_and_the_top_up_form(client, at):
    vendor = _short_vendor()
    other = _short_vendor("Other Co.")
    at(OPENED)
    client.force_login(role_user(roles.FINANCE))

    html = _obligation_list(client)
    ledger = reverse("admin:vendors_depositentry_changelist") + f"?vendor__id__exact={vendor.pk}"
    record = reverse("admin:vendors_depositentry_record") + f"?vendor={vendor.pk}&amp;kind=top_up"

    assert f'href="{ledger}"' in html
    assert f'href="{record}"' in html
    entries = client.get(ledger, **EN).context["cl"].result_list
    assert {e.vendor_id for e in entries} == {vendor.pk}
    assert len(entries) == DepositEntry.objects.filter(vendor=vendor).count() == 2
    assert other.pk not in {e.vendor_id for e in entries}


def test_ms_3_1_5_viewer_without_the_record_permission_gets_no_record_link(client, at):
    vendor = _short_vendor()
    at(OPENED)
    client.force_login(role_user(roles.COMPLIANCE_REVIEWER))

    html = _obligation_list(client)

    assert f"?vendor__id__exact={vendor.pk}" in html  # the ledger, which it may read
    assert reverse("admin:vendors_depositentry_record") not in html


def test_ms_3_1_5_obligation_page_shows_the_deadline_and_its_entries(client, at):
    vendor = _short_vendor()
    obligation = TopUpObligation.objects.get(vendor=vendor)
    at(dt.datetime(2026, 10, 9, 9, 0, tzinfo=CHINA_TZ))
    client.force_login(role_user(roles.FINANCE))

    html = client.get(
        reverse("admin:vendors_topupobligation_change", args=[obligation.pk]), **EN
    ).content.decode()

    assert "4 working days left" in html
    assert "¥500.00" in html
    entry_url = reverse("admin:vendors_depositentry_change", args=[obligation.opened_by_id])
    assert f'href="{entry_url}"' in html


# --- the record-entry form ---------------------------------------------------------------------


def _required() -> str:
    tier = DepositTier.objects.get(category__code="software", effective_from__lte=OPENED.date())
    return f"¥{tier.amount:,.2f}"


def _panel(html: str) -> str:
    match = re.search(r'<section class="module deposit-position".*?</section>', html, re.S)
    assert match, "no deposit panel"
    return match.group(0)


def test_ms_3_1_5_record_form_shows_the_preselected_vendors_position(client, at):
    vendor = _short_vendor()
    at(OPENED + dt.timedelta(hours=1))
    client.force_login(role_user(roles.FINANCE))

    page = client.get(reverse("admin:vendors_depositentry_record") + f"?vendor={vendor.pk}", **EN)

    panel = _panel(page.content.decode())
    assert page.context["form"].initial["vendor"] == vendor.pk
    assert "Deposit of Short Co." in panel
    assert "¥1,500.00" in panel  # balance: 2,000 paid, 500 deducted
    assert _required() in panel  # the tier of its category
    assert "highest tier among its categories: " in panel
    assert "7 working days left" in panel


def test_ms_3_1_5_record_form_shows_the_amount_owed_beyond_the_deposit(client, at):
    vendor = active_vendor(name="Owing Co.")
    deposit_pay(vendor=vendor, amount="300", actor=None, reason="paid", at=OPENED)
    violation_deduction(vendor, "1000", at=OPENED)  # 300 from the deposit, 700 owed
    at(OPENED)
    client.force_login(role_user(roles.FINANCE))

    url = reverse("admin:vendors_depositentry_position") + f"?vendor={vendor.pk}"
    panel = client.get(url, **EN).content.decode()

    assert "Owed beyond the deposit" in panel and "¥700.00" in panel
    assert "¥0.00" in panel  # the balance
    required = DepositTier.objects.get(category__code="software").amount
    assert f"¥{required + 700:,.2f}" in panel  # to top up: the shortfall and what is owed


def test_ms_3_1_5_position_of_another_chosen_vendor_is_rendered_by_the_server(client, at):
    first = _short_vendor()
    second = active_vendor(name="Whole Co.")
    deposit_pay(vendor=second, amount="5000", actor=None, reason="paid", at=OPENED)
    at(OPENED)
    client.force_login(role_user(roles.FINANCE))

    record = client.get(reverse("admin:vendors_depositentry_record") + f"?vendor={first.pk}", **EN)
    fragment = client.get(
        reverse("admin:vendors_depositentry_position") + f"?vendor={second.pk}", **EN
    ).content.decode()
    empty = client.get(reverse("admin:vendors_depositentry_position") + "?vendor=x", **EN)

    html = record.content.decode()
    assert f'data-position-url="{reverse("admin:vendors_depositentry_position")}"' in html
    assert "Deposit of Whole Co." in fragment and "¥5,000.00" in fragment
    assert "nothing: the deposit is whole" in fragment
    assert "Short Co." not in fragment
    assert empty.status_code == 200
    assert "Choose a vendor" in empty.content.decode()


def test_ms_3_1_5_record_page_script_is_a_static_file_under_the_csp(client):
    client.force_login(role_user(roles.FINANCE))

    page = client.get(reverse("admin:vendors_depositentry_record"), **EN)

    html = page.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert any("vendors/record_entry.js" in s for s in scripts)
    assert all("src=" in s for s in scripts), scripts  # no inline script
    assert " on" not in "".join(re.findall(r"<[a-z]+\b[^>]*\bon[a-z]+=", html))
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_ms_3_1_5_refused_entry_keeps_the_posted_vendors_position(client, at):
    vendor = _short_vendor()
    at(OPENED)
    client.force_login(role_user(roles.FINANCE))

    response = client.post(
        reverse("admin:vendors_depositentry_record"),
        {"vendor": vendor.pk, "kind": "top_up", "amount": "-5", "reason": "slip"},
        **EN,
    )

    assert response.status_code == 200
    assert "Deposit of Short Co." in _panel(response.content.decode())
    assert DepositEntry.objects.filter(vendor=vendor).count() == 2


def test_ms_3_1_5_top_up_recorded_from_the_obligation_closes_it(client, at):
    vendor = _short_vendor()
    at(OPENED)
    finance = role_user(roles.FINANCE)
    client.force_login(finance)
    url = reverse("admin:vendors_depositentry_record") + f"?vendor={vendor.pk}&kind=top_up"

    page = client.get(url, **EN)
    response = client.post(
        url, {"vendor": vendor.pk, "kind": "top_up", "amount": "500", "reason": "slip 9"}, **EN
    )

    assert page.context["form"].initial["kind"] == "top_up"
    assert response.status_code == 302
    assert response["Location"].endswith(f"?vendor__id__exact={vendor.pk}")
    assert TopUpObligation.objects.get(vendor=vendor).closed_at is not None
    assert DepositEntry.objects.filter(vendor=vendor, kind="top_up").get().actor == finance


@pytest.mark.parametrize("role", [roles.ONBOARDING_REVIEWER, roles.COMPLIANCE_LEAD])
def test_ms_3_1_5_position_needs_the_record_permission(client, role):
    vendor = _short_vendor()
    client.force_login(role_user(role))

    url = reverse("admin:vendors_depositentry_position") + f"?vendor={vendor.pk}"

    assert client.get(url, **EN).status_code == 403


def test_ms_3_1_5_vendor_user_cannot_read_a_position(client):
    vendor = _short_vendor()
    other = _short_vendor("Peer Co.")
    client.force_login(vendor_user(vendor))

    url = reverse("admin:vendors_depositentry_position") + f"?vendor={other.pk}"
    response = client.get(url, **EN)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert b"Peer Co." not in response.content


def test_ms_3_1_5_chinese_record_page(client, at):
    vendor = _short_vendor()
    at(OPENED)
    client.force_login(role_user(roles.FINANCE))

    html = client.get(
        reverse("admin:vendors_depositentry_record") + f"?vendor={vendor.pk}"
    ).content.decode()

    panel = _panel(html)
    assert "Short Co. 的保证金" in panel
    assert "还剩 7 个工作日" in panel
    assert "截止于 2026-10-14 23:59（北京时间）" in panel
