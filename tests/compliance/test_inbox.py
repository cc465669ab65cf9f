"""Issue 13: the vendor's notification inbox and the staff member's preferred language.

Read state is per vendor (docs/decisions/vendors.md "Inbox"); marking read writes history
naming who read; another vendor's notice is not found.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import VendorNotification
from compliance.notifications import vendor_contacts
from tests.factories import VendorFactory, VendorStaffFactory

pytestmark = pytest.mark.django_db

_keys = itertools.count(1)


def make_notice(vendor, *, rule_id: str = "MS-5.8", subject: str = "") -> VendorNotification:
    n = next(_keys)
    return VendorNotification.objects.create(
        vendor=vendor,
        rule_id=rule_id,
        subject=subject or f"Notice {n} ({rule_id})",
        body=f"Body of notice {n}",
        dedupe_key=f"test:{n}",
        action_required_by=timezone.now(),
    )


def _login(client, vendor):
    staff = VendorStaffFactory(vendor=vendor)
    client.force_login(staff.user)
    client.cookies["django_language"] = "en"
    return staff.user


def _unread_badge(html: str) -> int:
    match = re.search(r'data-unread="(\d+)"', html)
    return int(match.group(1)) if match else 0


def test_inbox_lists_notices_with_the_unread_count_in_the_navigation(client):
    vendor = VendorFactory()
    _login(client, vendor)
    make_notice(vendor, subject="Refund rate above 1%")
    make_notice(vendor, rule_id="MS-4.2", subject="Delivery failed")
    html = client.get(reverse("vendor:inbox")).content.decode()
    assert "Refund rate above 1%" in html and "Delivery failed" in html
    assert _unread_badge(html) == 2
    # The count shows on every vendor page, the home page included.
    assert _unread_badge(client.get(reverse("vendor:home")).content.decode()) == 2


def test_inbox_filters_by_rule_and_ignores_unknown_rules(client):
    vendor = VendorFactory()
    _login(client, vendor)
    make_notice(vendor, rule_id="MS-5.8", subject="KPI notice")
    make_notice(vendor, rule_id="MS-4.2", subject="Delivery notice")
    html = client.get(reverse("vendor:inbox"), {"rule": "MS-4.2"}).content.decode()
    assert "Delivery notice" in html and "KPI notice" not in html
    response = client.get(reverse("vendor:inbox"), {"rule": "<script>"})
    assert response.status_code == 200 and b"KPI notice" in response.content


def test_mark_one_read_records_who_and_is_read_for_the_whole_vendor(client):
    vendor = VendorFactory()
    user = _login(client, vendor)
    notice = make_notice(vendor)
    response = client.post(reverse("vendor:notice_read", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert notice.history.first().history_user == user
    # Another staff member of the same vendor sees it read (per-vendor read state).
    client.force_login(VendorStaffFactory(vendor=vendor).user)
    assert _unread_badge(client.get(reverse("vendor:inbox")).content.decode()) == 0


def test_mark_all_read_of_one_rule_leaves_the_others(client):
    vendor = VendorFactory()
    user = _login(client, vendor)
    kpi = [make_notice(vendor, rule_id="MS-5.8") for _ in range(3)]
    other = make_notice(vendor, rule_id="MS-4.2")
    client.post(reverse("vendor:notices_read_all"), {"rule": "MS-5.8"})
    assert all(VendorNotification.objects.get(pk=n.pk).read_at for n in kpi)
    assert VendorNotification.objects.get(pk=other.pk).read_at is None
    assert {h.history_user for n in kpi for h in n.history.filter(history_type="~")} == {user}
    client.post(reverse("vendor:notices_read_all"))
    assert not VendorNotification.objects.filter(vendor=vendor, read_at__isnull=True).exists()


def test_marking_another_vendors_notice_read_is_404_and_changes_nothing(client):
    _login(client, VendorFactory())
    theirs = make_notice(VendorFactory())
    response = client.post(reverse("vendor:notice_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("vendor:notices_read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_each_notice_links_to_its_subject(client):
    from compliance.models import EvaluationOutcome, RuleEvaluation

    vendor = VendorFactory()
    _login(client, vendor)
    evaluation = RuleEvaluation.objects.create(
        rule="deposit_topup",
        rule_id="MS-3.1.5 ③",
        vendor=vendor,
        subject_type="topup_obligation",
        subject_id="1",
        outcome=EvaluationOutcome.ACTED,
        as_of=timezone.now(),
    )
    notice = make_notice(vendor, rule_id="MS-3.1.5 ③")
    notice.evaluation = evaluation
    notice.save(update_fields=["evaluation"])
    html = client.get(reverse("vendor:inbox")).content.decode()
    assert f'href="{reverse("vendor:deposit")}"' in html


def test_preferred_language_is_stored_and_used_for_notices(client):
    vendor = VendorFactory()
    staff = VendorStaffFactory(vendor=vendor, is_owner=True)
    client.force_login(staff.user)
    assert vendor_contacts([vendor.pk])[vendor.pk][0] == "zh-hans"
    response = client.post(reverse("vendor:settings"), {"language": "en"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    staff.refresh_from_db()
    assert staff.language == "en"
    assert staff.history.first().history_change_reason == "preferred language"
    # The sweep renders the vendor's notices and e-mails in the owner's language.
    assert vendor_contacts([vendor.pk])[vendor.pk][0] == "en"


def test_an_unknown_language_is_refused_and_nothing_is_written(client):
    staff = VendorStaffFactory(vendor=VendorFactory())
    client.force_login(staff.user)
    response = client.post(reverse("vendor:settings"), {"language": "xx"})
    assert response.status_code == 400
    staff.refresh_from_db()
    assert staff.language == "zh-hans"
