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

from catalog.models import Product
from compliance.importing.reading import unescape_formula
from compliance.importing.table import COLUMN_LABELS, Table
from compliance.models import PenaltyCase, ViolationType
from marketplace.timeutils import CHINA_TZ, china_date
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
    for offset, row in enumerate(table.rows):
        number = offset + 2  # spreadsheet row: the header is row 1
        errors: list[CellError] = []

        def fail(column: str, message: str, *, _n: int = number, _e: list = errors) -> None:
            _e.append(CellError(_n, header.get(column, COLUMN_LABELS[column]), message))

        reference = _text(_cell(row, c["reference"]))
        if not reference:
            fail("reference", _("a case reference is required."))
        elif len(reference) > 64:
            fail("reference", _("at most 64 characters."))
        elif reference in seen:
            fail(
                "reference",
                _("“%(ref)s” appears twice in this file (first in row %(first)s).")
                % {"ref": reference, "first": seen[reference]},
            )
        else:
            seen[reference] = number

        vendor_value = _text(_cell(row, c["vendor"]))
        vendor_id = None
        if not vendor_value:
            fail("vendor", _("a vendor (credit code or vendor ID) is required."))
        else:
            vendor_id = look.vendors_by_code.get(vendor_value.upper())
            if (
                vendor_id is None
                and vendor_value.isdigit()
                and int(vendor_value) in look.vendor_ids
            ):
                vendor_id = int(vendor_value)
            if vendor_id is None:
                fail("vendor", _("unknown vendor “%(value)s”.") % {"value": vendor_value})

        code = _text(_cell(row, c["violation"])).upper()
        violation = None
        if not code:
            fail("violation", _("a violation code is required."))
        elif code not in look.violations:
            fail("violation", _("unknown violation code “%(code)s”.") % {"code": code})
        else:
            violation, versions = look.violations[code]
            if violation.retired:
                fail("violation", _("violation code “%(code)s” is retired.") % {"code": code})
                violation = None

        raw_when = _cell(row, c["occurred_at"])
        occurred_at = version_id = None
        if raw_when is None:
            fail("occurred_at", _("the date is required."))
        else:
            try:
                occurred_at = parse_occurred_at(raw_when)
            except (ValueError, TypeError, OverflowError):
                fail(
                    "occurred_at",
                    _("“%(value)s” is not a date (use 2024-05-31 or 2024-05-31 14:30).")
                    % {"value": raw_when},
                )
            else:
                if occurred_at > now:
                    fail("occurred_at", _("the date is in the future."))
                    occurred_at = None
        if occurred_at is not None and violation is not None:
            day = china_date(occurred_at)
            version_id = next((pk for start, pk in versions if start <= day), None)
            if version_id is None:
                fail(
                    "occurred_at",
                    _("no version of violation “%(code)s” was in force on %(day)s (MS-9.2).")
                    % {"code": code, "day": day.isoformat()},
                )

        product_id = None
        if "product" in c:
            product_value = _text(_cell(row, c["product"]))
            if product_value:
                if not product_value.isdigit() or int(product_value) not in look.products:
                    fail("product", _("unknown product “%(value)s”.") % {"value": product_value})
                elif vendor_id is not None and look.products[int(product_value)] != vendor_id:
                    fail("product", _("the product does not belong to this vendor."))
                else:
                    product_id = int(product_value)

        description = _text(_cell(row, c["description"]))
        if not description:
            fail("description", _("a description is required."))
        reporter = _text(_cell(row, c["reporter"]))
        if not reporter:
            fail("reporter", _("the reporter is required."))
        elif len(reporter) > 100:
            fail("reporter", _("at most 100 characters."))
        evidence_url = _text(_cell(row, c.get("evidence_url"))) if "evidence_url" in c else ""
        if evidence_url:
            if not _URL_RE.match(evidence_url):
                fail("evidence_url", _("“%(value)s” is not a web link.") % {"value": evidence_url})
            elif len(evidence_url) > 500:
                fail("evidence_url", _("at most 500 characters."))

        status = "error"
        data: dict[str, Any] | None = None
        if not errors:
            data = {
                "reference": reference,
                "vendor_id": vendor_id,
                "violation_id": violation.pk,
                "violation_version_id": version_id,
                "occurred_at": occurred_at,
                "product_id": product_id,
                "description": description,
                "evidence_url": evidence_url,
                "reporter": reporter,
            }
            stored = look.existing.get(reference)
            if stored is None:
                status = "new"
                new_rows.append(data)
            else:
                differs = [
                    key
                    for key in (
                        "vendor_id",
                        "violation_id",
                        "occurred_at",
                        "product_id",
                        "description",
                        "evidence_url",
                        "reporter",
                    )
                    if _comparable(key, stored[key]) != _comparable(key, data[key])
                ]
                if differs:
                    column = {
                        "vendor_id": "vendor",
                        "violation_id": "violation",
                        "product_id": "product",
                    }.get(differs[0], differs[0])
                    fail(
                        "reference",
                        _(
                            "case “%(ref)s” already exists with different data "
                            "(“%(column)s” differs); an import never overwrites a case."
                        )
                        % {"ref": reference, "column": header.get(column, COLUMN_LABELS[column])},
                    )
                else:
                    status = "unchanged"
        if errors:
            report.error_rows += 1
            if len(report.errors) < MAX_ERRORS_KEPT:
                report.errors.extend(errors)
        elif status == "new":
            report.new += 1
        else:
            report.unchanged += 1
        if len(report.rows) < MAX_ERRORS_KEPT or errors:
            if len(report.rows) < 5 * MAX_ERRORS_KEPT:
                report.rows.append((number, reference, "error" if errors else status))
        if offset < preview:
            report.preview.append(
                PreviewRow(
                    number=number,
                    status="error" if errors else status,
                    cells={key: _text(_cell(row, i)) for key, i in c.items()},
                    values=data
                    or {
                        "reference": reference or None,
                        "vendor_id": vendor_id,
                        "violation_id": violation.pk if violation is not None else None,
                        "violation_version_id": version_id,
                        "occurred_at": occurred_at,
                        "product_id": product_id,
                        "description": description or None,
                        "evidence_url": evidence_url or None,
                        "reporter": reporter or None,
                    },
                    errors=list(errors),
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
