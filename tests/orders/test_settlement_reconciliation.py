"""Reconciliation property (MS-2.6, MS-5.6): over random orders, refunds and clawbacks across
several months, the statements of each month add up to gross − refunds − fees (net of the
fees returned), every source is on exactly one statement, and a source recorded after its
month's statement was made lands on the next month's: nothing counted twice, nothing lost."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from catalog.models import SalesMode
from marketplace import roles
from orders.models import Clawback, Order, Statement, StatementLine
from orders.services import order_settle
from orders.services.settlement import (
    settlement_run,
    statement_approve,
    statement_issue,
    statement_mark_paid,
    statement_record_vat_invoice,
    statement_vendor_confirm,
)
from tests.factories import VendorFactory, role_user
from tests.orders.settlement_helpers import at, order, refund_paid

MONTHS = [7, 8, 9, 10]  # orders in July–September; refunds up to October; settled to Nov
RATES = [Decimal("0.1000"), Decimal("0.0500"), Decimal("0.0833"), Decimal("0")]
CENT = Decimal("0.01")

orders_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "vendor": st.integers(0, 1),
            "consignment": st.booleans(),
            "month": st.sampled_from(MONTHS[:3]),
            "day": st.integers(1, 27),
            "cents": st.integers(1, 500_000),
            "rate": st.sampled_from(RATES),
            "by_hand": st.integers(0, 9).map(lambda n: n == 0),  # settled outside statements
            # None: never refunded; else (share of the amount in ‰, months later, late?)
            "refund": st.none() | st.tuples(st.integers(1, 1000), st.integers(0, 1), st.booleans()),
        }
    ),
    min_size=1,
    max_size=7,
)


def _fee(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _next(month: int) -> int:
    return month + 1


class ReconciliationTest(TestCase):
    def setUp(self) -> None:
        self.finance = role_user(roles.FINANCE)

    def _pay_month(self, month: int) -> None:
        for statement in Statement.objects.filter(period=dt.date(2026, month, 1)):
            s = statement_issue(statement=statement, actor=self.finance, reason="issue")
            s = statement_vendor_confirm(statement=s, actor=None)
            if s.needs_vat_invoice:
                s = statement_record_vat_invoice(
                    statement=s,
                    actor=None,
                    number="44031234",
                    date=dt.date(2026, month, 28),
                    amount=s.net_amount,
                )
            s = statement_approve(statement=s, actor=self.finance, reason="ok")
            statement_mark_paid(statement=s, actor=self.finance, reason="paid", reference="TX")

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(specs=orders_strategy, pay=st.sets(st.sampled_from(MONTHS)))
    def test_ms_2_6_ms_5_6_statements_reconcile_month_by_month(self, specs, pay) -> None:
        vendors = [VendorFactory(), VendorFactory()]
        expected = defaultdict(lambda: {"gross": Decimal(0), "refunds": Decimal(0),
                                        "fees": Decimal(0), "lines": 0})  # fmt: skip
        made: list[tuple[dict, Order]] = []
        refunds_due: dict[int, list[tuple[dict, Order]]] = defaultdict(list)
        for month in [*MONTHS, 11]:
            for spec in [s for s in specs if s["month"] == month]:
                amount = Decimal(spec["cents"]) / 100
                mode = SalesMode.CONSIGNMENT if spec["consignment"] else SalesMode.PLATFORM
                o = order(
                    vendor=vendors[spec["vendor"]],
                    amount=str(amount),
                    when=at(month, spec["day"]),
                    mode=mode,
                )
                Order.objects.filter(pk=o.pk).update(service_fee_rate=spec["rate"])
                o.refresh_from_db()
                if spec["by_hand"]:
                    order_settle(order=o, actor=None, reason="by hand", at=at(month, 27, 20))
                else:
                    expected[month]["gross"] += amount
                    expected[month]["fees"] += _fee(amount, spec["rate"])
                    expected[month]["lines"] += 1
                made.append((spec, o))
                if spec["refund"] is not None:
                    refunds_due[month + spec["refund"][1]].append((spec, o))
            # Refunds paid this month: the timely ones before the run, the late ones after.
            late = []
            for spec, o in refunds_due.get(month, []):
                if spec["refund"][2]:
                    late.append((spec, o))
                else:
                    self._refund(spec, o, month, expected, period=month)
            settlement_run(period=dt.date(2026, month, 1))
            if month in pay:
                self._pay_month(month)
            for spec, o in late:  # recorded after its month's statement: the next month's
                self._refund(spec, o, month, expected, period=_next(month))
        settlement_run(period=dt.date(2026, 12, 1), now=dt.datetime(2027, 1, 2, tzinfo=dt.UTC))

        for month in [*MONTHS, 11, 12]:
            statements = Statement.objects.filter(period=dt.date(2026, month, 1))
            want = expected[month]
            net = sum((s.net_amount for s in statements), Decimal(0))
            gross = sum((s.gross_amount for s in statements), Decimal(0))
            assert gross == want["gross"], (month, gross, want)
            assert net == want["gross"] - want["refunds"] - want["fees"], (month, net, want)
            lines = StatementLine.objects.filter(statement__in=statements).count()
            assert lines == want["lines"], (month, lines, want)
            for s in statements:  # each statement's own arithmetic
                assert s.net_amount == (
                    s.gross_amount - s.fee_amount - s.refund_amount + s.fee_returned
                    - s.clawback_amount + s.adjustment_amount
                )  # fmt: skip
        # Nothing counted twice: every order at most once, every refund or clawback once.
        stated = StatementLine.objects.filter(kind="order")
        assert stated.count() == stated.values("order").distinct().count()
        assert stated.count() == sum(1 for spec, _o in made if not spec["by_hand"])

    def _refund(self, spec, o: Order, month: int, expected, *, period: int) -> None:
        share = Decimal(spec["refund"][0]) / 1000
        amount = max((o.amount * share).quantize(CENT), CENT)
        day = spec["day"] if month == spec["month"] else 1
        when = at(month, min(day + 1, 28), 13)
        refund_paid(o, str(amount), when)
        clawback = Clawback.objects.filter(refund__order=o).first()
        want = expected[period]
        want["refunds"] += amount
        want["lines"] += 1
        if clawback is not None:  # MS-5.6: the vendor's share clawed back; the rest was fee
            want["fees"] -= amount - clawback.amount
        else:
            want["fees"] -= _fee(amount, o.service_fee_rate)
