# ruff: noqa: S608 -- SQL built from the models' meta (quoted identifiers); values are parameters
"""Settlement statements (MS-2.6, MS-2.7, MS-4.5, MS-5.5, MS-5.6): the monthly run and the
statement's life (issue → confirm/dispute → approve → pay).

The run is set-based: a fixed number of statements whatever the number of vendors (one
INSERT … SELECT for the statements, one per kind of line, one UPDATE of the totals, one
history insert). It is idempotent (a statement that exists for (vendor, month, mode) is never
touched again; `ON CONFLICT DO NOTHING`) and two runs at once serialise on a transaction-level
advisory lock on PostgreSQL, behind the unique constraint that makes a duplicate impossible.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from catalog.models import SalesMode
from marketplace.audit import save_audited
from marketplace.exceptions import StateConflict, ValidationFailed
from marketplace.money import ZERO, to_money
from marketplace.service_helpers import lock_row, require_reason, run_transition
from marketplace.timeutils import CHINA_TZ, china_date
from orders.models import (
    Clawback,
    Order,
    RefundHandling,
    Statement,
    StatementAdjustment,
    StatementLine,
)

__all__ = [
    "SettlementResult",
    "parse_period",
    "period_bounds",
    "settlement_run",
    "statement_approve",
    "statement_issue",
    "statement_issue_fee_invoice",
    "statement_mark_paid",
    "statement_record_vat_invoice",
    "statement_request_fee_invoice",
    "statement_resolve_dispute",
    "statement_vendor_confirm",
    "statement_vendor_dispute",
]

# Any constant: the key of the advisory lock two concurrent runs serialise on.
RUN_LOCK_KEY = 0x5E771E


def parse_period(text: str) -> dt.date:
    """'2026-10' → the first day of that month; anything else is refused."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise ValidationFailed(_("Give the month as YYYY-MM, e.g. 2026-10."), code="bad_period")
    return dt.date(int(match[1]), int(match[2]), 1)


def period_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The China-time month as aware instants [start, end)."""
    start = dt.datetime(period.year, period.month, 1, tzinfo=CHINA_TZ)
    nxt = dt.date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return start, dt.datetime(nxt.year, nxt.month, 1, tzinfo=CHINA_TZ)


@dataclass(frozen=True)
class SettlementResult:
    period: dt.date
    statements: int
    lines: int
    net_total: Decimal
    dry_run: bool


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _c(model: Any, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _fee(amount: str, rate: str) -> str:
    """SQL of `amount × rate` rounded half-up to the cent, in exact integer arithmetic (the
    same on PostgreSQL and SQLite, whose decimals are floats): the rounding rule, once."""
    cents = f"CAST(ROUND({amount} * 100) AS BIGINT)"
    basis_points = f"CAST(ROUND({rate} * 10000) AS BIGINT)"
    return f"((({cents} * {basis_points}) + 5000) / 10000) * 0.01"


def _sql(period_end_param: str = "%s") -> dict[str, str]:
    """The run's statements (PostgreSQL and SQLite alike)."""
    O, C, A, L = Order, Clawback, StatementAdjustment, StatementLine  # noqa: E741
    R = Clawback._meta.get_field("refund").related_model
    o_line_exists = (
        f"EXISTS (SELECT 1 FROM {_t(L)} ol WHERE ol.{_c(L, 'order')} = o.{_c(O, 'id')} "
        f"AND ol.{_c(L, 'kind')} = 'order')"
    )
    # Sources not yet on any statement, whose moment falls before the end of the month.
    orders_src = (
        f"FROM {_t(O)} o WHERE o.{_c(O, 'paid_at')} < {period_end_param} "
        f"AND o.{_c(O, 'settled_at')} IS NULL AND NOT {o_line_exists}"
    )
    # A refund whose order was settled (statement paid, or by hand) is recovered by its
    # clawback instead (MS-5.6), never by both.
    refunds_src = (
        f"FROM {_t(R)} r JOIN {_t(O)} o ON o.{_c(O, 'id')} = r.{_c(R, 'order')} "
        f"WHERE r.{_c(R, 'status')} = 'refunded' AND r.{_c(R, 'refunded_at')} < {period_end_param} "
        f"AND NOT EXISTS (SELECT 1 FROM {_t(L)} rl WHERE rl.{_c(L, 'refund')} = r.{_c(R, 'id')}) "
        f"AND NOT EXISTS (SELECT 1 FROM {_t(C)} rc WHERE rc.{_c(C, 'refund')} = r.{_c(R, 'id')}) "
        f"AND (o.{_c(O, 'settled_at')} IS NULL OR {o_line_exists})"
    )
    clawbacks_src = (
        f"FROM {_t(C)} c JOIN {_t(O)} o ON o.{_c(O, 'id')} = c.{_c(C, 'order')} "
        f"JOIN {_t(R)} r ON r.{_c(R, 'id')} = c.{_c(C, 'refund')} "
        f"WHERE c.{_c(C, 'status')} = 'open' AND c.{_c(C, 'created_at')} < {period_end_param} "
        f"AND NOT EXISTS (SELECT 1 FROM {_t(L)} cl WHERE cl.{_c(L, 'clawback')} = c.{_c(C, 'id')})"
    )
    # A dispute's adjustment goes on the vendor's NEXT statement, whatever month that is:
    # it is made after the disputed month closed, so no month bound applies.
    adjustments_src = (
        f"FROM {_t(A)} a WHERE 1 = 1 "
        f"AND NOT EXISTS (SELECT 1 FROM {_t(L)} al "
        f"WHERE al.{_c(L, 'adjustment')} = a.{_c(A, 'id')})"
    )
    return {
        "orders": orders_src,
        "refunds": refunds_src,
        "clawbacks": clawbacks_src,
        "adjustments": adjustments_src,
    }


