"""Money helpers: Decimal CNY with two places, built from strings, never floats.

`parse_amount` is the one parser of amounts people and systems type (issue 9 §2): a plain
decimal in ASCII digits ("1000", "1000.50", "-3"), within the field's digits. Forms
(`AmountFormField`, also the admin's field for every `MoneyField`) and the API
(`AmountSerializerField`) use it; exponents, underscores, thousands separators, full-width
digits, NaN and floats are refused with one clear, translated message.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Return `value` as a CNY amount with two places; floats are refused (imprecise)."""
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    try:
        amount = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 12:
        # Beyond a MoneyField's 14 digits: the database would refuse it (a 500 otherwise).
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_cny(amount: Decimal | None) -> str:
    """¥1,234.50: as people read money (record names, messages); "" when unknown. A negative
    amount reads −¥800.00 (the sign before the currency, U+2212 as in print)."""
    if amount is None:
        return ""
    value = to_money(amount)
    return f"−¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"


def format_signed_cny(amount: Decimal | None) -> str:
    """+¥2,000.00 / −¥800.00 / ¥0.00: an amount's effect on a balance; "" when unknown."""
    if amount is None:
        return ""
    value = to_money(amount)
    return f"+{format_cny(value)}" if value > 0 else format_cny(value)


def format_rate(fraction: Decimal | None) -> str:
    """A rate stored as a fraction, read as a percentage: 0.0550 -> "5.5%"."""
    if fraction is None:
        return ""
    percent = (Decimal(fraction) * 100).quantize(Decimal("0.01")).normalize()
    return f"{percent:f}%"


class MoneyField(models.DecimalField):
    """A CNY amount: 14 digits, 2 places."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        if not args:
            kwargs.setdefault("verbose_name", _("amount (CNY)"))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "marketplace.money.MoneyField", args, kwargs

    def formfield(self, **kwargs):
        # Admin ModelForms too parse amounts with the one strict parser (no "1E+3", "１００").
        kwargs.setdefault("form_class", AmountFormField)
        return super().formfield(**kwargs)


# A plain decimal as people and billing systems write amounts: "12", "12.50", "-3".
# Exponents ("1e3"), NaN, Infinity, "1_000" and floats parse as Decimals but are not amounts;
# `\d` would also match full-width and other Unicode digits, hence [0-9] and re.ASCII.
PLAIN_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2

AMOUNT_MESSAGES = {
    "invalid": _(
        "Enter the amount as a plain number in digits 0-9 with at most two decimals, "
        "such as 1000.00."
    ),
    "max_decimal_places": _("Give the amount with at most %(places)s decimal places."),
    "max_digits": _("The amount is too large: at most %(limit)s."),
}


def is_plain_amount(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return False
    return PLAIN_AMOUNT.fullmatch(str(value).strip(" \t")) is not None


def amount_limit(max_digits: int, decimal_places: int) -> Decimal:
    """The largest amount a field of `max_digits` and `decimal_places` holds."""
    whole = max_digits - decimal_places
    return (
        Decimal(f"{'9' * whole}.{'9' * decimal_places}") if decimal_places else Decimal("9" * whole)
    )


def parse_amount(
    value: object,
    *,
    max_digits: int = MONEY_MAX_DIGITS,
    decimal_places: int = MONEY_DECIMAL_PLACES,
) -> Decimal:
    """Parse a typed amount; a `ValidationError` (code invalid/max_digits/max_decimal_places)
    with a translated message for anything that is not a plain amount the field can hold."""
    if not is_plain_amount(value):
        raise ValidationError(AMOUNT_MESSAGES["invalid"], code="invalid")
    text = str(value).strip(" \t")
    amount = Decimal(text)
    places = len(text.partition(".")[2])
    if places > decimal_places:
        raise ValidationError(
            AMOUNT_MESSAGES["max_decimal_places"],
            code="max_decimal_places",
            params={"places": decimal_places},
        )
    limit = amount_limit(max_digits, decimal_places)
    if abs(amount) > limit:
        raise ValidationError(
            AMOUNT_MESSAGES["max_digits"], code="max_digits", params={"limit": f"{limit:,}"}
        )
    return amount.quantize(Decimal(1).scaleb(-decimal_places)) if decimal_places else amount


class AmountFormField(forms.DecimalField):
    """A form's CNY amount, parsed by `parse_amount`: plain ASCII decimal, within its digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            value = format(value, "f")
        return parse_amount(value, max_digits=self.max_digits, decimal_places=self.decimal_places)


class AmountSerializerField(serializers.DecimalField):
    """The API's CNY amount (a string, "12.50"), parsed by `parse_amount`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            amount = parse_amount(
                data, max_digits=self.max_digits, decimal_places=self.decimal_places
            )
        except ValidationError as exc:
            raise serializers.ValidationError(list(exc.messages), code=exc.code) from exc
        return self.validate_precision(amount)
