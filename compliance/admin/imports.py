"""The bulk import of penalty cases: columns, template, preview and import jobs."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from compliance import importing
from compliance.admin.common import (
    violation_name,
    violation_rows,
    violation_shown,
)
from compliance.models import (
    ImportJob,
    ViolationType,
    ViolationVersion,
)
from marketplace.files import file_link

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


# What each column of the import holds (shown on the import page and in the template).
COLUMN_HELP = {
    "reference": _("Unique; a reference already imported with the same data is skipped."),
    "vendor": _("The vendor's unified social credit code (18 characters) or its vendor ID."),
    "violation": _("A code of the violation table, e.g. SPAM_AD."),
    "occurred_at": _("When the conduct happened, China time; a date alone means 00:00."),
    "product": _("Optional: the product's ID; it must belong to the vendor."),
    "description": _("What happened."),
    "evidence_url": _("Optional: a https:// link to the evidence."),
    "reporter": _("Who reported it (at most 100 characters)."),
}


def import_columns() -> list[dict[str, Any]]:
    return [
        {
            "zh": importing.ZH_COLUMN_LABELS[key],
            "en": importing.COLUMN_LABELS[key],
            "required": key in importing.REQUIRED,
            "help": COLUMN_HELP[key],
        }
        for key in importing.COLUMNS
    ]


def import_template(file_format: str) -> tuple[bytes, str]:
    """CSV (UTF-8 with BOM, for Excel on Chinese Windows) or XLSX with the header row only
    (an example row would be imported if left in); the XLSX explains the columns, the date
    formats and the violation codes on a second sheet, which the import does not read."""
    headers = importing.template_headers()
    if file_format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(headers)
        return buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Cases"))
    sheet.append(headers)
    for index, key in enumerate(importing.COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = 24 if key != "description" else 40
        if key in ("reference", "vendor", "product"):
            # Text: an 18-digit credit code typed in Excel would become 9.1E+17.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(str(_("Instructions")))
    notes.append([str(_("Column")), str(_("Must be filled in")), str(_("What it holds"))])
    chinese = headers[0] == importing.ZH_COLUMN_LABELS["reference"]
    for column in import_columns():
        notes.append(
            [
                column["zh"] if chinese else column["en"],
                str(_("yes") if column["required"] else _("no")),
                str(column["help"]),
            ]
        )
    notes.append([])
    notes.append([str(_("Accepted date and time formats (China time)"))])
    for example in importing.accepted_time_formats():
        notes.append([example])
    notes.append([str(_("Excel date cells are read as they are."))])
    notes.append([])
    notes.append([str(_("Violation codes")), "", str(_("Name"))])
    for vtype, version in violation_rows():
        if not vtype.retired:
            notes.append([vtype.code, "", violation_name(version)])
    notes.append([])
    notes.append([str(_("Only the first sheet is imported; this sheet is ignored."))])
    for letter, width in (("A", 34), ("B", 10), ("C", 70)):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _job_preview(job: ImportJob) -> list[dict[str, Any]]:
    """The first rows of a checked file as they will be created: parsed values with names,
    errors per row. Read from the stored file (only those rows), so it is what the import
    will read."""
    if job.status != ImportJob.Status.CHECKED or not job.file:
        return []
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        rows = importing.preview_rows(data, job.original_name)
    except (importing.FileRejected, OSError):
        return []
    return preview_display(rows)


def preview_display(rows: list[importing.PreviewRow]) -> list[dict[str, Any]]:
    """Names for the ids the rows parse to (four queries for the whole preview)."""
    from vendors.models import Vendor

    vendor_ids = {r.values.get("vendor_id") for r in rows} - {None}
    product_ids = {r.values.get("product_id") for r in rows} - {None}
    version_ids = {r.values.get("violation_version_id") for r in rows} - {None}
    type_ids = {r.values.get("violation_id") for r in rows} - {None}
    vendors = {v.pk: v for v in Vendor.objects.filter(pk__in=vendor_ids)}
    products = {p.pk: p for p in Product.objects.filter(pk__in=product_ids)}
    versions = {v.pk: v for v in ViolationVersion.objects.filter(pk__in=version_ids)}
    codes = dict(ViolationType.objects.filter(pk__in=type_ids).values_list("pk", "code"))
    status_labels = {
        "new": _("new"),
        "unchanged": _("unchanged (already imported)"),
        "error": _("error"),
    }
    shown = []
    for row in rows:
        v = row.values
        vendor = vendors.get(v.get("vendor_id"))
        version = versions.get(v.get("violation_version_id"))
        code = codes.get(v.get("violation_id"), row.cells.get("violation", ""))
        when = v.get("occurred_at")
        shown.append(
            {
                "number": row.number,
                "status": row.status,
                "status_label": status_labels.get(row.status, row.status),
                "reference": v.get("reference") or row.cells.get("reference", ""),
                "vendor": f"{vendor.name} ({vendor.credit_code})" if vendor else "",
                "violation": violation_shown(code, version) if code else "",
                "occurred_at": f"{timezone.localtime(when):%Y-%m-%d %H:%M}" if when else "",
                "product": str(products[v["product_id"]]) if v.get("product_id") else "",
                "description": v.get("description") or "",
                "evidence_url": v.get("evidence_url") or "",
                # A link only for a checked web address (the cell may hold anything).
                "evidence_link": importing.is_web_link(v.get("evidence_url") or ""),
                "reporter": v.get("reporter") or "",
                "errors": [f"{e.column}: {e.message}" for e in row.errors],
                "cells": row.cells,
            }
        )
    return shown


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "The columns and date formats are listed above. Headers in Chinese or English. "
            "UTF-8, GB18030 or XLSX."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "PENALTY_IMPORT_MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB.") % {"max": limit >> 20}
            )
        return upload


# --- import jobs ----------------------------------------------------------------------------


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "uploaded_file",
        "status",
        "created_by",
        "created_at",
        "total_rows",
        "new_rows",
        "unchanged_rows",
        "error_rows",
        "finished_at",
    )
    list_select_related = ("created_by",)
    list_filter = ("status",)

    @admin.display(description=_("file"))
    def uploaded_file(self, job: ImportJob):
        return file_link(job.file, _("download"))  # issue 8 §4: the authenticated view

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job_id = unquote(object_id)
        if not (job_id.isascii() and job_id.isdigit()):  # typed by hand: 404, not 500
            raise Http404
        return HttpResponseRedirect(
            reverse("admin:compliance_penaltycase_import_job", args=[job_id])
        )