def _statement_join(alias: str, vendor: str, mode: str) -> str:
    S = Statement
    return (
        f"JOIN {_t(S)} s ON s.{_c(S, 'vendor')} = {alias}.{vendor} "
        f"AND s.{_c(S, 'sales_mode')} = {mode} "
        f"AND s.{_c(S, 'period')} = %s AND s.{_c(S, 'generated_at')} = %s"
    )


def _run_statements(period: dt.date, end: dt.datetime, token: dt.datetime, reason: str, actor_id):
    """Every statement of the run, with its parameters. A fixed list: the query count."""
    O, C, A, S, L = Order, Clawback, StatementAdjustment, Statement, StatementLine  # noqa: E741
    R = Clawback._meta.get_field("refund").related_model
    src = _sql()
    vid, mode = _c(O, "vendor"), _c(O, "sales_mode")
    union = (
        f"SELECT o.{vid} AS vendor_id, o.{mode} AS sales_mode {src['orders']} "
        f"UNION SELECT o.{vid}, o.{mode} {src['refunds']} "
        f"UNION SELECT o.{vid}, o.{mode} {src['clawbacks']} "
        f"UNION SELECT a.{_c(A, 'vendor')}, a.{_c(A, 'sales_mode')} {src['adjustments']}"
    )
    statement_cols = [
        "vendor", "period", "sales_mode", "status", "gross_amount", "fee_amount",
        "refund_amount", "fee_returned", "clawback_amount", "adjustment_amount", "net_amount",
        "line_count", "generated_at", "dispute_reason", "dispute_resolution",
        "payment_reference", "vat_invoice_number", "fee_invoice_number",
    ]  # fmt: skip
    insert_statements = (
        f"INSERT INTO {_t(S)} ({', '.join(_c(S, n) for n in statement_cols)}) "
        f"SELECT src.vendor_id, %s, src.sales_mode, 'draft', 0, 0, 0, 0, 0, 0, 0, 0, %s, "
        f"'', '', '', '', '' FROM ({union}) src WHERE 1 = 1 ORDER BY src.vendor_id, src.sales_mode "
        f"ON CONFLICT ({_c(S, 'vendor')}, {_c(S, 'period')}, {_c(S, 'sales_mode')}) DO NOTHING"
    )
    line_cols = [
        "statement", "kind", "order", "refund", "clawback", "adjustment", "occurred_at",
        "fee_rate", "gross_amount", "fee_amount", "net_amount", "fee_invoice_handling",
    ]  # fmt: skip
    insert_line = f"INSERT INTO {_t(L)} ({', '.join(_c(L, n) for n in line_cols)}) "
    o_fee = _fee(f"o.{_c(O, 'amount')}", f"o.{_c(O, 'service_fee_rate')}")
    ra = f"r.{_c(R, 'approved_amount')}"
    r_fee = _fee(ra, f"o.{_c(O, 'service_fee_rate')}")
    rate = f"o.{_c(O, 'service_fee_rate')}"
    run = [period, token]
    lines_orders = (
        f"{insert_line} SELECT s.{_c(S, 'id')}, 'order', o.{_c(O, 'id')}, NULL, NULL, NULL, "
        f"o.{_c(O, 'paid_at')}, {rate}, o.{_c(O, 'amount')}, {o_fee}, "
        f"o.{_c(O, 'amount')} - {o_fee}, '' "
        f"FROM {_t(O)} o {_statement_join('o', vid, 'o.' + mode)} "
        f"WHERE {src['orders'].split(' WHERE ', 1)[1]}"
    )
    lines_refunds = (
        f"{insert_line} SELECT s.{_c(S, 'id')}, 'refund', o.{_c(O, 'id')}, r.{_c(R, 'id')}, "
        f"NULL, NULL, r.{_c(R, 'refunded_at')}, {rate}, -{ra}, -({r_fee}), -({ra} - {r_fee}), '' "
        f"FROM {_t(R)} r JOIN {_t(O)} o ON o.{_c(O, 'id')} = r.{_c(R, 'order')} "
        f"{_statement_join('o', vid, 'o.' + mode)} "
        f"WHERE {src['refunds'].split(' WHERE ', 1)[1]}"
    )
    ca = f"c.{_c(C, 'amount')}"
    lines_clawbacks = (
        f"{insert_line} SELECT s.{_c(S, 'id')}, 'clawback', o.{_c(O, 'id')}, NULL, "
        f"c.{_c(C, 'id')}, NULL, c.{_c(C, 'created_at')}, {rate}, -{ra}, -({ra} - {ca}), -{ca}, '' "
        f"FROM {_t(C)} c JOIN {_t(O)} o ON o.{_c(O, 'id')} = c.{_c(C, 'order')} "
        f"JOIN {_t(R)} r ON r.{_c(R, 'id')} = c.{_c(C, 'refund')} "
        f"{_statement_join('o', vid, 'o.' + mode)} "
        f"WHERE {src['clawbacks'].split(' WHERE ', 1)[1]}"
    )
    lines_adjustments = (
        f"{insert_line} SELECT s.{_c(S, 'id')}, 'adjustment', NULL, NULL, NULL, "
        f"a.{_c(A, 'id')}, a.{_c(A, 'created_at')}, NULL, 0, 0, a.{_c(A, 'amount')}, '' "
        f"FROM {_t(A)} a "
        f"{_statement_join('a', _c(A, 'vendor'), 'a.' + _c(A, 'sales_mode'))} "
        f"WHERE {src['adjustments'].split(' WHERE ', 1)[1]}"
    )

    def kind_sum(kind: str, column: str, sign: str = "") -> str:
        return (
            f"SUM(CASE WHEN l.{_c(L, 'kind')} = '{kind}' THEN {sign}l.{_c(L, column)} ELSE 0 END)"
        )

    st = _t(S)
    totals = (
        f"UPDATE {st} SET {_c(S, 'gross_amount')} = agg.g, {_c(S, 'fee_amount')} = agg.f, "
        f"{_c(S, 'refund_amount')} = agg.r, {_c(S, 'fee_returned')} = agg.fr, "
        f"{_c(S, 'clawback_amount')} = agg.cb, {_c(S, 'adjustment_amount')} = agg.adj, "
        f"{_c(S, 'net_amount')} = agg.n, {_c(S, 'line_count')} = agg.cnt "
        f"FROM (SELECT l.{_c(L, 'statement')} AS sid, "
        f"{kind_sum('order', 'gross_amount')} AS g, {kind_sum('order', 'fee_amount')} AS f, "
        f"{kind_sum('refund', 'gross_amount', '-')} AS r, "
        f"{kind_sum('refund', 'fee_amount', '-')} AS fr, "
        f"{kind_sum('clawback', 'net_amount', '-')} AS cb, "
        f"{kind_sum('adjustment', 'net_amount')} AS adj, "
        f"SUM(l.{_c(L, 'net_amount')}) AS n, COUNT(*) AS cnt "
        f"FROM {_t(L)} l JOIN {st} s2 ON s2.{_c(S, 'id')} = l.{_c(L, 'statement')} "
        f"WHERE s2.{_c(S, 'period')} = %s AND s2.{_c(S, 'generated_at')} = %s "
        f"GROUP BY l.{_c(L, 'statement')}) agg WHERE {st}.{_c(S, 'id')} = agg.sid"
    )
    # A source that vanished between the statement insert and the lines (a clawback deducted
    # from the deposit meanwhile) would leave an empty statement: removed.
    drop_empty = (
        f"DELETE FROM {st} WHERE {_c(S, 'period')} = %s AND {_c(S, 'generated_at')} = %s "
        f"AND {_c(S, 'line_count')} = 0"
    )
    history = Statement.history.model  # type: ignore[attr-defined]
    tracked = {f.column for f in S._meta.concrete_fields}
    h_cols, h_sel, h_params = [], [], []
    own = {
        "history_date": token,
        "history_change_reason": reason,
        "history_type": "+",
        "history_user": actor_id,
    }
    for field in history._meta.concrete_fields:
        if field.primary_key:
            continue
        h_cols.append(connection.ops.quote_name(field.column))
        if field.name in own:
            h_sel.append("%s")
            h_params.append(own[field.name])
        elif field.column in tracked:
            h_sel.append(connection.ops.quote_name(field.column))
        else:  # a history field the run does not know: fail loudly, not silently
            raise RuntimeError(f"settlement history: unknown column {field.column}")
    insert_history = (
        f"INSERT INTO {_t(history)} ({', '.join(h_cols)}) SELECT {', '.join(h_sel)} FROM {st} "
        f"WHERE {_c(S, 'period')} = %s AND {_c(S, 'generated_at')} = %s"
    )
    summary = (
        f"SELECT COUNT(*), COALESCE(SUM({_c(S, 'line_count')}), 0), "
        f"COALESCE(SUM({_c(S, 'net_amount')}), 0) FROM {st} "
        f"WHERE {_c(S, 'period')} = %s AND {_c(S, 'generated_at')} = %s"
    )
    return [
        ("statements", insert_statements, [period, token, end, end, end]),
        ("lines_orders", lines_orders, [*run, end]),
        ("lines_refunds", lines_refunds, [*run, end]),
        ("lines_clawbacks", lines_clawbacks, [*run, end]),
        ("lines_adjustments", lines_adjustments, run),
        ("totals", totals, run),
        ("drop_empty", drop_empty, run),
        ("history", insert_history, [*h_params, *run]),
        ("summary", summary, run),
    ]


