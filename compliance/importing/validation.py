"""Validation of an import file's rows: every row checked in memory against lookups fetched
once per file, classified as new, unchanged or error, each error naming its row and column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from catalog.models import Product
from compliance.importing.reading import unescape_formula
from compliance.importing.table import COLUMN_LABELS, Table
from compliance.models import PenaltyCase, ViolationType
from compliance.services.penalties import case_problems
from marketplace.timeutils import CHINA_TZ
from vendors.models import Vendor

MAX_ERRORS_KEPT = 200
CREDIT_CODE_LENGTH = 18


@dataclass
class CellError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class PreviewRow:
    """One row as the import will read it: the cells, the values they parse to, and what
    is wrong with them (issue 12 §3: the rows to be created are shown before confirm)."""

    number: int  # as numbered in the spreadsheet (header = row 1)
    status: str  # "new", "unchanged" or "error"
    cells: dict[str, str]  # column → the text in the file
    values: dict[str, Any]  # column → parsed value (ids, aware datetime…), None if unparsed
    errors: list[CellError] = field(default_factory=list)


@dataclass
class ImportReport:
    total: int = 0
    new: int = 0
    unchanged: int = 0
    error_rows: int = 0
    errors: list[CellError] = field(default_factory=list)
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reference, status)
    written: int = 0
    preview: list[PreviewRow] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return self.error_rows > 0

    def error_messages(self, limit: int = MAX_ERRORS_KEPT) -> list[str]:
        return [str(e) for e in self.errors[:limit]]


_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


def parse_occurred_at(value: Any) -> dt.datetime:
    """A date (start of that China day) or a datetime; naive values are China time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min, tzinfo=CHINA_TZ)
    else:
        text = str(value).strip()
        moment = None
        try:
            # ISO forms first (C-fast): 2024-05-31, 2024-05-31 14:30[:00], with T or an offset.
            moment = dt.datetime.fromisoformat(text) if len(text) >= 10 else None
        except ValueError:
            moment = None
        for fmt in _DATETIME_FORMATS:
            if moment is not None:
                break
            try:
                moment = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        if moment is None:
            for fmt in _DATE_FORMATS:
                try:
                    day = dt.datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
                return dt.datetime.combine(day, dt.time.min, tzinfo=CHINA_TZ)
            raise ValueError(text)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment


