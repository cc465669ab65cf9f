"""Issue 12 §3 (MS-7 penalty cases in bulk): a downloadable template (CSV and XLSX, headers in
the user's language, read back in both languages), the accepted date/time formats stated on the
import page, and a preview of the rows to be created before confirm; confirm creates exactly
what was previewed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from compliance import importing
from compliance.importing import parse_occurred_at, preview_rows
from compliance.models import ImportJob, PenaltyCase
from compliance.services.penalties import case_create
from tests.compliance.factories import reviewer, violation
from tests.factories import ProductFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH_HEADERS = ["案例编号", "服务商", "违规代码", "发生时间", "产品", "描述", "证据链接", "举报人"]
EN_HEADERS = [
    "case reference",
    "vendor",
    "violation code",
    "occurred at",
    "product",
    "description",
    "evidence URL",
    "reporter",
]


def template_url(file_format: str) -> str:
    return reverse("admin:compliance_penaltycase_import_template", args=[file_format])


def import_url() -> str:
    return reverse("admin:compliance_penaltycase_import")


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes, sheet: int = 0) -> list[tuple]:
    book = load_workbook(io.BytesIO(content))
    return [tuple(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]


def upload(client, name: str, content: bytes, **headers):
    file = SimpleUploadedFile(name, content)
    return client.post(import_url(), {"file": file}, **headers)


@pytest.mark.parametrize(("lang", "headers"), [(ZH, ZH_HEADERS), (EN, EN_HEADERS)])
def test_ms_7_template_headers_are_in_the_users_language(client, lang, headers):
    client.force_login(reviewer())
    response = client.get(template_url("csv"), **lang)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel on Chinese Windows
    assert "attachment" in response["Content-Disposition"]
    assert csv_rows(response.content) == [headers]  # no example row that would be imported

    response = client.get(template_url("xlsx"), **lang)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx_rows(response.content) == [tuple(headers)]
    # The second sheet explains the columns and lists the codes; the import ignores it.
    notes = [cell for row in xlsx_rows(response.content, 1) for cell in row if cell]
    assert "SPAM_AD" in notes and "2024-05-31 14:30" in notes


def _filled_csv(template: bytes, rows: list[list[str]]) -> bytes:
    text = template.decode("utf-8-sig")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return (text + buffer.getvalue()).encode("utf-8-sig")


def _filled_xlsx(template: bytes, rows: list[list[str]]) -> bytes:
    book = load_workbook(io.BytesIO(template))
    for row in rows:
        book.worksheets[0].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", [ZH, EN])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_ms_7_filled_in_template_imports_in_both_languages(
    client, django_capture_on_commit_callbacks, lang, file_format
):
    vendor = VendorFactory()
    client.force_login(reviewer())
    template = client.get(template_url(file_format), **lang).content
    row = ["TPL-1", vendor.credit_code, "SPAM_AD", "2025-03-01 10:00", "", "广告", "", "张三"]
    fill = _filled_csv if file_format == "csv" else _filled_xlsx
    response = upload(client, f"cases.{file_format}", fill(template, [row]), **lang)
    assert response.status_code == 302, response.context["form"].errors
    job = ImportJob.objects.get()
    assert (job.status, job.new_rows, job.error_rows) == (ImportJob.Status.CHECKED, 1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"confirm": "1"})
    case = PenaltyCase.objects.get(reference="TPL-1")
    assert case.vendor == vendor and case.violation.code == "SPAM_AD"


def test_ms_7_empty_template_is_refused_with_a_clear_message(client):
    client.force_login(reviewer())
    template = client.get(template_url("xlsx"), **EN).content
    response = upload(client, "cases.xlsx", template, **EN)
    assert response.status_code == 200
    assert "header row but no cases" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_template_needs_the_import_permission_and_a_known_format(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(template_url("csv")).status_code == 403
    client.force_login(reviewer())
    assert client.get(template_url("pdf")).status_code == 404


@pytest.mark.parametrize("lang", [ZH, EN])
def test_ms_7_import_page_states_every_accepted_format(client, lang):
    """The formats listed are generated from the parser's own lists, and each one parses."""
    client.force_login(reviewer())
    page = client.get(import_url(), **lang)
    body = page.content.decode()
    assert template_url("csv") in body and template_url("xlsx") in body
    for example in importing.accepted_time_formats():
        assert f"<code>{example}</code>" in body
        moment = parse_occurred_at(example)
        assert timezone.localtime(moment).date() == dt.date(2024, 5, 31)
    for header in ZH_HEADERS + EN_HEADERS:
        assert header in body
    if lang is ZH:
        assert "北京时间" in body


