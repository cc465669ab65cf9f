"""Identity as people type it (MS-8.3, MS-3.1.1, MS-3.1.3 ③; issue 9 §2).

Credit code, cloud account, phone, QQ and e-mail are NFKC-normalised, trimmed and case-folded
where meaningful before validation, storage and every ban comparison.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from marketplace.exceptions import DomainError
from tests.factories import UserFactory, VendorFactory
from tests.vendors.factories import started_application
from vendors.identity import NORMALISERS, normalise_identity
from vendors.models import BannedIdentity, OnboardingApplication, Vendor
from vendors.selectors import banned_identities
from vendors.services import application_start, application_update, vendor_evict
from vendors.validators import (
    validate_cloud_account_id,
    validate_mainland_mobile,
    validate_qq,
)

FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
)


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


@pytest.fixture
def evicted(db) -> Vendor:
    vendor = VendorFactory(cloud_account_id="100200300400")
    vendor_evict(vendor=vendor, actor=None, reason="FRAUD penalty")
    return vendor


# --- the symptom: a banned identity typed in full width (MS-8.3) ------------------------------


def test_ms_8_3_banned_cloud_account_typed_in_full_width_is_refused(evicted):
    """Symptom: `1００２００３００４００` (a Chinese input method) started a new application."""
    other = VendorFactory.build()
    with pytest.raises(DomainError) as err:
        application_start(
            company_name="Same people, new company",
            credit_code=other.credit_code,
            cloud_account_id="1００２００３００４００",
            actor=None,
        )
    assert err.value.code == "identity_banned"
    assert Vendor.objects.count() == 1


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: full_width(code),
        lambda code: code.lower(),
        lambda code: f"  {code[:6]} {code[6:12]} {code[12:]}\u3000",
        lambda code: full_width(code).lower(),
    ],
)
def test_ms_8_3_banned_credit_code_in_any_width_case_or_spacing_is_refused(evicted, typed):
    other = VendorFactory.build()
    with pytest.raises(DomainError) as err:
        application_start(
            company_name="New name, same company",
            credit_code=typed(evicted.credit_code),
            cloud_account_id=other.cloud_account_id,
            actor=None,
        )
    assert err.value.code == "identity_banned"


def test_ms_8_3_ban_selector_compares_canonical_forms(evicted):
    assert banned_identities(cloud_account_id=full_width(" 100200300400 "))
    assert banned_identities(credit_code=full_width(evicted.credit_code).lower())
    assert not banned_identities(cloud_account_id="100200300401")


@pytest.mark.django_db
def test_ms_8_3_admin_start_form_refuses_the_full_width_banned_account(client, evicted):
    """The reviewers' start form (admin): same canonical form, same refusal, nothing written."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    other = VendorFactory.build()
    response = client.post(
        reverse("admin:vendors_onboardingapplication_start"),
        {
            "company_name": "Same people",
            "credit_code": other.credit_code,
            "cloud_account_id": "1００２００３００４００",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "banned for ever" in response.content.decode()
    assert Vendor.objects.count() == 1


@pytest.mark.django_db
def test_ms_3_1_1_admin_start_stores_the_canonical_identity(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    code = VendorFactory.build().credit_code
    response = client.post(
        reverse("admin:vendors_onboardingapplication_start"),
        {
            "company_name": "Full-width Co.",
            # 18 characters once spaces are gone: the length check follows normalisation.
            "credit_code": f"{full_width(code[:9]).lower()} {code[9:]}",
            "cloud_account_id": "１２３４５６７８９",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    vendor = Vendor.objects.get()
    assert vendor.credit_code == code and vendor.cloud_account_id == "123456789"


# --- storage and lookups -------------------------------------------------------------------


@pytest.mark.django_db
def test_ms_8_3_model_stores_and_looks_up_the_canonical_form():
    vendor = VendorFactory(cloud_account_id=" １２３４５６ ")
    vendor.refresh_from_db()
    assert vendor.cloud_account_id == "123456"
    assert Vendor.objects.get(cloud_account_id="１２３４５６") == vendor
    assert Vendor.objects.filter(credit_code=full_width(vendor.credit_code).lower()).exists()


@pytest.mark.django_db
def test_ms_3_1_3_contact_fields_are_stored_in_canonical_form():
    application = started_application()
    application_update(
        application=application,
        actor=None,
        contact_phone="１３８ ００１３-８０００",
        contact_qq="１２３４５６",
        contact_email=" Li.Lei＠Example.COM ",
    )
    application.refresh_from_db()
    assert application.contact_phone == "13800138000"
    assert application.contact_qq == "123456"
    assert application.contact_email == "li.lei@example.com"


@pytest.mark.django_db
def test_ms_3_1_3_vendor_page_accepts_full_width_contact_and_stores_ascii(client):
    from tests.vendors.test_views import EN, vendor_user

    application = started_application()
    client.force_login(vendor_user(application.vendor))
    edit = reverse("vendor:application_edit", args=[application.pk])
    data = {
        "contact_name": "李雷",
        "contact_phone": "１３８００１３８０００",
        "contact_qq": "１２３４５６",
        "contact_email": "LiLei@Example.com",
    }
    assert client.post(edit, data, **EN).status_code == 302
    application.refresh_from_db()
    assert (application.contact_phone, application.contact_qq, application.contact_email) == (
        "13800138000",
        "123456",
        "lilei@example.com",
    )


# --- validators: ASCII digits only, whole value --------------------------------------------


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validate_cloud_account_id, "１００２００３００４００"),
        (validate_cloud_account_id, "١٢٣٤٥٦"),  # Arabic-Indic digits
        (validate_qq, "１２３４５６"),
        (validate_mainland_mobile, "１３８００１３８０００"),
        (validate_mainland_mobile, "13800138000\n"),
    ],
)
def test_ms_8_3_validators_accept_only_ascii_digits(validator, value):
    with pytest.raises(ValidationError):
        validator(value)


@given(field=st.sampled_from(sorted(NORMALISERS)), text=st.text(max_size=30))
def test_normalisation_is_idempotent(field, text):
    once = normalise_identity(field, text)
    assert normalise_identity(field, once) == once


@given(digits=st.text(alphabet="0123456789", min_size=5, max_size=20))
def test_full_width_digits_normalise_to_ascii(digits):
    assert normalise_identity("cloud_account_id", full_width(digits)) == digits


# --- the data migration --------------------------------------------------------------------


def _raw_update(table: str, column: str, value: str, pk: int) -> None:
    # Rows typed before normalisation: written past the model field, as they were stored.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def _migrate() -> None:
    module = importlib.import_module("vendors.migrations.0005_normalise_identities")
    module.normalise(apps, None)


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_ms_8_3_migration_normalises_existing_rows_and_bans(capsys):
    vendor = VendorFactory(cloud_account_id="555666777")
    _raw_update("vendors_vendor", "cloud_account_id", "５５５６６６７７７", vendor.pk)
    _raw_update("vendors_vendor", "credit_code", vendor.credit_code.lower(), vendor.pk)
    application = started_application()
    _raw_update("vendors_onboardingapplication", "contact_email", "A@B.CN", application.pk)
    banned = VendorFactory(status=Vendor.Status.EVICTED)
    ban = BannedIdentity.objects.create(
        kind=BannedIdentity.Kind.CLOUD_ACCOUNT,
        value="999888777",
        vendor=banned,
        reason="FRAUD",
        banned_at=banned.created_at if hasattr(banned, "created_at") else "2026-01-01T00:00Z",
    )
    _raw_update("vendors_bannedidentity", "value", "９９９８８８７７７", ban.pk)
    _migrate()
    assert _raw("vendors_vendor", "cloud_account_id", vendor.pk) == "555666777"
    assert _raw("vendors_vendor", "credit_code", vendor.pk) == vendor.credit_code
    assert _raw("vendors_onboardingapplication", "contact_email", application.pk) == "a@b.cn"
    assert _raw("vendors_bannedidentity", "value", ban.pk) == "999888777"


@pytest.mark.django_db
def test_ms_8_3_migration_keeps_and_reports_collisions(capsys):
    """Two rows of one identity cannot share the unique value: kept as typed and reported;
    a live vendor holding a banned identity is reported for review."""
    first = VendorFactory(cloud_account_id="123123123")
    second = VendorFactory(cloud_account_id="321321321")
    _raw_update("vendors_vendor", "cloud_account_id", "１２３１２３１２３", second.pk)
    evicted = VendorFactory(status=Vendor.Status.EVICTED, cloud_account_id="777777777")
    BannedIdentity.objects.create(
        kind=BannedIdentity.Kind.CLOUD_ACCOUNT,
        value="777777777",
        vendor=evicted,
        reason="FRAUD",
        banned_at="2026-01-01T00:00Z",
    )
    slipped = VendorFactory(cloud_account_id="777777778")
    _raw_update("vendors_vendor", "cloud_account_id", "７７７７７７７７７", slipped.pk)
    _raw_update("vendors_vendor", "cloud_account_id", "777777779", evicted.pk)
    _migrate()
    out = capsys.readouterr().out
    assert _raw("vendors_vendor", "cloud_account_id", second.pk) == "１２３１２３１２３"
    assert f"Vendor {second.pk} cloud_account_id" in out and "kept" in out
    assert _raw("vendors_vendor", "cloud_account_id", first.pk) == "123123123"
    assert _raw("vendors_vendor", "cloud_account_id", slipped.pk) == "777777777"
    assert f"vendor {slipped.pk} holds a banned identity" in out
    assert OnboardingApplication.objects.count() == 0
