"""The finance queues of settlement statements: what each queue holds, shared by the work
board (orders.workboard) and the statement admin's "work queue" filter, so both agree."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.models import SalesMode
from orders.models import Statement

S = Statement.Status
WAITING_FOR_VAT = Q(
    sales_mode=SalesMode.CONSIGNMENT,
    net_amount__gt=0,
    vat_invoice_number="",
    status__in=[S.ISSUED, S.CONFIRMED, S.DISPUTED],
)

QUEUES: dict[str, tuple[object, Q]] = {
    "to_issue": (_("To issue"), Q(status=S.DRAFT)),
    # MS-4.5: consignment waits for the vendor's VAT special invoice; a dispute is resolved.
    "to_approve": (
        _("To approve for payment"),
        (Q(status=S.CONFIRMED) | Q(status=S.DISPUTED, dispute_resolved_at__isnull=False))
        & ~WAITING_FOR_VAT,
    ),
    "waiting_vat": (_("Waiting for the vendor's VAT invoice"), WAITING_FOR_VAT),
    "disputed": (_("Disputes to resolve"), Q(status=S.DISPUTED, dispute_resolved_at__isnull=True)),
    "to_pay": (_("Approved, to pay"), Q(status=S.APPROVED)),
    "fee_invoice": (
        _("Service fee invoices to issue"),
        Q(fee_invoice_requested_at__isnull=False, fee_invoice_number=""),
    ),
}


def queue_items(key: str) -> QuerySet[Statement]:
    return Statement.objects.filter(QUEUES[key][1])
