"""Bulk import of penalty cases from CSV or XLSX: the one code path of the admin, the
background task and `manage.py import_penalty_cases`.

1. `read_table` reads UTF-8, UTF-8 with BOM, GB18030 (what Excel writes in China), Excel's
   UTF-16 "Unicode text" or XLSX, with hard caps (`compliance.importing.reading`), and
   refuses empty, binary, damaged and hostile files with one clear message.
2. `check_rows` validates every row in memory against lookups fetched once per file (vendors,
   violation table, products, existing references), and classifies each row as new,
   unchanged (same reference, same data: re-importing creates nothing) or error, with the
   reason naming the row (as numbered in the spreadsheet, header = row 1) and the column.
3. `write_rows` runs only when no row has an error and writes every new row or none, in one
   transaction: cases, their history rows and their "reported" log events with
   `bulk_create` (history written explicitly, DESIGN "no bulk ops unless they write history").
   django-import-export's row-by-row import (~440 rows/s with history) is used for nothing
   but the export; see docs/decisions/compliance.md.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import Product
from compliance.importing.reading import FileRejected, Limits, read_rows, unescape_formula
from compliance.models import CaseEvent, CaseSource, CaseStatus, PenaltyCase, ViolationType
from marketplace.timeutils import CHINA_TZ, china_date
from vendors.models import Vendor

MAX_ERRORS_KEPT = 200
CREDIT_CODE_LENGTH = 18
BATCH = 2000

# Canonical column → accepted header spellings (compared lower-case, spaces/_/- removed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("case reference", "reference", "case ref", "案例编号", "案件编号", "编号"),
    "vendor": (
        "vendor",
        "vendor id",
        "credit code",
        "unified social credit code",
        "服务商",
        "服务商id",
        "统一社会信用代码",
    ),
    "violation": ("violation code", "violation", "code", "违规代码", "违规编码", "违规类型代码"),
    "occurred_at": ("occurred at", "occurred", "date", "发生时间", "违规时间", "发生日期"),
    "product": ("product", "product id", "产品", "产品id"),
    "description": ("description", "描述", "违规描述", "情况说明"),
    "evidence_url": ("evidence url", "evidence", "evidence link", "证据链接", "证据"),
    "reporter": ("reporter", "reported by", "举报人", "报告人"),
}
REQUIRED = ("reference", "vendor", "violation", "occurred_at", "description", "reporter")
COLUMN_LABELS = {
    "reference": "case reference",
    "vendor": "vendor",
    "violation": "violation code",
    "occurred_at": "occurred at",
    "product": "product",
    "description": "description",
    "evidence_url": "evidence URL",
    "reporter": "reporter",
}


def _norm(header: Any) -> str:
    return re.sub(r"[\s_\-]+", "", str(header or "")).lower()


_ALIASES = {_norm(alias): key for key, aliases in COLUMNS.items() for alias in aliases}
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
# The first Chinese spelling of each column, used when the file's headers are Chinese.
ZH_COLUMN_LABELS = {
    key: next(a for a in aliases if _CJK_RE.search(a)) for key, aliases in COLUMNS.items()
}


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


@dataclass
class Table:
    headers: list[str]  # as written in the file
    columns: dict[str, int]  # canonical column → index
    rows: list[list[Any]]


# --- reading --------------------------------------------------------------------------------


def read_table(
    data: bytes, filename: str = "", limits: Limits | None = None, *, stop_after: int = 0
) -> Table:
    """Read a CSV or XLSX file into rows; raise `FileRejected` with a clear message.
    `stop_after` > 0: only the header and the first `stop_after` cases (the preview)."""
    raw_rows = read_rows(data, filename, limits, stop_after=stop_after + 1 if stop_after else 0)
    if not raw_rows:
        raise FileRejected(_("The file is empty."))
    headers = [str(h).strip() if h is not None else "" for h in raw_rows[0]]
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = _ALIASES.get(_norm(header))
        if key and key not in columns:
            columns[key] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        labels = _header_labels(headers)
        raise FileRejected(
            _("Row 1: missing column(s): %(columns)s. Expected headers: %(expected)s.")
            % {
                "columns": ", ".join(f"“{labels[m]}”" for m in missing),
                "expected": ", ".join(labels[c] for c in COLUMNS),
            }
        )
    if len(raw_rows) == 1:
        raise FileRejected(_("The file has a header row but no cases."))
    return Table(headers=headers, columns=columns, rows=raw_rows[1:])


def _header_labels(headers: list[str]) -> dict[str, str]:
    """Column names in the language the file's headers are written in; if the headers say
    nothing (no letters), in the user's language."""
    text = "".join(headers)
    if _CJK_RE.search(text):
        chinese = True
    elif re.search(r"[A-Za-z]", text):
        chinese = False
    else:
        chinese = (translation.get_language() or "").startswith("zh")
    return ZH_COLUMN_LABELS if chinese else COLUMN_LABELS


# --- checking -------------------------------------------------------------------------------

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


# --- writing --------------------------------------------------------------------------------