def _file(vendor, product, rows: int, *, bad_row: int | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ZH_HEADERS)
    for n in range(1, rows + 1):
        writer.writerow(
            [
                f"PRV-{n:03d}",
                "91000000000000000X" if n == bad_row else vendor.credit_code,
                "SPAM_AD" if n % 2 else "FAKE_TRANSACTION",
                f"2025/03/{n % 28 + 1:02d} 14:30",
                product.pk if n == 1 else "",
                f"描述 {n}",
                f"https://evidence.example.com/{n}" if n == 2 else "",
                "张三",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def test_ms_7_preview_shows_the_first_rows_parsed_with_their_errors(client):
    product = ProductFactory()
    vendor = product.vendor
    client.force_login(reviewer())
    response = upload(client, "cases.csv", _file(vendor, product, 30, bad_row=3), **ZH)
    page = client.get(response.url, **ZH)
    preview = page.context["preview"]
    assert len(preview) == importing.PREVIEW_ROWS
    first, second, third = preview[:3]
    assert first["number"] == 2 and first["status"] == "new"  # header = row 1
    assert first["vendor"] == f"{vendor.name} ({vendor.credit_code})"
    assert first["violation"].startswith("发布垃圾广告")
    assert first["occurred_at"] == "2025-03-02 14:30"  # 2025/03/02 14:30, China time
    assert first["product"] == str(product)
    assert second["evidence_url"] == "https://evidence.example.com/2"
    assert third["status"] == "error" and "91000000000000000X" in third["errors"][0]
    body = page.content.decode()
    assert "91000000000000000X" in body and "错误" in body
    assert 'name="confirm"' not in body  # a file with an error cannot be imported


def test_ms_7_preview_reads_only_the_first_rows():
    """A large file's preview does not read it to the end (row 40 would refuse the file)."""
    product = ProductFactory()
    data = _file(product.vendor, product, 50).decode()
    lines = data.splitlines()
    lines[40] = lines[40].replace("描述", "描\x0b述")
    rows = preview_rows("\n".join(lines).encode(), "cases.csv", rows=5)
    assert [r.number for r in rows] == [2, 3, 4, 5, 6]
    with pytest.raises(importing.FileRejected):
        importing.read_table("\n".join(lines).encode(), "cases.csv")


def test_ms_7_confirm_creates_exactly_what_was_previewed(
    client, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    vendor = product.vendor
    user = reviewer()
    # One row of the file exists already with the same data: it stays unchanged.
    existing = case_create(
        reference="PRV-005",
        vendor=vendor,
        violation=violation("SPAM_AD"),
        occurred_at=dt.datetime(2025, 3, 6, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        description="描述 5",
        reporter="张三",
        actor=user,
    )
    client.force_login(user)
    content = _file(vendor, product, 8)
    response = upload(client, "cases.csv", content, **EN)
    page = client.get(response.url, **EN)
    shown = {r["reference"]: r for r in page.context["preview"]}
    assert shown["PRV-005"]["status"] == "unchanged"
    job = ImportJob.objects.get()
    previewed = {
        r.values["reference"]: r.values
        for r in preview_rows(content, "cases.csv")
        if r.status == "new"
    }
    assert len(previewed) == job.new_rows == 7
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    created = PenaltyCase.objects.filter(import_job=job)
    assert {c.reference for c in created} == set(previewed)
    for case in created:
        values = previewed[case.reference]
        assert case.vendor_id == values["vendor_id"]
        assert case.violation_id == values["violation_id"]
        assert case.violation_version_id == values["violation_version_id"]
        assert case.occurred_at == values["occurred_at"]
        assert case.product_id == values["product_id"]
        assert case.description == values["description"]
        assert case.evidence_url == (values["evidence_url"] or "")
        assert case.reporter == values["reporter"]
        # ...and what the page showed for it.
        assert shown[case.reference]["occurred_at"] == (
            f"{timezone.localtime(case.occurred_at):%Y-%m-%d %H:%M}"
        )
    existing.refresh_from_db()
    assert existing.import_job is None
    done = client.get(response.url, **EN).content.decode()
    assert f"?import_job={job.pk}" in done


def test_ms_7_confirm_refuses_when_the_check_changed_since_the_preview(
    client, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    vendor = product.vendor
    user = reviewer()
    client.force_login(user)
    content = _file(vendor, product, 3)
    response = upload(client, "cases.csv", content, **EN)
    job = ImportJob.objects.get()
    assert job.new_rows == 3
    # Meanwhile someone records row 3's case by hand, with the same data.
    case_create(
        reference="PRV-003",
        vendor=vendor,
        violation=violation("SPAM_AD"),
        occurred_at=dt.datetime(2025, 3, 4, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        description="描述 3",
        reporter="张三",
        actor=user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "2 new and 1 unchanged" in job.message and "not 3 and 0" in job.message
    assert not PenaltyCase.objects.filter(import_job=job).exists()
    assert PenaltyCase.objects.count() == 1
    page = client.get(response.url, **EN).content.decode()
    assert 'name="retry"' in page  # checking it again shows the new result
