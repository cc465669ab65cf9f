"""Bulk import of penalty cases from CSV or XLSX: the one code path of the admin, the
background task and `manage.py import_penalty_cases`. One module per concern:

1. Reading. `read_table` (`table`: the header row and its columns) reads UTF-8, UTF-8 with
   BOM, GB18030 (what Excel writes in China), Excel's UTF-16 "Unicode text" or XLSX, with
   hard caps (`reading`), and refuses empty, binary, damaged and hostile files with one
   clear message.
2. Validation. `check_rows` (`validation`) validates every row in memory against lookups
   fetched once per file (vendors, violation table, products, existing references), and
   classifies each row as new, unchanged (same reference, same data: re-importing creates
   nothing) or error, with the reason naming the row (as numbered in the spreadsheet,
   header = row 1) and the column.
3. Writing. `write_rows` (`compliance.services.import_writes`) runs only when no row has an
   error and writes every new row or none, in one transaction: cases, their history rows and
   their "reported" log events with `bulk_create` or `COPY` (history written explicitly,
   DESIGN "no bulk ops unless they write history"). django-import-export's row-by-row import
   (~440 rows/s with history) is used for nothing but the export; see
   docs/decisions/compliance.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from compliance.importing.reading import FileRejected
from compliance.importing.table import (  # noqa: F401  (the package's interface)
    COLUMN_LABELS,
    COLUMNS,
    REQUIRED,
    ZH_COLUMN_LABELS,
    Table,
    read_table,
    template_headers,
)
from compliance.importing.validation import (  # noqa: F401
    CellError,
    ImportReport,
    PreviewRow,
    accepted_time_formats,
    check_rows,
    is_web_link,
    parse_occurred_at,
)
from compliance.services.import_writes import write_rows


class CheckChanged(FileRejected):
    """The file checks differently than when it was previewed (a case was recorded, a
    vendor changed… meanwhile): nothing is written; checking it again shows the new result."""


def import_cases(
    data: bytes,
    *,
    filename: str = "",
    dry_run: bool,
    actor: Any,
    job: Any = None,
    progress: Callable[[int], None] | None = None,
    expected: tuple[int, int] | None = None,
) -> ImportReport:
    """Check a file and, unless `dry_run` or any row has an error, write its new cases.

    `expected` (new, unchanged): what the reviewer saw when they confirmed; if the check
    now says otherwise, `CheckChanged` is raised and nothing is written (issue 12 §3:
    confirm creates exactly what was previewed).
    Raises `FileRejected` for a file that cannot be read at all.
    """
    table = read_table(data, filename)
    report, new_rows = check_rows(table, progress=progress)
    if (
        not dry_run
        and expected is not None
        and not report.has_errors
        and (report.new, report.unchanged) != tuple(expected)
    ):
        raise CheckChanged(
            _(
                "Nothing was imported: the file now checks as %(new)s new and %(unchanged)s "
                "unchanged cases, not %(was_new)s and %(was_unchanged)s as previewed. Check it "
                "again and confirm what it shows."
            )
            % {
                "new": report.new,
                "unchanged": report.unchanged,
                "was_new": expected[0],
                "was_unchanged": expected[1],
            }
        )
    if dry_run or report.has_errors or not new_rows:
        return report
    reason = _("Imported from %(file)s") % {"file": filename or "file"}
    report.written = write_rows(new_rows, actor=actor, job=job, reason=reason)
    return report


# --- the preview, the template and the formats the import page states ----------------------

PREVIEW_ROWS = 20


def preview_rows(data: bytes, filename: str = "", rows: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first `rows` cases of a file, checked as the import checks them (reads only them).
    A row's result does not depend on later rows (a duplicate is reported at its second
    occurrence), so these are the results of the whole file's check for those rows."""
    table = read_table(data, filename, stop_after=rows)
    report, _new = check_rows(table, preview=rows)
    return report.preview
