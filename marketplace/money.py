"""Money helpers: Decimal CNY with two places, built from strings, never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_cny(amount: Decimal) -> str:
    return f"¥{to_money(amount):,.2f}"


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


# A plain decimal as people and billing systems write amounts: "12", "12.50", "-3".
# Exponents ("1e3"), NaN, Infinity and floats parse as Decimals but are not amounts.
PLAIN_AMOUNT = re.compile(r"-?\d+(\.\d+)?")


def is_plain_amount(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return False
    return PLAIN_AMOUNT.fullmatch(str(value).strip()) is not None


class AmountFormField(forms.DecimalField):
    """A form's CNY amount: a plain decimal string, two places, never an exponent."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not is_plain_amount(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
