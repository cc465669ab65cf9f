"""Reads of settlement statements: the vendor-scoped ones (every vendor page and download goes
through them, so another vendor's IDs answer 404) and the exit check (MS-3.1.5 ④ / MS-8)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from orders.models import Statement, StatementAdjustment, StatementLine
from vendors.selectors import vendor_for_user

__all__ = [
    "statement_for_vendor",
    "statement_lines",
    "statements_for_vendor",
    "statements_unsettled_for_vendor",
    "vendor_unsettled_statements",
]


def statements_for_vendor(*, user: Any) -> QuerySet[Statement]:
    """The signed-in vendor user's own statements, issued ones only (drafts are finance's)."""
    vendor = vendor_for_user(user=user)
    return Statement.objects.filter(vendor=vendor).exclude(status=Statement.Status.DRAFT)


def statement_for_vendor(*, user: Any, pk: int) -> Statement:
    """The vendor's own issued statement, or 404 (another vendor's ID looks missing)."""
    statement = statements_for_vendor(user=user).filter(pk=pk).first()
    if statement is None:
        raise Http404
    return statement


def statement_lines(statement: Statement) -> QuerySet[StatementLine]:
    """A statement's lines with what their links need, in a fixed number of queries."""
    return statement.lines.select_related("order", "refund", "clawback", "adjustment").order_by(
        "kind", "occurred_at", "pk"
    )


def statements_unsettled_for_vendor(vendor: Any) -> QuerySet[Statement]:
    """Statements of `vendor` not yet paid (the exit engineer's MS-8 progress uses this)."""
    return Statement.objects.filter(vendor=vendor, status__in=Statement.UNSETTLED)


def vendor_unsettled_statements(vendor: Any) -> list[str]:
    """Registered with vendors.exit_checks (MS-3.1.5 ④ / MS-8): the deposit refund waits
    while a statement is not paid, or an adjustment still waits for its statement."""
    reasons = []
    unsettled = statements_unsettled_for_vendor(vendor).count()
    if unsettled:
        reasons.append(
            _("%(n)s settlement statements not yet paid (MS-3.1.5 ④).") % {"n": unsettled}
        )
    pending = StatementAdjustment.objects.filter(
        vendor=vendor, statement_lines__isnull=True
    ).count()
    if pending:
        reasons.append(
            _("%(n)s statement adjustments waiting for the next statement.") % {"n": pending}
        )
    return reasons
