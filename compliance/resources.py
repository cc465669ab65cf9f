"""django-import-export resource for exporting penalty cases to CSV / XLSX.

The columns are the import's columns (so an export can be checked and re-imported as
"unchanged"), plus the status and source. Every text cell that a spreadsheet would run as a
formula (starting with `=`, `+`, `-`, `@`, or a tab / carriage return) is prefixed with an
apostrophe (OWASP CSV injection advice; the library's own setting only strips a leading `=`),
and so is one already starting with an apostrophe: the import takes exactly one off.
Control characters (NUL, vertical tab…) are dropped: XLSX cannot hold them, and one such
character in one case made the export of every case fail (issue 9 §3).
The import does not go through this resource: see `compliance.importing`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from import_export import fields, resources

from compliance.importing.reading import CONTROL_CHARS_RE, escape_formula
from compliance.models import PenaltyCase


def export_cell(value: Any) -> Any:
    if isinstance(value, str):
        value = escape_formula(CONTROL_CHARS_RE.sub("", value))
    return value


class PenaltyCaseResource(resources.ModelResource):
    reference = fields.Field(attribute="reference", column_name="case reference")
    vendor = fields.Field(attribute="vendor__credit_code", column_name="vendor")
    vendor_name = fields.Field(attribute="vendor__name", column_name="vendor name")
    violation = fields.Field(attribute="violation__code", column_name="violation code")
    occurred_at = fields.Field(column_name="occurred at")
    product = fields.Field(attribute="product_id", column_name="product")
    description = fields.Field(attribute="description", column_name="description")
    evidence_url = fields.Field(attribute="evidence_url", column_name="evidence URL")
    reporter = fields.Field(attribute="reporter", column_name="reporter")
    status = fields.Field(attribute="status", column_name="status")
    source = fields.Field(attribute="source", column_name="source")
    table_version = fields.Field(
        attribute="violation_version__effective_from", column_name="table version"
    )

    class Meta:
        model = PenaltyCase
        fields = (
            "reference",
            "vendor",
            "vendor_name",
            "violation",
            "occurred_at",
            "product",
            "description",
            "evidence_url",
            "reporter",
            "status",
            "source",
            "table_version",
        )
        export_order = fields

    def get_queryset(self):
        return PenaltyCase.objects.select_related("vendor", "violation", "violation_version")

    def dehydrate_occurred_at(self, case: PenaltyCase) -> str:
        return timezone.localtime(case.occurred_at).strftime("%Y-%m-%d %H:%M:%S")

    def export_field(self, field, instance, **kwargs):
        return export_cell(super().export_field(field, instance, **kwargs))
