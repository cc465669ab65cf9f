"""Concurrent ledger writes (MS-3.1.5) on PostgreSQL with real threads and connections."""

import functools
from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.factories import violation_deduction
from tests.threads import errors_of, run_concurrently
from tests.vendors.factories import active_vendor
from vendors.models import DepositEntry, TopUpObligation
from vendors.selectors import deposit_balance, deposit_owed
from vendors.services import deposit_pay, deposit_topup

THREADS = 8
ROUNDS = 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ms_3_1_5_concurrent_deductions_and_top_ups_lose_nothing_and_never_overdraw():
    vendor = active_vendor(categories=("tool",))
    deposit_pay(vendor=vendor, amount="1000", actor=None, reason="opening deposit")

    def work(n: int) -> None:
        for i in range(ROUNDS):
            if (n + i) % 3 == 2:
                deposit_topup(vendor=vendor, amount="70.00", actor=None, reason=f"t{n}-{i}")
            else:
                violation_deduction(vendor, "130.00", reference=f"P-{n}-{i}", reason=f"d{n}-{i}")

    outcomes = run_concurrently(*(functools.partial(work, n) for n in range(THREADS)))
    assert errors_of(outcomes) == []

    entries = DepositEntry.objects.filter(vendor=vendor)
    deductions = entries.filter(kind="deduction").count()
    top_ups = entries.filter(kind="top_up").count()
    # No entry lost or duplicated: exactly one per call, each reason once.
    assert deductions + top_ups == THREADS * ROUNDS
    assert entries.values("reason").distinct().count() == THREADS * ROUNDS + 1
    # The balance is the sum of the entries and never went below zero at any point.
    totals = entries.aggregate(delta=Sum("delta"), owed=Sum("owed_delta"))
    assert deposit_balance(vendor) == totals["delta"]
    assert deposit_owed(vendor) == totals["owed"]
    running = Decimal("0")
    for delta in entries.order_by("pk").values_list("delta", flat=True):
        running += delta
        assert running >= 0
    # Money is conserved: what came in minus what was deducted equals balance minus owed.
    expected = Decimal("1000") + Decimal("70") * top_ups - Decimal("130") * deductions
    assert deposit_balance(vendor) - deposit_owed(vendor) == expected
    # Each deduction that left the deposit short opened its own obligation, none twice.
    assert TopUpObligation.objects.filter(vendor=vendor).count() == (
        TopUpObligation.objects.filter(vendor=vendor).values("opened_by").distinct().count()
    )
