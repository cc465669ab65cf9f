"""Helpers the catalogue services share: input checks, vendor checks, transitions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from catalog.exceptions import (
    InvalidSpecification,
    VendorMayNotPublish,
    ZeroPriceForbidden,
)
from catalog.models import Specification, zero_price_refused
from marketplace.money import to_money
from vendors.models import Vendor


@dataclass(frozen=True)
class SpecInput:
    """A specification as a vendor enters it; `price` is a string or Decimal, never a float."""

    name: str
    price: Decimal | str
    billing_period: str = Specification.BillingPeriod.ONCE
    is_trial: bool = False

    def as_snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "price": str(to_money(self.price)),
            "billing_period": self.billing_period,
            "is_trial": self.is_trial,
        }


def _beyond_money_digits(value: Any) -> bool:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return amount.is_finite() and abs(amount) >= Decimal(10) ** 12


def clean_spec(*, kind: str, spec: SpecInput) -> SpecInput:
    """Check one specification; returns it with the price as a 2-place Decimal."""
    name = (spec.name or "").strip()
    if not name:
        raise InvalidSpecification(_("Give the specification a name."), code="spec_name_missing")
    try:
        price = to_money(spec.price)
    except (TypeError, ValueError) as exc:
        if _beyond_money_digits(spec.price):  # to_money refuses what a MoneyField cannot hold
            raise InvalidSpecification(
                _("The price is too large."), code="spec_price_too_large"
            ) from exc
        raise InvalidSpecification(
            _("The price %(price)s is not an amount."), code="spec_price_invalid", price=spec.price
        ) from exc
    if price < 0:
        raise InvalidSpecification(_("A price cannot be negative."), code="spec_price_negative")
    if price.adjusted() >= 12:  # MoneyField holds 14 digits, 2 of them decimals
        raise InvalidSpecification(_("The price is too large."), code="spec_price_too_large")
    if spec.billing_period not in Specification.BillingPeriod.values:
        raise InvalidSpecification(
            _("Unknown billing period %(period)s."),
            code="spec_period_invalid",
            period=spec.billing_period,
        )
    if zero_price_refused(kind=kind, price=price, is_trial=spec.is_trial):  # MS-4.1.5
        raise ZeroPriceForbidden()
    return SpecInput(
        name=name, price=price, billing_period=spec.billing_period, is_trial=bool(spec.is_trial)
    )


def clean_specs(*, kind: str, specs: list[SpecInput]) -> list[SpecInput]:
    cleaned = [clean_spec(kind=kind, spec=spec) for spec in specs]
    names = [spec.name for spec in cleaned]
    if len(set(names)) != len(names):
        raise InvalidSpecification(
            _("Two specifications have the same name."), code="spec_name_duplicate"
        )
    return cleaned


def require_sellable_specs(specs: list[SpecInput]) -> None:
    """A product goes to review with at least one paid-for (non-trial) specification."""
    if not any(not spec.is_trial for spec in specs):
        raise InvalidSpecification(
            _("Add at least one specification that is not a trial."), code="no_specification"
        )


def ensure_vendor_may_publish(vendor: Vendor) -> None:
    """Only an active vendor whose publishing is not restricted may submit (RULES, MS-7)."""
    if vendor.status != Vendor.Status.ACTIVE:
        raise VendorMayNotPublish(
            _("Only an active vendor may submit products; yours is %(status)s."),
            code="vendor_not_active",
            status=vendor.get_status_display(),
        )
    if not vendor.can_publish:
        raise VendorMayNotPublish(
            _("Publishing products is restricted for your company at the moment."),
            code="publishing_restricted",
        )
