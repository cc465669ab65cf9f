"""Money in templates as everywhere else: `{{ amount|cny }}` → ¥1,234.50 (marketplace.money)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from marketplace.money import format_cny, format_signed_cny

register = template.Library()


@register.filter
def cny(value: Decimal | str | int | None) -> str:
    """¥1,234.50; "" for None or an empty string (a figure not known yet)."""
    if value is None or value == "":
        return ""
    return format_cny(Decimal(value))


@register.filter
def signed_cny(value: Decimal | str | int | None) -> str:
    """+¥2,000.00 / −¥800.00: an entry's effect on a balance."""
    if value is None or value == "":
        return ""
    return format_signed_cny(Decimal(value))
