"""Settlement statements (MS-2.6, MS-2.7, MS-4.5, MS-5.5, MS-5.6, MS-3.1.5 ④): the monthly
run (idempotent, set-based, late sources to the next month) and the statement's life."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import SalesMode
from marketplace import roles
from marketplace.exceptions import StateConflict, ValidationFailed
from orders.exceptions import TransitionNotAllowed
from orders.models import (
    Clawback,
    Order,
    RefundHandling,
    Statement,
    StatementAdjustment,
    StatementLine,
)
from orders.services import clawback_deduct_from_deposit, order_settle
from orders.services.settlement import (
    parse_period,
    settlement_run,
    statement_approve,
    statement_issue,
    statement_issue_fee_invoice,
    statement_mark_paid,
    statement_record_vat_invoice,
    statement_request_fee_invoice,
    statement_resolve_dispute,
    statement_vendor_confirm,
    statement_vendor_dispute,
)
from orders.statement_selectors import statements_unsettled_for_vendor
from tests.factories import role_user
from tests.orders.settlement_helpers import at, order, refund_paid
from tests.threads import errors_of, run_concurrently
from vendors import exit_checks

pytestmark = pytest.mark.django_db

JULY, AUGUST, SEPTEMBER = parse_period("2026-07"), parse_period("2026-08"), parse_period("2026-09")


def run(period):
    return settlement_run(period=period)


def finance():
    return role_user(roles.FINANCE)


def close(statement, *, vat: bool = False):
    """Issue, confirm, (VAT-invoice,) approve and pay a statement."""
    statement = statement_issue(statement=statement, actor=finance(), reason="July closed")
    statement = statement_vendor_confirm(statement=statement, actor=None)
    if vat:
        statement = statement_record_vat_invoice(
            statement=statement,
            actor=None,
            number="44031234",
            date=dt.date(2026, 8, 5),
            amount=statement.net_amount,
        )
    statement = statement_approve(statement=statement, actor=finance(), reason="checked")
    return statement_mark_paid(
        statement=statement, actor=finance(), reason="bank transfer", reference="TX-1"
    )


def test_ms_2_6_ms_2_7_fee_at_the_snapshot_rate_rounded_half_up_once_per_line():
    first = order(amount="100.05")  # fee 10.005 → 10.01
    Order.objects.filter(pk=first.pk).update(service_fee_rate=Decimal("0.1000"))
    second = order(vendor=first.vendor, amount="50.00", when=at(7, 20))
    # MS-2.7 snapshot: a rate changed after purchase is not applied to the sold order.
    Order.objects.filter(pk=second.pk).update(service_fee_rate=Decimal("0.0500"))
    refund_paid(second, "20.00", at(7, 25))
    result = run(JULY)
    assert (result.statements, result.lines) == (1, 3)
    statement = Statement.objects.get()
    assert statement.gross_amount == Decimal("150.05")
    assert statement.fee_amount == Decimal("12.51")  # 10.01 + 2.50
    assert statement.refund_amount == Decimal("20.00")
    assert statement.fee_returned == Decimal("1.00")  # 20.00 × 5 %
    assert statement.net_amount == Decimal("150.05") - Decimal("12.51") - Decimal("19.00")
    lines = {ln.order_id: ln for ln in statement.lines.filter(kind="order")}
    assert lines[first.pk].fee_amount == Decimal("10.01")
    assert statement.history.count() == 1  # the run recorded who/why


def test_statement_per_vendor_month_and_sales_mode():
    a = order(mode=SalesMode.PLATFORM)
    order(vendor=a.vendor, mode=SalesMode.CONSIGNMENT)
    order(mode=SalesMode.PLATFORM)  # another vendor
    order(vendor=a.vendor, when=at(8))  # next month: not in July
    assert run(JULY).statements == 3
    assert set(Statement.objects.filter(vendor=a.vendor).values_list("sales_mode", flat=True)) == {
        SalesMode.PLATFORM,
        SalesMode.CONSIGNMENT,
    }


def test_rerun_changes_nothing_and_late_refund_goes_to_the_next_month():
    first = order(amount="200.00")
    run(JULY)
    before = list(Statement.objects.values())
    # A refund paid on 31 July (China time) but recorded after July's statement was made.
    refund_paid(first, "50.00", at(7, 31, 23))
    again = run(JULY)
    assert again.statements == 0 and list(Statement.objects.values()) == before
    run(AUGUST)
    august = Statement.objects.get(period=AUGUST)
    assert august.refund_amount == Decimal("50.00") and august.fee_returned == Decimal("5.00")
    assert StatementLine.objects.filter(refund__isnull=False).count() == 1


def test_dry_run_writes_nothing():
    order()
    result = settlement_run(period=JULY, dry_run=True)
    assert result.statements == 1 and result.dry_run
    assert not Statement.objects.exists() and not StatementLine.objects.exists()


def test_month_not_over_and_months_out_of_order_are_refused():
    with pytest.raises(ValidationFailed) as exc:
        settlement_run(period=JULY, now=dt.datetime(2026, 7, 31, 12, tzinfo=dt.UTC))
    assert exc.value.code == "period_open"
    order(when=at(8))
    run(AUGUST)
    with pytest.raises(StateConflict) as exc:
        run(JULY)
    assert exc.value.code == "period_out_of_order"
    with pytest.raises(ValidationFailed) as exc:
        parse_period("2026-13")
    assert exc.value.code == "bad_period"


def test_run_settlement_command_and_bad_period(capsys):
    order()
    call_command("run_settlement", "--period", "2026-07", "--dry-run")
    assert "dry run" in capsys.readouterr().out and not Statement.objects.exists()
    call_command("run_settlement", "--period", "2026-07")
    assert Statement.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("run_settlement", "--period", "July")


def _queries_for(vendors: int, period) -> int:
    for _n in range(vendors):
        first = order(when=at(period.month, 3))
        order(vendor=first.vendor, when=at(period.month, 4), mode=SalesMode.CONSIGNMENT)
        refund_paid(first, "10.00", at(period.month, 5))
    with CaptureQueriesContext(connection) as ctx:
        result = run(period)
    assert result.statements == 2 * vendors
    return len(ctx.captured_queries)


def test_run_is_set_based_a_fixed_number_of_queries_for_1_or_12_vendors():
    one = _queries_for(1, JULY)
    many = _queries_for(12, AUGUST)
    assert one == many, (one, many)


def test_ms_5_6_refund_after_payment_is_clawed_back_and_netted_on_the_next_statement():
    first = order(amount="300.00")
    run(JULY)
    close(Statement.objects.get(period=JULY))
    first.refresh_from_db()
    assert first.settled_amount == Decimal("270.00")  # settled by its statement
    refund_paid(first, "100.00", at(8, 12))
    clawback = Clawback.objects.get()
    assert clawback.amount == Decimal("90.00")
    run(AUGUST)
    august = Statement.objects.get(period=AUGUST)
    # Netted once, as a clawback: the refund is not counted a second time.
    assert august.clawback_amount == Decimal("90.00") and august.refund_amount == 0
    assert august.net_amount == Decimal("-90.00") and august.is_receivable
    line = august.lines.get()
    assert line.kind == "clawback" and line.clawback_id == clawback.pk
    # MS-5.6: once on a statement, the clawback cannot also be deducted from the deposit.
    with pytest.raises(StateConflict) as exc:
        clawback_deduct_from_deposit(clawback=clawback, actor=None, reason="deduct")
    assert exc.value.code == "on_statement"
    close(august)
    clawback.refresh_from_db()
    assert clawback.status == Clawback.Status.NETTED
    # And an order on a statement is not settled by hand a second time.


def test_ms_5_6_an_order_on_a_statement_is_not_settled_by_hand_too():
    first = order()
    run(JULY)
    with pytest.raises(StateConflict) as exc:
        order_settle(order=first, actor=None, reason="by hand")
    assert exc.value.code == "on_statement"


def test_order_settled_by_hand_is_not_stated_and_its_clawback_is():
    first = order(amount="100.00")
    order_settle(order=first, actor=None, reason="paid outside statements", at=at(7, 11))
    refund_paid(first, "100.00", at(7, 20))
    run(JULY)
    statement = Statement.objects.get()
    assert list(statement.lines.values_list("kind", flat=True)) == ["clawback"]
    assert statement.net_amount == Decimal("-90.00")


def test_dispute_is_settled_by_an_adjustment_on_the_next_statement_never_by_editing():
    first = order(amount="100.00")
    order(vendor=first.vendor, when=at(8))
    run(JULY)
    july = statement_issue(statement=Statement.objects.get(), actor=finance(), reason="issue")
    with pytest.raises(ValidationFailed) as exc:
        statement_vendor_dispute(statement=july, actor=None, reason=" ")
    assert exc.value.code == "reason_required"
    july = statement_vendor_dispute(statement=july, actor=None, reason="missing an order")
    with pytest.raises(StateConflict) as exc:  # not approved while the dispute is open
        statement_approve(statement=july, actor=finance(), reason="pay")
    assert exc.value.code == "dispute_open"
    july = statement_resolve_dispute(
        statement=july, actor=finance(), reason="order X was ours", amount="25.00"
    )
    before = (july.net_amount, july.line_count)
    july = statement_approve(statement=july, actor=finance(), reason="pay")
    assert (july.net_amount, july.line_count) == before
    run(AUGUST)
    august = Statement.objects.get(period=AUGUST)
    assert august.adjustment_amount == Decimal("25.00")
    assert august.net_amount == Decimal("90.00") + Decimal("25.00")
    line = august.lines.get(kind="adjustment")
    assert line.adjustment.source_statement_id == july.pk
    assert july.history.filter(history_change_reason="missing an order").exists()


def test_ms_4_5_consignment_payment_waits_for_the_vat_special_invoice_matching_the_amount():
    order(amount="100.00", mode=SalesMode.CONSIGNMENT)
    run(JULY)
    st = statement_issue(statement=Statement.objects.get(), actor=finance(), reason="issue")
    st = statement_vendor_confirm(statement=st, actor=None)
    with pytest.raises(StateConflict) as exc:
        statement_approve(statement=st, actor=finance(), reason="pay")
    assert exc.value.code == "vat_invoice_missing"
    with pytest.raises(ValidationFailed) as exc:  # the amount is checked against the statement
        statement_record_vat_invoice(
            statement=st, actor=None, number="44031234", date=dt.date(2026, 8, 2), amount="100"
        )
    assert exc.value.code == "vat_amount_mismatch"
    with pytest.raises(ValidationFailed) as exc:  # a date before the month
        statement_record_vat_invoice(
            statement=st, actor=None, number="44031234", date=dt.date(2026, 6, 2), amount="90"
        )
    assert exc.value.code == "bad_invoice_date"
    st = statement_record_vat_invoice(
        statement=st, actor=None, number="44031234", date=dt.date(2026, 8, 2), amount="90.00"
    )
    st = statement_approve(statement=st, actor=finance(), reason="pay")
    assert st.status == Statement.Status.APPROVED


def test_ms_4_5_ms_5_5_platform_fee_invoice_and_a_returned_fee_follows_the_invoice_branch():
    first = order(amount="200.00")
    run(JULY)
    july = close(Statement.objects.get())
    assert july.fee_invoice_requested_at is not None  # MS-4.5: due once the fee was paid
    with pytest.raises(StateConflict) as exc:
        statement_request_fee_invoice(statement=july, actor=None)
    assert exc.value.code == "already_requested"
    july = statement_issue_fee_invoice(
        statement=july,
        actor=finance(),
        reason="issued",
        number="FEE20260801",
        issued_on=dt.date(2026, 8, 1),
    )
    assert july.fee_invoice_amount == Decimal("20.00")
    refund_paid(first, "200.00", at(9, 3))  # after payment: a clawback returning the fee
    run(AUGUST)
    run(SEPTEMBER)
    september = Statement.objects.get(period=SEPTEMBER)
    september = statement_issue(statement=september, actor=finance(), reason="issue")
    line = september.lines.get()
    # MS-5.5 ②: the fee invoice was issued in an earlier month: red-letter form and red invoice.
    assert line.fee_invoice_handling == RefundHandling.RED_LETTER
    assert september.fee_returned == 0 and september.clawback_amount == Decimal("180.00")


def test_ms_5_5_fee_not_yet_invoiced_needs_nothing():
    first = order(amount="100.00")
    run(JULY)
    refund_paid(first, "100.00", at(8, 3))
    run(AUGUST)
    aug = statement_issue(
        statement=Statement.objects.get(period=AUGUST), actor=finance(), reason="i"
    )
    assert aug.lines.get().fee_invoice_handling == RefundHandling.NOTHING_NEEDED


def test_transitions_refused_in_the_wrong_state():
    order()
    run(JULY)
    st = Statement.objects.get()
    with pytest.raises(TransitionNotAllowed):
        statement_vendor_confirm(statement=st, actor=None)  # still a draft
    with pytest.raises(TransitionNotAllowed):
        statement_mark_paid(statement=st, actor=None, reason="x", reference="TX")
    with pytest.raises(ValidationFailed) as exc:
        statement_issue(statement=st, actor=None, reason="")
    assert exc.value.code == "reason_required"


def test_ms_3_1_5_deposit_refund_waits_while_a_statement_is_unpaid():
    first = order()
    vendor = first.vendor
    assert statements_unsettled_for_vendor(vendor).count() == 0
    run(JULY)
    assert statements_unsettled_for_vendor(vendor).count() == 1

    def mentions_statements(reasons: list[str]) -> bool:
        return any("statement" in r.lower() or "结算单" in r for r in reasons)

    assert mentions_statements(exit_checks.outstanding_reasons(vendor))
    close(Statement.objects.get())
    assert statements_unsettled_for_vendor(vendor).count() == 0
    assert not mentions_statements(exit_checks.outstanding_reasons(vendor))


def test_ms_5_6_month_closes_end_to_end():
    """Orders, refunds and a clawback; statements issued, confirmed, VAT-invoiced, paid."""
    platform = order(amount="500.00")
    vendor = platform.vendor
    consignment = order(vendor=vendor, amount="300.00", mode=SalesMode.CONSIGNMENT)
    extra = order(vendor=vendor, amount="120.00", when=at(7, 15))
    refund_paid(extra, "20.00", at(7, 18))  # a refund paid in July
    run(JULY)
    july_p = Statement.objects.get(period=JULY, sales_mode=SalesMode.PLATFORM)
    july_c = Statement.objects.get(period=JULY, sales_mode=SalesMode.CONSIGNMENT)
    assert july_p.net_amount == Decimal("450.00") + Decimal("108.00") - Decimal("18.00")
    assert july_c.net_amount == Decimal("270.00")
    close(july_p)
    close(july_c, vat=True)
    consignment.refresh_from_db()
    assert consignment.settled_at is not None
    refund_paid(consignment, "100.00", at(8, 9))  # after payment: clawed back (MS-5.6)
    run(AUGUST)
    aug_c = Statement.objects.get(period=AUGUST, sales_mode=SalesMode.CONSIGNMENT)
    assert aug_c.clawback_amount == Decimal("90.00") and aug_c.net_amount == Decimal("-90.00")
    assert not aug_c.needs_vat_invoice  # receivable: no invoice from the vendor
    close(aug_c)
    assert statements_unsettled_for_vendor(vendor).count() == 0
    assert Clawback.objects.get().status == Clawback.Status.NETTED
    total = sum(Statement.objects.values_list("net_amount", flat=True), Decimal("0"))
    # gross 920 − refunds 120 − fees (92 − 12) = 720
    assert total == Decimal("720.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_no_duplicate_statements():
    for _n in range(6):
        first = order(when=at(7, 3))
        order(vendor=first.vendor, when=at(7, 4), mode=SalesMode.CONSIGNMENT)

    def work():
        return settlement_run(period=JULY)

    outcomes = run_concurrently(work, work)
    assert errors_of(outcomes) == []
    assert sorted(outcome.value.statements for outcome in outcomes) == [0, 12]
    assert Statement.objects.count() == 12
    assert StatementLine.objects.count() == 12
    assert StatementAdjustment.objects.count() == 0