def _cell(row: list[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = unescape_formula(value.strip())
        return value or None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores IDs as numbers
    return str(value).strip()


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    size = 900 if connection.vendor == "sqlite" else 20000
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class _Lookups:
    vendors_by_code: dict[str, int]
    vendor_ids: set[int]
    violations: dict[str, tuple[ViolationType, list[tuple[dt.date, int]]]]
    products: dict[int, int]  # product id → vendor id
    existing: dict[str, dict[str, Any]]


def _lookups(table: Table) -> _Lookups:
    c = table.columns
    vendor_values = {_text(_cell(r, c["vendor"])) for r in table.rows} - {""}
    # A credit code has 18 characters and may be all digits; shorter numbers are vendor IDs.
    codes = sorted(v.upper() for v in vendor_values if len(v) == CREDIT_CODE_LENGTH)
    ids = sorted(int(v) for v in vendor_values if v.isdigit() and len(v) < CREDIT_CODE_LENGTH)
    vendors_by_code: dict[str, int] = {}
    for chunk in _chunks(codes):
        vendors_by_code.update(
            Vendor.objects.filter(credit_code__in=chunk).values_list("credit_code", "pk")
        )
    vendor_ids: set[int] = set()
    for chunk in _chunks(ids):
        vendor_ids.update(Vendor.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    violations: dict[str, tuple[ViolationType, list[tuple[dt.date, int]]]] = {}
    for vtype in ViolationType.objects.prefetch_related("versions"):
        versions = sorted(((v.effective_from, v.pk) for v in vtype.versions.all()), reverse=True)
        violations[vtype.code.upper()] = (vtype, versions)
    products: dict[int, int] = {}
    if "product" in c:
        product_ids = sorted(
            {int(t) for t in (_text(_cell(r, c["product"])) for r in table.rows) if t.isdigit()}
        )
        for chunk in _chunks(product_ids):
            products.update(Product.objects.filter(pk__in=chunk).values_list("pk", "vendor_id"))
    references = sorted({_text(_cell(r, c["reference"])) for r in table.rows} - {""})
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(references):
        for row in PenaltyCase.objects.filter(reference__in=chunk).values(
            "reference",
            "vendor_id",
            "violation_id",
            "occurred_at",
            "product_id",
            "description",
            "evidence_url",
            "reporter",
        ):
            existing[row["reference"]] = row
    return _Lookups(vendors_by_code, vendor_ids, violations, products, existing)


def _comparable(key: str, value: Any) -> Any:
    # The export writes times to the second: a case stored with microseconds (created by a
    # service at "now") re-imports as unchanged.
    if key == "occurred_at" and isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    return value


# A web link: http(s), a host, no spaces (a cheap check; 100,000 rows go through it).
_URL_RE = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)


def is_web_link(value: str) -> bool:
    """What the import accepts as an evidence link (and the preview may show as a link)."""
    return bool(value) and len(value) <= 500 and _URL_RE.match(value) is not None


@dataclass
class _Row:
    """One row being checked: its cells, where its columns are, and what is wrong with it."""

    number: int  # as numbered in the spreadsheet (header = row 1)
    cells: list[Any]
    columns: dict[str, int]
    header: dict[str, str]  # column → its header as written in the file
    errors: list[CellError] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the column of each error

    def raw(self, column: str) -> Any:
        return _cell(self.cells, self.columns.get(column))

    def text(self, column: str) -> str:
        return _text(self.raw(column))

    def fail(self, column: str, message: str) -> None:
        label = self.header.get(column, COLUMN_LABELS[column])
        self.errors.append(CellError(self.number, label, message))
        self.keys.append(column)

    def sort_errors(self) -> None:
        """Errors in the order of the columns as checked (stable within a column)."""
        order = sorted(range(len(self.errors)), key=lambda i: _ORDER.index(self.keys[i]))
        self.errors = [self.errors[i] for i in order]
        self.keys = [self.keys[i] for i in order]


# The order of a row's checks, which its errors follow.
_ORDER = (
    "reference",
    "vendor",
    "violation",
    "occurred_at",
    "product",
    "description",
    "reporter",
    "evidence_url",
)


def _check_reference(row: _Row, seen: dict[str, int]) -> str:
    """At most 64 characters, once per file (`seen`: reference → first row); required (the
    case check says so)."""
    reference = row.text("reference")
    if not reference:
        return reference
    if len(reference) > 64:
        row.fail("reference", _("at most 64 characters."))
    elif reference in seen:
        row.fail(
            "reference",
            _("“%(ref)s” appears twice in this file (first in row %(first)s).")
            % {"ref": reference, "first": seen[reference]},
        )
    else:
        seen[reference] = row.number
    return reference


def _check_vendor(row: _Row, look: _Lookups) -> int | None:
    """A credit code or a vendor ID that exists: the vendor's id."""
    value = row.text("vendor")
    if not value:
        row.fail("vendor", _("a vendor (credit code or vendor ID) is required."))
        return None
    vendor_id = look.vendors_by_code.get(value.upper())
    if vendor_id is None and value.isdigit() and int(value) in look.vendor_ids:
        vendor_id = int(value)
    if vendor_id is None:
        row.fail("vendor", _("unknown vendor “%(value)s”.") % {"value": value})
    return vendor_id


def _check_violation(
    row: _Row, look: _Lookups
) -> tuple[str, ViolationType | None, list[tuple[dt.date, int]]]:
    """A code of the violation table: (code, type, its versions newest first)."""
    code = row.text("violation").upper()
    if not code:
        row.fail("violation", _("a violation code is required."))
        return code, None, []
    if code not in look.violations:
        row.fail("violation", _("unknown violation code “%(code)s”.") % {"code": code})
        return code, None, []
    violation, versions = look.violations[code]
    return code, violation, versions


def _check_occurred_at(row: _Row, now: dt.datetime) -> dt.datetime | None:
    """A date or a date and time (China time unless stated)."""
    raw = row.raw("occurred_at")
    if raw is None:
        row.fail("occurred_at", _("the date is required."))
        return None
    try:
        occurred_at = parse_occurred_at(raw)
    except (ValueError, TypeError, OverflowError):
        row.fail(
            "occurred_at",
            _("“%(value)s” is not a date (use 2024-05-31 or 2024-05-31 14:30).") % {"value": raw},
        )
        return None
    return occurred_at


def _check_case(
    row: _Row,
    *,
    reference: str,
    vendor_id: int | None,
    code: str,
    violation: ViolationType | None,
    versions: list[tuple[dt.date, int]],
    occurred_at: dt.datetime | None,
    product_vendor_id: int | None,
    now: dt.datetime,
) -> tuple[set[str], int | None]:
    """The case validation every way in shares (`case_problems`: reference required, violation
    retired, date in the future, product of another vendor, no version in force, MS-9.2),
    each problem told in the import's words on its column. Returns the facts found wrong and
    the id of the version in force."""
    problems, version_id = case_problems(
        reference=reference,
        vendor_id=vendor_id,
        violation=violation,
        occurred_at=occurred_at,
        product_vendor_id=product_vendor_id,
        versions=versions,
        now=now,
    )
    for problem in problems:
        column, message = _IMPORT_WORDS[problem.code]
        row.fail(column, message % {"code": code, **problem.params})
    return {p.code for p in problems}, version_id


# A case problem (its code) → the column it is reported on and the import's message.
_IMPORT_WORDS = {
    "reference_required": ("reference", _lazy("a case reference is required.")),
    "violation_retired": ("violation", _lazy("violation code “%(code)s” is retired.")),
    "future": ("occurred_at", _lazy("the date is in the future.")),
    "product_vendor": ("product", _lazy("the product does not belong to this vendor.")),
    "no_version": (
        "occurred_at",
        _lazy("no version of violation “%(code)s” was in force on %(day)s (MS-9.2)."),
    ),
}


def _check_product(row: _Row, look: _Lookups) -> int | None:
    """Optional: a product that exists (whose vendor the case check compares)."""
    value = row.text("product") if "product" in row.columns else ""
    if not value:
        return None
    if not value.isdigit() or int(value) not in look.products:
        row.fail("product", _("unknown product “%(value)s”.") % {"value": value})
        return None
    return int(value)


def _check_description(row: _Row) -> str:
    description = row.text("description")
    if not description:
        row.fail("description", _("a description is required."))
    return description


def _check_reporter(row: _Row) -> str:
    reporter = row.text("reporter")
    if not reporter:
        row.fail("reporter", _("the reporter is required."))
    elif len(reporter) > 100:
        row.fail("reporter", _("at most 100 characters."))
    return reporter


def _check_evidence_url(row: _Row) -> str:
    """Optional: a web link of at most 500 characters."""
    evidence_url = row.text("evidence_url") if "evidence_url" in row.columns else ""
    if evidence_url:
        if not _URL_RE.match(evidence_url):
            row.fail("evidence_url", _("“%(value)s” is not a web link.") % {"value": evidence_url})
        elif len(evidence_url) > 500:
            row.fail("evidence_url", _("at most 500 characters."))
    return evidence_url


# The fields an import compares with a stored case of the same reference, and their columns.
_COMPARED = {
    "vendor_id": "vendor",
    "violation_id": "violation",
    "occurred_at": "occurred_at",
    "product_id": "product",
    "description": "description",
    "evidence_url": "evidence_url",
    "reporter": "reporter",
}


def _check_existing(row: _Row, data: dict[str, Any], look: _Lookups) -> str:
    """ "new", "unchanged" (same reference, same data), or an error: an import never
    overwrites a case."""
    stored = look.existing.get(data["reference"])
    if stored is None:
        return "new"
    differs = [
        key for key in _COMPARED if _comparable(key, stored[key]) != _comparable(key, data[key])
    ]
    if not differs:
        return "unchanged"
    column = _COMPARED[differs[0]]
    row.fail(
        "reference",
        _(
            "case “%(ref)s” already exists with different data "
            "(“%(column)s” differs); an import never overwrites a case."
        )
        % {"ref": data["reference"], "column": row.header.get(column, COLUMN_LABELS[column])},
    )
    return "error"


def _count(report: ImportReport, row: _Row, reference: str, status: str) -> None:
    """Add the row's result to the report (errors and rows kept up to their limits)."""
    if row.errors:
        report.error_rows += 1
        if len(report.errors) < MAX_ERRORS_KEPT:
            report.errors.extend(row.errors)
    elif status == "new":
        report.new += 1
    else:
        report.unchanged += 1
    if len(report.rows) < MAX_ERRORS_KEPT or row.errors:
        if len(report.rows) < 5 * MAX_ERRORS_KEPT:
            report.rows.append((row.number, reference, status))


def check_rows(
    table: Table,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    preview: int = 0,
) -> tuple[ImportReport, list[dict[str, Any]]]:
    """Validate every row; returns the report and the new rows ready to write.
    The first `preview` rows are also kept in `report.preview`, parsed as they will be
    written (the very values `write_rows` gets)."""
    now = now or timezone.now()
    look = _lookups(table)
    c = table.columns
    header = {key: table.headers[i] or COLUMN_LABELS[key] for key, i in c.items()}
    report = ImportReport(total=len(table.rows))
    new_rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for offset, cells in enumerate(table.rows):
        row = _Row(number=offset + 2, cells=cells, columns=c, header=header)
        reference = _check_reference(row, seen)
        vendor_id = _check_vendor(row, look)
        code, violation, versions = _check_violation(row, look)
        occurred_at = _check_occurred_at(row, now)
        product_id = _check_product(row, look)
        wrong, version_id = _check_case(
            row,
            reference=reference,
            vendor_id=vendor_id,
            code=code,
            violation=violation,
            versions=versions,
            occurred_at=occurred_at,
            product_vendor_id=look.products[product_id] if product_id is not None else None,
            now=now,
        )
        if "violation_retired" in wrong:
            violation = None
        if "future" in wrong:
            occurred_at = None
        if "product_vendor" in wrong:
            product_id = None
        description = _check_description(row)
        reporter = _check_reporter(row)
        evidence_url = _check_evidence_url(row)
        row.sort_errors()
        values = {
            "reference": reference,
            "vendor_id": vendor_id,
            "violation_id": violation.pk if violation is not None else None,
            "violation_version_id": version_id,
            "occurred_at": occurred_at,
            "product_id": product_id,
            "description": description,
            "evidence_url": evidence_url,
            "reporter": reporter,
        }
        parsed = not row.errors
        status = _check_existing(row, values, look) if parsed else "error"
        if status == "new":
            new_rows.append(values)
        _count(report, row, reference, status)
        if offset < preview:
            if not parsed:  # what could be read; empty texts shown as missing
                values = {k: v or None if isinstance(v, str) else v for k, v in values.items()}
            report.preview.append(
                PreviewRow(
                    number=row.number,
                    status=status,
                    cells={key: _text(_cell(cells, i)) for key, i in c.items()},
                    values=values,
                    errors=list(row.errors),
                )
            )
        if progress and offset and offset % 10000 == 0:
            progress(offset)
    return report, new_rows


EXAMPLE_MOMENT = dt.datetime(2024, 5, 31, 14, 30, 0)


def accepted_time_formats() -> list[str]:
    """Examples of every date/time form the import reads, from the parser's own lists."""
    examples = [EXAMPLE_MOMENT.strftime(fmt) for fmt in _DATETIME_FORMATS]
    examples += [EXAMPLE_MOMENT.strftime(fmt) for fmt in _DATE_FORMATS]
    examples.append("2024-05-31T14:30:00+08:00")
    return list(dict.fromkeys(examples))