def write_rows(
    new_rows: list[dict[str, Any]],
    *,
    actor: Any,
    job: Any = None,
    reason: str,
) -> int:
    """Create every new case or none (one transaction), with its history row and its
    'reported' log event. Imported cases arrive as reported: nothing is applied.

    On PostgreSQL the three tables are filled with COPY (ids reserved from the sequence
    first); elsewhere with `bulk_create`. Either way the history rows are written explicitly.
    """
    user_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    base = {
        "status": CaseStatus.REPORTED,
        "source": CaseSource.IMPORT,
        "created_by_id": user_id,
        "import_job_id": job.pk if job is not None else None,
        "created_at": now,
    }
    cases = [{**base, **data} for data in new_rows]
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _write_copy(cases, user_id=user_id, now=now, reason=reason)
            else:
                _write_bulk(cases, user=actor if user_id else None, now=now, reason=reason)
    except IntegrityError as exc:
        raise FileRejected(
            _("Another import created some of these cases meanwhile; check the file again.")
        ) from exc
    return len(cases)


def _defaults(model: type[models.Model]) -> dict[str, Any]:
    """Every column's value when the row does not give one (COPY sets no Django defaults)."""
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


def _write_bulk(cases: list[dict[str, Any]], *, user: Any, now: dt.datetime, reason: str):
    for start in range(0, len(cases), BATCH):
        created = PenaltyCase.objects.bulk_create(
            [PenaltyCase(**data) for data in cases[start : start + BATCH]]
        )
        if created and created[0].pk is None:  # backends that return no keys
            by_ref = dict(
                PenaltyCase.objects.filter(
                    reference__in=[c.reference for c in created]
                ).values_list("reference", "pk")
            )
            for case in created:
                case.pk = by_ref[case.reference]
        PenaltyCase.history.bulk_history_create(
            created, default_user=user, default_change_reason=reason, default_date=now
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=case.pk,
                    action="report",
                    actor=user,
                    at=now,
                    reason=reason,
                    from_status="",
                    to_status=CaseStatus.REPORTED,
                )
                for case in created
            ]
        )


def _copy(cursor: Any, model: type[models.Model], columns: list[str], rows: Iterable[tuple]):
    fields = {f.attname: f.column for f in model._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(fields[c]) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _write_copy(cases: list[dict[str, Any]], *, user_id: Any, now: dt.datetime, reason: str):
    """PostgreSQL: COPY the cases, their history rows and their log events."""
    import json

    n = len(cases)
    with connection.cursor() as wrapper:
        wrapper.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [PenaltyCase._meta.db_table, n],
        )
        ids = [row[0] for row in wrapper.fetchall()]
        cursor = wrapper.cursor  # the psycopg cursor, in Django's transaction
        defaults = _defaults(PenaltyCase)
        columns = ["id", *defaults]
        row_of = operator.itemgetter(*columns)
        values = [
            row_of({**defaults, **case, "id": pk}) for case, pk in zip(cases, ids, strict=True)
        ]
        _copy(cursor, PenaltyCase, columns, values)
        # The history row repeats every tracked column (the same ones) plus who / when / why.
        history = PenaltyCase.history.model
        tracked = [f.attname for f in history.tracked_fields]  # type: ignore[attr-defined]
        assert tracked == columns or set(tracked) == set(columns), "history tracks every field"
        if tracked != columns:
            order = operator.itemgetter(*(columns.index(c) for c in tracked))
            values = [order(v) for v in values]
        extra = (now, reason, "+", user_id)
        _copy(
            cursor,
            history,
            [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"],
            (v + extra for v in values),
        )
        details = json.dumps({})
        _copy(
            cursor,
            CaseEvent,
            [
                "case_id",
                "action",
                "actor_id",
                "at",
                "reason",
                "from_status",
                "to_status",
                "details",
            ],
            ((pk, "report", user_id, now, reason, "", CaseStatus.REPORTED, details) for pk in ids),
        )


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


def iter_messages(report: ImportReport) -> Iterable[str]:
    yield from report.error_messages()


# --- the preview, the template and the formats the import page states ----------------------

PREVIEW_ROWS = 20


def preview_rows(data: bytes, filename: str = "", rows: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first `rows` cases of a file, checked as the import checks them (reads only them).
    A row's result does not depend on later rows (a duplicate is reported at its second
    occurrence), so these are the results of the whole file's check for those rows."""
    table = read_table(data, filename, stop_after=rows)
    report, _new = check_rows(table, preview=rows)
    return report.preview


def template_headers(language: str | None = None) -> list[str]:
    """The template's header row in the user's language; the import reads both."""
    lang = language or translation.get_language() or "zh-hans"
    labels = ZH_COLUMN_LABELS if lang.startswith("zh") else COLUMN_LABELS
    return [labels[key] for key in COLUMNS]


EXAMPLE_MOMENT = dt.datetime(2024, 5, 31, 14, 30, 0)


def accepted_time_formats() -> list[str]:
    """Examples of every date/time form the import reads, from the parser's own lists."""
    examples = [EXAMPLE_MOMENT.strftime(fmt) for fmt in _DATETIME_FORMATS]
    examples += [EXAMPLE_MOMENT.strftime(fmt) for fmt in _DATE_FORMATS]
    examples.append("2024-05-31T14:30:00+08:00")
    return list(dict.fromkeys(examples))