def settlement_run(
    *,
    period: dt.date,
    actor: Any = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> SettlementResult:
    """Make the month's draft statements from every source not yet on one (see module doc).

    Refused: a month not yet over in China time (its orders are still coming), and a month
    before one that already has statements (months close in order)."""
    now = now or timezone.now()
    _start, end = period_bounds(period)
    if end > now:
        raise ValidationFailed(
            _("The month %(month)s is not over yet in China time."),
            code="period_open",
            month=f"{period:%Y-%m}",
        )
    reason = f"run_settlement {period:%Y-%m}" + (" (dry run)" if dry_run else "")
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic():
        with connection.cursor() as cursor:
            postgres = connection.vendor == "postgresql"
            if postgres:
                # Two runs at once: the second waits here for the first to commit, then finds
                # every statement made (ON CONFLICT and the unique constraint stay as backstop).
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RUN_LOCK_KEY])
                # Measured on 2,000,000 orders: with JIT the lines insert wrote ~130 rows/s,
                # without it ~15,000 rows/s on the same (loaded) machine. This transaction only.
                cursor.execute("SET LOCAL jit = off")
            if Statement.objects.filter(period__gt=period).exists():
                raise StateConflict(
                    _("A later month already has statements: months are settled in order."),
                    code="period_out_of_order",
                )
            # MS-5.6: open clawbacks are locked so a deposit deduction cannot recover one the
            # run is netting (clawback_deduct_from_deposit locks the same rows first).
            list(
                Clawback.objects.select_for_update()
                .filter(status=Clawback.Status.OPEN, created_at__lt=end)
                .values_list("pk", flat=True)
                .order_by("pk")
            )
            token = now
            # Microseconds make the token unique per run; the lock serialises runs anyway.
            statements = _run_statements(period, end, token, reason, actor_id)
            row = None
            for name, sql, params in statements:
                if name == "lines_orders" and postgres:
                    # With no line yet (the first run), the planner checks "order not on a
                    # line yet" by a nested loop that scans the lines table once per order;
                    # the rows this very INSERT adds are invisible to it but still read, so
                    # the run grew quadratic (11 minutes and counting at 2,000,000 orders).
                    # A hash anti-join reads the table once.
                    cursor.execute("SET LOCAL enable_nestloop = off")
                cursor.execute(sql, params)
                if name == "summary":
                    row = cursor.fetchone()
                elif name in ("statements", "lines_orders") and postgres:
                    if name == "lines_orders":
                        cursor.execute("SET LOCAL enable_nestloop = DEFAULT")
                    # The tables just grew by thousands (millions) of rows the planner has no
                    # statistics of: without them it joins 2,000,000 orders to the new
                    # statements by a nested loop, and probes millions of lines as if none.
                    # ANALYZE sees the transaction's own rows.
                    table = Statement if name == "statements" else StatementLine
                    cursor.execute(f"ANALYZE {_t(table)}")
            count, lines, net = row if row else (0, 0, ZERO)
            result = SettlementResult(
                period=period,
                statements=int(count),
                lines=int(lines),
                net_total=to_money(Decimal(str(net))),
                dry_run=dry_run,
            )
            if dry_run:
                transaction.set_rollback(True)
    return result


