"""The orders demo: every order and refund state, a red-letter invoice, a SaaS failure;
running it twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from orders.models import Clawback, DeliveryFailure, Invoice, Order, Refund

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Order.objects.count(),
        Refund.objects.count(),
        Invoice.objects.count(),
        DeliveryFailure.objects.count(),
        Order.history.count(),
    )


def test_demo_covers_every_state_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    order_states = set(Order.objects.values_list("status", flat=True))
    assert order_states == set(Order.Status.values)
    assert set(Refund.objects.values_list("status", flat=True)) == set(Refund.Status.values)
    assert Invoice.objects.filter(status=Invoice.Status.RED_LETTER_REQUIRED).exists()
    assert DeliveryFailure.objects.filter(repaired_at__isnull=True).exists()
    assert Clawback.objects.exists()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first
