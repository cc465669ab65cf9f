"""Helpers shared by the vendors services: locking, reasons, amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import ValidationFailed
from marketplace.money import parse_amount, to_money
from marketplace.service_helpers import lock_row
from vendors.models import Vendor


def lock_vendor(vendor: Vendor | int) -> Vendor:
    """Lock the vendor row: every ledger and status write of one vendor goes through it.

    Serialising on the vendor row (not on the entries) is what stops two concurrent
    deductions from both reading the same balance.
    """
    pk = vendor.pk if isinstance(vendor, Vendor) else vendor
    return lock_row(Vendor, pk)


def positive_amount(value: Any) -> Decimal:
    """A strictly positive CNY amount with two places, or a clear error.

    Typed text goes through the one money parser (plain ASCII decimal within the field's
    digits, issue 9 §2); amounts computed in code are rounded to cents.
    """
    try:
        amount = parse_amount(value) if isinstance(value, str) else to_money(value)
    except ValidationError as exc:
        message = exc.messages[0]
        raise ValidationFailed("%(text)s", code="amount_invalid", text=message) from exc
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            _("Enter an amount in yuan, such as 1000.00."), code="amount_invalid"
        ) from exc
    if amount <= 0:
        raise ValidationFailed(_("The amount must be greater than zero."), code="amount_invalid")
    return amount


def validation_failed(error: ValidationError) -> ValidationFailed:
    """A Django ValidationError as a domain error with one readable message."""
    messages = error.messages if hasattr(error, "messages") else [str(error)]
    exc = ValidationFailed("%(messages)s", code="invalid", messages=" ".join(messages))
    exc.items = list(messages)  # type: ignore[attr-defined]
    return exc
