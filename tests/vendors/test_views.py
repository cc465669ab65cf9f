"""Vendor pages: scoped to the user's own vendor (isolation), 403 for everyone else."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.vendors.factories import (
    active_vendor,
    complete_application,
    filled_application,
    vendor_user,
)
from vendors.models import VendorDocument
from vendors.services import deposit_deduct, deposit_pay

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
    deposit_deduct(
        vendor=vendor, amount="1200", cause="violation", reference="P-1", actor=None, reason="p"
    )
    client.force_login(vendor_user(vendor))
    page = client.get(reverse("vendor:home"), **EN).content.decode()
    assert vendor.name in page
    assert "¥0.00" in page  # balance
    assert "¥1000.00" in page  # required
    assert "¥200.00" in page  # owed
    assert "¥1200.00" in page  # to top up
    obligation = vendor.obligations.get()
    assert obligation.due_at.astimezone().strftime("%Y-%m-%d") in page
    assert 'name="language"' in page  # the language switcher
    assert "Log out" in page


def test_ms_6_1_1_home_and_onboarding_flag_expiring_documents(client):
    application = complete_application(valid_until=dt.date.today() + dt.timedelta(days=5))
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
