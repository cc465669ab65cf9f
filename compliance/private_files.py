"""Compliance files served by marketplace.files (issue 8 §4): case evidence and import files."""

from typing import Any

from django.db.models import QuerySet

from compliance.models import CaseEvidence, ImportJob
from compliance.selectors import cases_for_vendor
from marketplace import files


def evidence_for_vendor(*, user: Any) -> QuerySet[CaseEvidence]:
    """A vendor reads the appeal evidence of its own cases; report evidence may name the
    reporter, so it stays with the compliance team (as on the vendor's case page)."""
    return CaseEvidence.objects.filter(
        case__in=cases_for_vendor(user=user), kind=CaseEvidence.Kind.APPEAL
    )


files.register(
    "case-evidence",
    model=CaseEvidence,
    field="file",
    permission="compliance.view_caseevidence",
    vendor_queryset=evidence_for_vendor,
)
# Import files are the compliance team's working files: no vendor reads them.
files.register(
    "penalty-import",
    model=ImportJob,
    field="file",
    permission="compliance.view_importjob",
    filename=lambda job: job.original_name,
)