# --- the statement's life ----------------------------------------------------------------


@transaction.atomic
def statement_issue(*, statement: Statement, actor: Any, reason: str) -> Statement:
    """Finance issues the draft to the vendor. Platform mode (MS-5.5): a fee returned on a
    refund whose order's fee was already invoiced is marked with the invoice branch."""
    reason = require_reason(reason)
    statement = lock_row(Statement, statement.pk)
    now = timezone.now()
    run_transition(statement, "issue", actor=actor, at=now)
    save_audited(statement, actor=actor, reason=reason, update_fields=["status", "issued_at"])
    if statement.sales_mode == SalesMode.PLATFORM:
        _mark_fee_invoice_handling(statement, at=now)
    return statement


def _mark_fee_invoice_handling(statement: Statement, *, at: dt.datetime) -> None:
    """MS-5.5 for the platform's fee invoice: ③ not issued yet → nothing needed (the invoice,
    when issued, is for the net fee); ① issued in this same China month → voided and issued
    again for the net fee; ② issued in an earlier month → red-letter form and red invoice."""
    returning = list(
        statement.lines.filter(kind__in=[StatementLine.Kind.REFUND, StatementLine.Kind.CLAWBACK])
    )
    if not returning:
        return
    invoiced = dict(
        StatementLine.objects.filter(
            kind=StatementLine.Kind.ORDER, order_id__in=[ln.order_id for ln in returning]
        ).values_list("order_id", "statement__fee_invoice_issued_on")
    )
    month = china_date(at).replace(day=1)
    for line in returning:
        issued_on = invoiced.get(line.order_id)
        if issued_on is None:
            line.fee_invoice_handling = RefundHandling.NOTHING_NEEDED
        elif issued_on.replace(day=1) == month:
            line.fee_invoice_handling = RefundHandling.VOID
        else:
            line.fee_invoice_handling = RefundHandling.RED_LETTER
    StatementLine.objects.bulk_update(returning, ["fee_invoice_handling"])


