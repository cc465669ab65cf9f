"""Bulk import of penalty cases (issue 4 §4): idempotent, all-or-nothing, encodings, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from openpyxl import Workbook

from compliance.importing import FileRejected, import_cases
from compliance.models import CaseSource, CaseStatus, ImportJob, PenaltyCase
from compliance.services.imports import import_job_check, import_job_start
from marketplace.exceptions import PermissionDenied
from tests.compliance.factories import reviewer, violation
from tests.factories import ProductFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db

EN = [
    "case reference",
    "vendor",
    "violation code",
    "occurred at",
    "product",
    "description",
    "evidence URL",
    "reporter",
]
ZH = ["案例编号", "服务商", "违规代码", "发生时间", "产品", "描述", "证据链接", "举报人"]


def csv_bytes(rows, headers=EN, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=EN):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def vendor():
    return VendorFactory()


def row(
    vendor,
    ref="R-1",
    code="SPAM_AD",
    when="2025-03-01",
    product="",
    desc="垃圾广告",
    url="https://evidence.example.com/1",
    reporter="张三",
):
    return [ref, vendor.credit_code, code, when, product, desc, url, reporter]


def run(data, dry_run=False, actor=None, filename="cases.csv"):
    return import_cases(data, filename=filename, dry_run=dry_run, actor=actor)


def test_import_creates_reported_cases_with_history_and_log(vendor):
    actor = reviewer()
    product = ProductFactory(vendor=vendor)
    report = run(
        csv_bytes([row(vendor, product=str(product.pk)), row(vendor, ref="R-2", code="FRAUD")]),
        actor=actor,
    )
    assert (report.new, report.unchanged, report.error_rows, report.written) == (2, 0, 0, 2)
    case = PenaltyCase.objects.get(reference="R-1")
    assert case.status == CaseStatus.REPORTED and case.source == CaseSource.IMPORT
    assert case.product == product and case.reporter == "张三"
    assert case.occurred_at == dt.datetime(2025, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert case.violation_version.violation.code == "SPAM_AD"
    history = case.history.get()
    assert history.history_user == actor and "cases.csv" in history.history_change_reason
    assert case.events.get().action == "report"
    assert not case.measures.exists(), "imported cases are not applied"


def test_reimport_creates_nothing_new(vendor):
    data = csv_bytes([row(vendor), row(vendor, ref="R-2")])
    run(data)
    again = run(data)
    assert (again.new, again.unchanged, again.written) == (0, 2, 0)
    assert PenaltyCase.objects.count() == 2
    assert PenaltyCase.history.count() == 2


def test_existing_reference_with_different_data_is_an_error(vendor):
    run(csv_bytes([row(vendor)]))
    report = run(csv_bytes([row(vendor, desc="something else")]))
    assert report.error_rows == 1
    assert "already exists with different data" in str(report.errors[0])
    assert "description" in str(report.errors[0])
    assert PenaltyCase.objects.get().description == "垃圾广告"


def test_all_or_nothing_one_bad_row_writes_nothing(vendor):
    rows = [row(vendor, ref=f"R-{i}") for i in range(50)]
    rows.append(row(vendor, ref="R-bad", code="NO_SUCH_CODE"))
    report = run(csv_bytes(rows))
    assert report.new == 50 and report.error_rows == 1 and report.written == 0
    assert str(report.errors[0]) == (
        "Row 52, column “violation code”: unknown violation code “NO_SUCH_CODE”."
    )
    assert not PenaltyCase.objects.exists()


def test_dry_run_writes_nothing(vendor):
    report = run(csv_bytes([row(vendor)]), dry_run=True)
    assert report.new == 1 and report.rows == [(2, "R-1", "new")]
    assert not PenaltyCase.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_with_chinese_headers(vendor, encoding):
    report = run(
        csv_bytes([row(vendor, desc="发布淫秽色情信息，屏蔽")], headers=ZH, encoding=encoding)
    )
    assert report.written == 1, report.error_messages()
    assert PenaltyCase.objects.get().description == "发布淫秽色情信息，屏蔽"


def test_xlsx_with_real_dates_and_numeric_vendor_id(vendor):
    data = xlsx_bytes(
        [["X-1", vendor.pk, "spam_ad", dt.datetime(2025, 1, 2, 9, 30), None, "广告", None, "李四"]]
    )
    report = run(data, filename="cases.xlsx")
    assert report.written == 1, report.error_messages()
    case = PenaltyCase.objects.get()
    assert case.vendor == vendor
    assert timezone.localtime(case.occurred_at).hour == 9  # China time


def test_datetime_in_china_time(vendor):
    run(csv_bytes([row(vendor, when="2025-03-01 23:30")]))
    occurred = PenaltyCase.objects.get().occurred_at
    assert occurred == dt.datetime(2025, 3, 1, 15, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("change", "column", "fragment"),
    [
        ({"code": "NOPE"}, "violation code", "unknown violation code"),
        ({"when": "31/02/2025"}, "occurred at", "is not a date"),
        ({"when": "2099-01-01"}, "occurred at", "in the future"),
        ({"when": "2010-01-01"}, "occurred at", "no version"),
        ({"desc": ""}, "description", "required"),
        ({"reporter": ""}, "reporter", "required"),
        ({"url": "not a link"}, "evidence URL", "not a web link"),
        ({"product": "999999"}, "product", "unknown product"),
    ],
)
def test_bad_cells_name_row_and_column(vendor, change, column, fragment):
    report = run(csv_bytes([row(vendor, ref="OK-1"), row(vendor, ref="BAD-1", **change)]))
    assert report.error_rows == 1 and report.written == 0
    message = str(report.errors[0])
    assert message.startswith(f"Row 3, column “{column}”"), message
    assert fragment in message
    assert not PenaltyCase.objects.exists()


def test_unknown_vendor(vendor):
    data = csv_bytes([["R-1", "91110000000000000X", "SPAM_AD", "2025-01-01", "", "d", "", "r"]])
    report = run(data)
    assert str(report.errors[0]).startswith("Row 2, column “vendor”: unknown vendor")


def test_retired_code(vendor):
    vtype = violation("SPAM_AD")
    vtype.retired = True
    vtype.save()
    report = run(csv_bytes([row(vendor)]))
    assert "is retired" in str(report.errors[0])


def test_product_of_another_vendor(vendor):
    other = ProductFactory()
    report = run(csv_bytes([row(vendor, product=str(other.pk))]))
    assert "does not belong to this vendor" in str(report.errors[0])


def test_duplicate_reference_inside_the_file(vendor):
    report = run(csv_bytes([row(vendor), row(vendor, ref="R-2"), row(vendor)]))
    assert report.error_rows == 1
    assert str(report.errors[0]) == (
        "Row 4, column “case reference”: “R-1” appears twice in this file (first in row 2)."
    )
    assert not PenaltyCase.objects.exists()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "The file is empty."),
        (b"\n\n", "The file is empty."),
        (b"\x00\x01\x02\x03binary\x00junk", "binary data"),
        (b"PK\x03\x04not really a zip", "cannot be opened"),
        (csv_bytes([], headers=EN), "no cases"),
        ("案例编号,服务商\nR-1,x\n".encode(), "missing column"),
    ],
)
def test_unreadable_files_are_rejected_with_a_message(data, fragment):
    with pytest.raises(FileRejected) as info:
        run(data)
    assert fragment in info.value.message
    assert not PenaltyCase.objects.exists()


def test_missing_column_names_it():
    with pytest.raises(FileRejected) as info:
        run(b"case reference,vendor,violation code,occurred at,description\n")
    assert "“reporter”" in info.value.message


def test_messages_in_the_users_language(vendor):
    with translation.override("zh-hans"):
        report = run(csv_bytes([row(vendor, code="NOPE")]))
        message = str(report.errors[0])
    assert "第" in message and "违规代码" in message


@pytest.mark.slow
def test_100k_row_file_is_checked_and_errors_name_the_row(vendor):
    """A 100,000-row file is read and checked in one pass; its one bad row is named."""
    rows = [row(vendor, ref=f"BIG-{i:06d}") for i in range(100_000)]
    rows[-1][0] = "BIG-000000"  # duplicate of the first
    report = run(csv_bytes(rows), dry_run=True)
    assert report.total == 100_000 and report.new == 99_999 and report.error_rows == 1
    assert str(report.errors[0]).startswith("Row 100001, column “case reference”")


def test_import_needs_the_permission(vendor):
    with pytest.raises(PermissionDenied) as raised:
        import_job_check(name="c.csv", content=csv_bytes([row(vendor)]), actor=UserFactory())
    assert raised.value.code == "permission_denied"


def test_job_checks_then_imports_in_the_background(vendor, django_capture_on_commit_callbacks):
    actor = reviewer()
    job, _report = import_job_check(name="c.csv", content=csv_bytes([row(vendor)]), actor=actor)
    assert job.status == ImportJob.Status.CHECKED and job.new_rows == 1
    assert job.file.name.startswith("compliance/imports/")
    assert not PenaltyCase.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        import_job_start(job=job, actor=actor)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.progress_percent == 100
    assert PenaltyCase.objects.get().import_job == job


def test_command_dry_run_and_import(vendor, tmp_path, capsys):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes([row(vendor)], headers=ZH, encoding="gb18030"))
    call_command("import_penalty_cases", str(path), "--dry-run")
    assert not PenaltyCase.objects.exists()
    call_command("import_penalty_cases", str(path))
    assert PenaltyCase.objects.count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(vendor, ref="B-1", code="NOPE")]))
    with pytest.raises(CommandError):
        call_command("import_penalty_cases", str(bad), "--language", "en")
    assert PenaltyCase.objects.count() == 1
