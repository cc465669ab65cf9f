"""Money and rates as people read them in record names (issue 12 §2: money as money)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from catalog.models import ServiceFeeRate
from marketplace.money import format_cny, format_rate, format_signed_cny
from orders.models import Clawback
from tests.factories import VendorFactory
from vendors.models import DepositEntry, EntryKind


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234567.5"), "¥1,234,567.50"),
        (Decimal("0"), "¥0.00"),
        (Decimal("-800"), "−¥800.00"),  # the sign before the currency, never ¥-800.00
        (None, ""),
    ],
)
def test_format_cny(amount, shown):
    assert format_cny(amount) == shown


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(Decimal("2000"), "+¥2,000.00"), (Decimal("-800.5"), "−¥800.50"), (Decimal("0"), "¥0.00")],
)
def test_format_signed_cny(amount, shown):
    assert format_signed_cny(amount) == shown


def test_templates_show_money_through_the_same_helpers():
    """Every vendor page writes {{ x|cny }}: the figures read as on the admin and the home."""
    html = Template(
        "{% load money %}{{ a|cny }}|{{ b|cny }}|{{ c|signed_cny }}|{{ d|cny }}|{{ e|cny }}"
    ).render(
        Context({"a": Decimal("1000"), "b": "99.5", "c": Decimal("-300"), "d": None, "e": ""})
    )
    assert html == "¥1,000.00|¥99.50|−¥300.00||"


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(Decimal("0.1000"), "10%"), (Decimal("0.0550"), "5.5%"), (Decimal("0.0025"), "0.25%")],
)
def test_format_rate(rate, shown):
    assert format_rate(rate) == shown


@pytest.mark.django_db
def test_record_names_show_thousands_separators_and_percentages():
    vendor = VendorFactory(name="Acme")
    entry = DepositEntry(vendor=vendor, kind=EntryKind.PAYMENT, amount=Decimal("12000.00"))
    assert "¥12,000.00" in str(entry)
    assert "¥3,500.00" in str(Clawback(vendor=vendor, amount=Decimal("3500")))
    assert ": 5.5% @ 2026-01-01" in str(
        ServiceFeeRate(rate=Decimal("0.0550"), effective_from="2026-01-01")
    )