@transaction.atomic
def statement_vendor_confirm(*, statement: Statement, actor: Any, note: str = "") -> Statement:
    statement = lock_row(Statement, statement.pk)
    run_transition(statement, "vendor_confirm", actor=actor, at=timezone.now())
    save_audited(
        statement,
        actor=actor,
        reason=note or "vendor confirmed",
        update_fields=["status", "answered_at"],
    )
    return statement


@transaction.atomic
def statement_vendor_dispute(*, statement: Statement, actor: Any, reason: str) -> Statement:
    """The vendor disputes, saying why; settled by an adjustment on the NEXT statement."""
    reason = require_reason(reason)
    statement = lock_row(Statement, statement.pk)
    run_transition(statement, "vendor_dispute", actor=actor, at=timezone.now(), reason=reason)
    save_audited(
        statement,
        actor=actor,
        reason=reason,
        update_fields=["status", "answered_at", "dispute_reason"],
    )
    return statement


@transaction.atomic
def statement_resolve_dispute(
    *, statement: Statement, actor: Any, reason: str, amount: Decimal | str | None = None
) -> Statement:
    """Finance answers a dispute: an adjustment (≠ 0) goes on the vendor's next statement of
    the same mode; zero or none refuses the claim. The disputed statement is not edited."""
    reason = require_reason(reason)
    statement = lock_row(Statement, statement.pk)
    if statement.status != Statement.Status.DISPUTED or statement.dispute_resolved_at:
        raise StateConflict(_("Only an open dispute can be resolved."), code="not_disputed")
    value = to_money(amount) if amount not in (None, "") else ZERO
    now = timezone.now()
    if value != 0:
        adjustment = StatementAdjustment(
            vendor_id=statement.vendor_id,
            sales_mode=statement.sales_mode,
            source_statement=statement,
            amount=value,
            reason=reason,
            created_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        save_audited(adjustment, actor=actor, reason=reason)
    statement.dispute_resolution = reason
    statement.dispute_resolved_at = now
    save_audited(
        statement,
        actor=actor,
        reason=reason,
        update_fields=["dispute_resolution", "dispute_resolved_at"],
    )
    return statement


@transaction.atomic
def statement_record_vat_invoice(
    *,
    statement: Statement,
    actor: Any,
    number: str,
    date: dt.date,
    amount: Decimal | str,
) -> Statement:
    """Consignment (MS-4.5): the vendor records its VAT special invoice (增值税专用发票) for
    the settled amount; the amount must equal the statement's net payable."""
    statement = lock_row(Statement, statement.pk)
    if not statement.needs_vat_invoice:
        raise StateConflict(
            _("Only a consignment statement payable to the vendor needs a VAT special invoice."),
            code="no_vat_invoice",
        )
    if statement.status not in (
        Statement.Status.ISSUED,
        Statement.Status.CONFIRMED,
        Statement.Status.DISPUTED,
    ):
        raise StateConflict(
            _("The VAT invoice is recorded between issue and approval."), code="vat_invoice_state"
        )
    number = (number or "").strip()
    if not re.fullmatch(r"[0-9A-Za-z]{8,20}", number):
        raise ValidationFailed(
            _("The invoice number is 8 to 20 letters or digits."), code="bad_invoice_number"
        )
    value = to_money(amount)
    if value != statement.net_amount:
        raise ValidationFailed(
            _("The invoice amount %(amount)s does not match the statement's %(due)s."),
            code="vat_amount_mismatch",
            amount=str(value),
            due=str(statement.net_amount),
        )
    start, _end = period_bounds(statement.period)
    if date < start.date() or date > china_date(timezone.now()):
        raise ValidationFailed(
            _("The invoice date must fall between the month's start and today."),
            code="bad_invoice_date",
        )
    statement.vat_invoice_number, statement.vat_invoice_date = number, date
    statement.vat_invoice_amount, statement.vat_invoice_recorded_at = value, timezone.now()
    save_audited(
        statement,
        actor=actor,
        reason=f"VAT special invoice {number} recorded",
        update_fields=[
            "vat_invoice_number",
            "vat_invoice_date",
            "vat_invoice_amount",
            "vat_invoice_recorded_at",
        ],
    )
    return statement


@transaction.atomic
def statement_approve(*, statement: Statement, actor: Any, reason: str) -> Statement:
    """Finance approves payment. Consignment waits for the VAT special invoice (MS-4.5); a
    dispute must be resolved first."""
    reason = require_reason(reason)
    statement = lock_row(Statement, statement.pk)
    if statement.needs_vat_invoice and not statement.vat_invoice_recorded:
        raise StateConflict(
            _("Waiting for the vendor's VAT special invoice (MS-4.5)."), code="vat_invoice_missing"
        )
    if statement.status == Statement.Status.DISPUTED and statement.dispute_resolved_at is None:
        raise StateConflict(_("Resolve the dispute first."), code="dispute_open")
    run_transition(statement, "approve", actor=actor, by=actor, at=timezone.now())
    save_audited(
        statement,
        actor=actor,
        reason=reason,
        update_fields=["status", "approved_by", "approved_at"],
    )
    return statement


@transaction.atomic
def statement_mark_paid(
    *, statement: Statement, actor: Any, reason: str, reference: str
) -> Statement:
    """The money moved (to the vendor, or from it when receivable). Its orders are settled
    (MS-5.6: a later refund of them is clawed back), its clawbacks netted, and in platform
    mode the service fee invoice becomes due (MS-4.5)."""
    reason = require_reason(reason)
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed(_("The payment reference is required."), code="reference_required")
    if len(reference) > 64:
        raise ValidationFailed(_("The payment reference is too long."), code="reference_too_long")
    statement = lock_row(Statement, statement.pk)
    now = timezone.now()
    run_transition(statement, "mark_paid", actor=actor, at=now, reference=reference)
    fields = ["status", "paid_at", "payment_reference"]
    if (
        statement.sales_mode == SalesMode.PLATFORM
        and statement.net_fee > 0
        and statement.fee_invoice_requested_at is None
    ):
        statement.fee_invoice_requested_at = now
        fields.append("fee_invoice_requested_at")
    save_audited(statement, actor=actor, reason=reason, update_fields=fields)
    lines = StatementLine.objects.filter(statement=statement, kind=StatementLine.Kind.ORDER)
    shares = dict(lines.values_list("order_id", "net_amount"))
    orders = list(
        Order.objects.select_for_update(of=("self",))
        .filter(pk__in=list(shares), settled_at__isnull=True)
        .order_by("pk")
    )
    for order in orders:
        order.settled_at, order.settled_amount = now, shares[order.pk]
    if orders:
        # MS-5.6: a refund after this is clawed back from the vendor; one history row each.
        bulk_update_with_history(
            orders,
            Order,
            ["settled_at", "settled_amount"],
            default_user=actor if getattr(actor, "pk", None) else None,
            default_change_reason=f"settled by statement {statement.pk}",
        )
    claw_ids = list(
        StatementLine.objects.filter(statement=statement, kind=StatementLine.Kind.CLAWBACK)
        .values_list("clawback_id", flat=True)
        .order_by("clawback_id")
    )
    for clawback in (
        Clawback.objects.select_for_update()
        .filter(pk__in=claw_ids, status=Clawback.Status.OPEN)
        .order_by("pk")
    ):
        run_transition(clawback, "mark_netted", actor=actor, at=now)
        save_audited(
            clawback,
            actor=actor,
            reason=f"MS-5.6 netted by statement {statement.pk}",
            update_fields=["status", "recovered_at"],
        )
    return statement


@transaction.atomic
def statement_request_fee_invoice(*, statement: Statement, actor: Any) -> Statement:
    """The vendor asks for the invoice of the platform service fee it paid (MS-4.5)."""
    statement = lock_row(Statement, statement.pk)
    if statement.sales_mode != SalesMode.PLATFORM or statement.net_fee <= 0:
        raise StateConflict(
            _("Only a platform-mode statement with a service fee has a fee invoice."),
            code="no_fee_invoice",
        )
    if statement.status == Statement.Status.DRAFT:
        raise StateConflict(_("The statement is not issued yet."), code="not_issued")
    if statement.fee_invoice_requested_at is not None:
        raise StateConflict(_("The fee invoice was already requested."), code="already_requested")
    statement.fee_invoice_requested_at = timezone.now()
    save_audited(
        statement,
        actor=actor,
        reason="service fee invoice requested",
        update_fields=["fee_invoice_requested_at"],
    )
    return statement


@transaction.atomic
def statement_issue_fee_invoice(
    *, statement: Statement, actor: Any, reason: str, number: str, issued_on: dt.date
) -> Statement:
    """MS-4.5 platform mode: finance issues the service fee invoice for the net fee."""
    reason = require_reason(reason)
    statement = lock_row(Statement, statement.pk)
    if statement.fee_invoice_requested_at is None or statement.fee_invoice_number:
        raise StateConflict(
            _("No fee invoice is waiting to be issued for this statement."),
            code="fee_invoice_state",
        )
    number = (number or "").strip()
    if not re.fullmatch(r"[0-9A-Za-z]{8,20}", number):
        raise ValidationFailed(
            _("The invoice number is 8 to 20 letters or digits."), code="bad_invoice_number"
        )
    if issued_on > china_date(timezone.now()):
        raise ValidationFailed(_("The issue date cannot be in the future."), code="future_date")
    statement.fee_invoice_number, statement.fee_invoice_issued_on = number, issued_on
    statement.fee_invoice_amount = statement.net_fee
    save_audited(
        statement,
        actor=actor,
        reason=reason,
        update_fields=["fee_invoice_number", "fee_invoice_issued_on", "fee_invoice_amount"],
    )
    return statement
