"""XLSX of a statement (its lines) and of a month (every statement, one row each)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from io import BytesIO

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from marketplace.timeutils import CHINA_TZ
from orders.models import Statement, StatementLine

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def line_reference(line: StatementLine) -> str:
    """What a person recognises a line by: the order's, refund's or statement's reference."""
    if line.kind == StatementLine.Kind.ADJUSTMENT and line.adjustment_id:
        return str(line.adjustment.source_statement)
    if line.kind == StatementLine.Kind.REFUND and line.refund_id:
        return f"{line.order.external_id} / {line.refund.external_id}"
    if line.kind == StatementLine.Kind.CLAWBACK and line.clawback_id:
        return f"{line.order.external_id} / {_('clawback')}"
    return line.order.external_id if line.order_id else ""


def _summary_rows(statement: Statement) -> list[tuple[str, object]]:
    return [
        (_("Vendor"), statement.vendor.name),
        (_("Month"), f"{statement.period:%Y-%m}"),
        (_("Sales mode"), statement.get_sales_mode_display()),
        (_("Status"), statement.get_status_display()),
        (_("Gross paid (CNY)"), statement.gross_amount),
        (_("Platform service fee (CNY)"), statement.fee_amount),
        (_("Refunds paid (CNY)"), statement.refund_amount),
        (_("Service fee returned (CNY)"), statement.fee_returned),
        (_("Clawbacks netted (CNY)"), statement.clawback_amount),
        (_("Adjustments (CNY)"), statement.adjustment_amount),
        (_("Net payable to the vendor (CNY)"), statement.net_amount),
    ]


def statement_workbook(statement: Statement, lines: Iterable[StatementLine]) -> bytes:
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Statement"))
    for row in _summary_rows(statement):
        summary.append(list(row))
    sheet = book.create_sheet(_("Lines"))
    sheet.append(
        [
            _("Kind"),
            _("Reference"),
            _("Occurred at (China time)"),
            _("Fee rate"),
            _("Gross (CNY)"),
            _("Service fee (CNY)"),
            _("Net (CNY)"),
        ]
    )
    for line in lines:
        sheet.append(
            [
                line.get_kind_display(),
                line_reference(line),
                _local(line.occurred_at),
                line.fee_rate,
                line.gross_amount,
                line.fee_amount,
                line.net_amount,
            ]
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def month_workbook(statements: QuerySet[Statement]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Statements"))
    sheet.append(
        [
            _("Vendor"),
            _("Month"),
            _("Sales mode"),
            _("Status"),
            _("Gross paid (CNY)"),
            _("Platform service fee (CNY)"),
            _("Refunds paid (CNY)"),
            _("Service fee returned (CNY)"),
            _("Clawbacks netted (CNY)"),
            _("Adjustments (CNY)"),
            _("Net payable to the vendor (CNY)"),
            _("Payment reference"),
        ]
    )
    for st in (
        statements.select_related("vendor")
        .order_by("vendor__name", "sales_mode")
        .iterator(chunk_size=2000)
    ):
        sheet.append(
            [
                st.vendor.name,
                f"{st.period:%Y-%m}",
                st.get_sales_mode_display(),
                st.get_status_display(),
                st.gross_amount,
                st.fee_amount,
                st.refund_amount,
                st.fee_returned,
                st.clawback_amount,
                st.adjustment_amount,
                st.net_amount,
                st.payment_reference,
            ]
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Generated-At"] = timezone.now().isoformat()
    return response
