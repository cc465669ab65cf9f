"""Orders files served by marketplace.files (issue 8 §4): the vendor's refund evidence (MS-5.1)."""

from typing import Any

from django.db.models import QuerySet

from marketplace import files
from orders.models import RefundEvidence
from orders.selectors import refunds_for_vendor


def refund_evidence_for_vendor(*, user: Any) -> QuerySet[RefundEvidence]:
    """The evidence a vendor gave on its own refunds (another vendor's answers 404)."""
    return RefundEvidence.objects.filter(refund__in=refunds_for_vendor(user=user))


files.register(
    "refund-evidence",
    model=RefundEvidence,
    field="file",
    permission="orders.view_refund",
    vendor_queryset=refund_evidence_for_vendor,
)
