"""One money parser for forms, admin and API (issue 9 §2; MS-2.7 prices, MS-3.1.5 deposits).

Only plain decimals in ASCII digits within the field's digits are amounts: "1E+3", "1_000",
full-width "１００", NaN and floats are refused with one clear message, and amounts over the
field's digits are a form error or a 400, never a 500.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from hypothesis import given
from hypothesis import strategies as st

from marketplace.exceptions import ValidationFailed
from marketplace.money import (
    AmountFormField,
    AmountSerializerField,
    MoneyField,
    parse_amount,
    to_money,
)
from tests.factories import CategoryFactory, UserFactory, VendorFactory
from vendors.models import DepositEntry, DepositTier

NOT_AMOUNTS = [
    "1E+3",
    "1e20",
    "1_000",
    "１００",
    "1,000.00",
    "NaN",
    "Infinity",
    "-",
    ".5",
    "5.",
    "",
    " ",
    "٣",  # an Arabic-Indic digit: \d would take it
    "+5",
    "0x10",
    1.5,
    True,
    None,
    [],
]
TOO_LARGE = ["99999999999999.99", "1000000000000", "-1000000000000.00"]


@pytest.mark.parametrize("value", NOT_AMOUNTS)
def test_what_is_not_a_plain_amount_is_refused(value):
    with pytest.raises(ValidationError) as err:
        parse_amount(value)
    assert err.value.code == "invalid"
    assert "0-9" in err.value.messages[0]


@pytest.mark.parametrize("value", TOO_LARGE)
def test_amounts_over_the_fields_digits_are_refused_with_the_limit(value):
    with pytest.raises(ValidationError) as err:
        parse_amount(value)
    assert err.value.code == "max_digits"
    assert "999,999,999,999.99" in err.value.messages[0]


def test_more_than_two_decimals_are_refused_not_rounded():
    with pytest.raises(ValidationError) as err:
        parse_amount("1.005")
    assert err.value.code == "max_decimal_places"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0.00"), ("12", "12.00"), (" 12.5 ", "12.50"), ("-3", "-3.00"), (7, "7.00")],
)
def test_plain_amounts_parse_to_cents(value, expected):
    assert parse_amount(value) == Decimal(expected)


@given(
    st.decimals(
        min_value=Decimal("-999999999999.99"),
        max_value=Decimal("999999999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_every_amount_the_field_holds_round_trips(amount):
    assert parse_amount(format(amount, "f")) == amount


@given(st.text(max_size=20))
def test_any_text_parses_to_an_amount_the_field_holds_or_a_validation_error(text):
    """Property: never an exception other than ValidationError, never an over-size amount."""
    try:
        amount = parse_amount(text)
    except ValidationError:
        return
    assert text.strip(" \t").isascii()
    assert abs(amount) <= Decimal("999999999999.99")
    assert amount == amount.quantize(Decimal("0.01"))


@given(st.integers(min_value=10**12, max_value=10**30))
def test_to_money_refuses_what_the_database_cannot_hold(number):
    with pytest.raises(ValueError):
        to_money(number)


# --- forms, admin, API use it ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["1E+3", "1_000", "１００", "99999999999999.99", "1e20"])
def test_form_field_refuses_with_a_message_not_an_exception(value):
    field = AmountFormField()
    with pytest.raises(ValidationError):
        field.clean(value)


def test_money_model_fields_use_the_strict_form_field_in_admin_model_forms():
    assert isinstance(MoneyField().formfield(), AmountFormField)
    form_class = modelform_factory(DepositTier, fields=["category", "amount", "effective_from"])
    assert isinstance(form_class.base_fields["amount"], AmountFormField)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["１００", "1E+3", "1_000", "99999999999999.99", "1e20"])
def test_admin_deposit_tier_form_shows_an_error_not_a_500(client, value):
    """MS-3.1.5 ①: a tier typed in the admin is a plain amount or a form error."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    category = CategoryFactory()
    before = DepositTier.objects.count()  # the default tiers of the data migration
    response = client.post(
        "/admin/vendors/deposittier/add/",
        {"category": category.pk, "amount": value, "effective_from": "2026-12-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount"]
    assert DepositTier.objects.count() == before
    ok = client.post(
        "/admin/vendors/deposittier/add/",
        {"category": category.pk, "amount": "1000.00", "effective_from": "2026-12-01"},
    )
    assert ok.status_code == 302
    assert DepositTier.objects.get(category=category).amount == Decimal("1000.00")


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["１００", "1E+3", "99999999999999.99", "1e20"])
def test_deposit_service_refuses_typed_amounts_that_are_not_plain(value):
    """The admin's ledger form passes typed text to the service: a clear error, no row."""
    from vendors.services import deposit_pay

    vendor = VendorFactory()
    with pytest.raises(ValidationFailed) as err:
        deposit_pay(vendor=vendor, amount=value, actor=None, reason="paid")
    assert err.value.code == "amount_invalid"
    assert not DepositEntry.objects.exists()


def test_api_field_answers_a_validation_error():
    from rest_framework import serializers

    field = AmountSerializerField()
    for value in ["1E+3", "１００", "99999999999999.99", 1.5]:
        with pytest.raises(serializers.ValidationError):
            field.run_validation(value)
    assert field.run_validation("12.50") == Decimal("12.50")
