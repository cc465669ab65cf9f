"""Hostile and damaged import files (issue 9 §3, the penalty-case import of MS-7 cases).

Every file is built here, small: an XLSX declaring `A1:XFD1048576`, a zip bomb, a
billion-laughs sheet, a damaged zip, truncated UTF-16, a CSV field over the csv module's
131,072-character limit, a NUL byte after the first 8 KB, and files over the row cap and the
background threshold. Each must be refused with one clear message, through the admin (over
HTTP as a compliance reviewer: no 500, no job left running, no orphaned file in media) and
through `manage.py import_penalty_cases` (a CommandError, non-zero exit, no traceback).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DataError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from compliance.importing import FileRejected, import_cases
from compliance.models import ImportJob, PenaltyCase
from compliance.services.imports import import_job_expire_stale
from tests.compliance.factories import reviewer
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

EN = ["case reference", "vendor", "violation code", "occurred at", "description", "reporter"]
ZH = ["案例编号", "服务商", "违规代码", "发生时间", "描述", "举报人"]
LANG_EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def rows_for(vendor, n=1, prefix="H"):
    return [
        [f"{prefix}-{i:06d}", vendor.credit_code, "SPAM_AD", "2025-03-01", "垃圾广告", "张三"]
        for i in range(n)
    ]


def csv_bytes(rows, headers=EN, encoding="utf-8", delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=EN) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rewrite_member(data: bytes, name: str, change) -> bytes:
    """Copy a zip, passing one member's bytes through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == name:
                content = change(content)
            dst.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def huge_dimension_xlsx(vendor) -> bytes:
    """1.6 KB-class XLSX whose sheet claims A1:XFD1048576 (16,384 columns × 1,048,576 rows)."""
    data = xlsx_bytes(rows_for(vendor, 2))
    return rewrite_member(
        data,
        SHEET,
        lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', x),
    )


def zip_bomb_xlsx(vendor) -> bytes:
    return _zip_bomb()


@functools.cache
def _zip_bomb(inflated_mb: int = 150) -> bytes:
    """A few hundred KB that inflate to `inflated_mb` MB: the sheet padded with spaces."""
    data = xlsx_bytes([["B-1", "91110000000000000X", "SPAM_AD", "2025-03-01", "d", "r"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename != SHEET:
                dst.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
                continue
            head, tail = content.split(b"</sheetData>")
            member_info = zipfile.ZipInfo(SHEET)
            member_info.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(member_info, "w", force_zip64=True) as member:
                member.write(head)
                block = b" " * (1 << 20)
                for _ in range(inflated_mb):
                    member.write(block)
                member.write(b"</sheetData>" + tail)
    return out.getvalue()


def billion_laughs_xlsx(vendor) -> bytes:
    lol = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]>\n"
    )

    def change(content: bytes) -> bytes:
        body = content.split(b"?>", 1)[-1]
        return lol + body.replace(b"<v>", b"<v>&lol9;", 1)

    data = xlsx_bytes(rows_for(vendor, 1))
    return rewrite_member(data, SHEET, change)


def damaged_xlsx(vendor) -> bytes:
    data = bytearray(xlsx_bytes(rows_for(vendor, 3)))
    middle = len(data) // 2
    data[middle : middle + 400] = b"\xff" * 400
    return bytes(data)


def truncated_utf16(vendor) -> bytes:
    data = csv_bytes(rows_for(vendor, 3), encoding="utf-16", delimiter="\t")
    return data[:-1]  # cut inside the last character


def long_field_csv(vendor) -> bytes:
    rows = rows_for(vendor, 2)
    rows[1][4] = "长" * 140_000  # past the csv module's 131,072 limit
    return csv_bytes(rows)


def nul_after_8k_csv(vendor) -> bytes:
    rows = rows_for(vendor, 300)
    rows[-1][4] = "before\x00after"
    data = csv_bytes(rows)
    assert data.index(b"\x00") > 8192
    return data


HOSTILE = {
    "huge_dimension.xlsx": (huge_dimension_xlsx, None),  # read fine: 2 real rows
    "bomb.xlsx": (zip_bomb_xlsx, "MB once uncompressed"),
    "laughs.xlsx": (billion_laughs_xlsx, "XML entity definitions"),
    "damaged.xlsx": (damaged_xlsx, "cannot be opened"),
    "truncated.txt": (truncated_utf16, "cut short"),
    "long_field.csv": (long_field_csv, "characters"),
    "nul.csv": (nul_after_8k_csv, "control character (U+0000)"),
}
REFUSED = {name: spec for name, spec in HOSTILE.items() if spec[1]}


@pytest.fixture
def vendor():
    return VendorFactory()


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the reader ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_file_is_refused_with_one_message(vendor, name):
    build, fragment = REFUSED[name]
    with pytest.raises(FileRejected) as info:
        import_cases(build(vendor), filename=name, dry_run=False, actor=None)
    assert fragment in info.value.message
    assert "Traceback" not in info.value.message
    assert not PenaltyCase.objects.exists()


def test_zip_bomb_is_small_on_disk_and_refused_before_inflating(vendor):
    data = zip_bomb_xlsx(vendor)
    assert len(data) < 1_000_000  # a few hundred KB…
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sum(i.file_size for i in z.infolist()) > 150_000_000  # …declaring 150 MB
    with pytest.raises(FileRejected, match="100 MB"):
        import_cases(data, filename="bomb.xlsx", dry_run=True, actor=None)


def test_declared_dimension_is_ignored_and_real_rows_are_read(vendor):
    """A1:XFD1048576 used 3 GB and died; the dimension is not trusted, the two rows import."""
    data = huge_dimension_xlsx(vendor)
    assert b"A1:XFD1048576" in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    report = import_cases(data, filename="huge.xlsx", dry_run=False, actor=None)
    assert (report.total, report.written) == (2, 2), report.error_messages()


def test_row_column_and_cell_caps_refuse_the_file(vendor, settings):
    settings.PENALTY_IMPORT_MAX_ROWS = 10
    with pytest.raises(FileRejected, match="more than 10 cases"):
        import_cases(csv_bytes(rows_for(vendor, 11)), dry_run=True, actor=None)
    assert import_cases(csv_bytes(rows_for(vendor, 10)), dry_run=True, actor=None).new == 10
    settings.PENALTY_IMPORT_MAX_COLUMNS = 8
    wide = csv_bytes([r + ["x"] * 3 for r in rows_for(vendor, 1)])
    with pytest.raises(FileRejected, match="Row 2 has more than 8 columns"):
        import_cases(wide, dry_run=True, actor=None)
    settings.PENALTY_IMPORT_MAX_CELL_CHARS = 100
    rows = rows_for(vendor, 1)
    rows[0][4] = "x" * 101
    with pytest.raises(FileRejected, match="Row 2, column 5 holds more than 100 characters"):
        import_cases(csv_bytes(rows), dry_run=True, actor=None)
    with pytest.raises(FileRejected, match="Row 2, column 5 holds more than 100 characters"):
        import_cases(xlsx_bytes(rows), filename="x.xlsx", dry_run=True, actor=None)


def shared_strings_xlsx(megabytes: float) -> bytes:
    """An XLSX whose shared-string table holds many tiny unique strings (openpyxl keeps the
    whole table in memory, unlike the sheet, which it streams)."""
    data = xlsx_bytes([["S-1", "x", "SPAM_AD", "2025-03-01", "d", "r"]])
    count = int(megabytes * (1 << 20)) // 24
    table = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"".join(b"<si><t>a%07d</t></si>" % i for i in range(count))
        + b"</sst>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), zipfile.ZIP_DEFLATED)
        dst.writestr("xl/sharedStrings.xml", table, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_shared_string_table_over_its_share_of_the_cap_is_refused(settings):
    settings.PENALTY_IMPORT_MAX_UNCOMPRESSED_BYTES = 4 << 20  # 1 MB of shared strings
    with pytest.raises(FileRejected, match="more than 1 MB of text"):
        import_cases(shared_strings_xlsx(1.5), filename="s.xlsx", dry_run=True, actor=None)


def test_excel_unicode_text_utf16_tab_separated_is_read(vendor):
    """Excel's "Unicode text" save: UTF-16 with BOM, tab-separated, Chinese headers."""
    data = csv_bytes(rows_for(vendor, 2), headers=ZH, encoding="utf-16", delimiter="\t")
    assert data.startswith((b"\xff\xfe", b"\xfe\xff"))
    report = import_cases(data, filename="cases.txt", dry_run=False, actor=None)
    assert report.written == 2, report.error_messages()


@pytest.mark.parametrize(
    ("headers", "language", "expected"),
    [
        (
            ["案例编号", "服务商", "违规代码"],
            "en",
            "missing column(s): “发生时间”, “描述”, “举报人”",
        ),
        (["case reference", "vendor"], "en", "“violation code”, “occurred at”"),
        (["案例编号", "服务商", "违规代码"], "zh-hans", "“发生时间”"),
    ],
)
def test_missing_columns_named_in_the_headers_language(headers, language, expected):
    from django.utils import translation

    data = ",".join(headers).encode() + b"\nx,y,z\n"
    with translation.override(language), pytest.raises(FileRejected) as info:
        import_cases(data, dry_run=True, actor=None)
    assert expected in info.value.message


# --- the admin, over HTTP -----------------------------------------------------------------------


def post_file(client, name: str, data: bytes):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse("admin:compliance_penaltycase_import"), {"file": upload}, **LANG_EN)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_admin_upload_of_hostile_file_is_a_clear_message(client, vendor, name):
    """MS-7 import as a compliance reviewer: no 500, no job, no file left in media."""
    build, fragment = REFUSED[name]
    client.force_login(reviewer())
    response = post_file(client, name, build(vendor))
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert not ImportJob.objects.exists()
    assert media_files() == []
    assert not PenaltyCase.objects.exists()


def test_large_file_is_checked_in_the_background_with_progress(
    client, vendor, settings, django_capture_on_commit_callbacks
):
    settings.PENALTY_IMPORT_BACKGROUND_BYTES = 10_000
    data = csv_bytes(rows_for(vendor, 500))
    assert len(data) > 10_000
    client.force_login(reviewer())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_file(client, "big.csv", data)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKING and job.file  # nothing checked in the request
    page = client.get(response.url, **LANG_EN)
    assert 'http-equiv="refresh"' in page.content.decode()
    assert "Checking in the background" in page.content.decode()
    for callback in callbacks:  # the worker
        callback()
    job.refresh_from_db()
    assert (job.status, job.new_rows, job.total_rows) == (ImportJob.Status.CHECKED, 500, 500)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and PenaltyCase.objects.count() == 500


def test_large_hostile_file_refused_in_the_background_leaves_no_file(
    client, vendor, settings, django_capture_on_commit_callbacks
):
    """A 1,000,000-row CSV under 50 MB ran in the request until killed: now it goes to the
    background and is refused by the row cap; its stored copy is deleted."""
    settings.PENALTY_IMPORT_BACKGROUND_BYTES = 10_000
    settings.PENALTY_IMPORT_MAX_ROWS = 300
    client.force_login(reviewer())
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, "million.csv", csv_bytes(rows_for(vendor, 1000)))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert "more than 300 cases" in job.message
    assert not job.file and media_files() == []
    page = client.get(response.url, **LANG_EN).content.decode()
    assert "more than 300 cases" in page and 'name="retry"' not in page


def test_job_failing_for_any_reason_ends_failed_and_can_be_retried(
    client, vendor, monkeypatch, django_capture_on_commit_callbacks
):
    """A database refusal while writing (the NUL byte on PostgreSQL) left the job `running`
    for ever: now it ends `failed` with its message and the reviewer can retry."""
    client.force_login(reviewer())
    response = post_file(client, "cases.csv", csv_bytes(rows_for(vendor, 3)))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKED

    def refuse(*args, **kwargs):
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr("compliance.importing.write_rows", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.file
    page = client.get(response.url, **LANG_EN).content.decode()
    assert "unexpected error" in page and 'name="retry"' in page
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"retry": "1"}, **LANG_EN)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and job.new_rows == 3
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and PenaltyCase.objects.count() == 3


def test_job_whose_worker_died_is_marked_failed_and_retryable(vendor, settings):
    from compliance.services.imports import can_retry, import_job_check

    job, _ = import_job_check(name="c.csv", content=csv_bytes(rows_for(vendor)), actor=None)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, heartbeat_at=timezone.now() - dt.timedelta(minutes=31)
    )
    job.refresh_from_db()
    job = import_job_expire_stale(job=job)
    assert job.status == ImportJob.Status.FAILED and can_retry(job)
    fresh, _ = import_job_check(name="d.csv", content=csv_bytes(rows_for(vendor)), actor=None)
    ImportJob.objects.filter(pk=fresh.pk).update(
        status=ImportJob.Status.RUNNING, heartbeat_at=timezone.now()
    )
    fresh.refresh_from_db()
    assert import_job_expire_stale(job=fresh).status == ImportJob.Status.RUNNING


# --- the management command ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_command_refuses_hostile_file_with_a_clear_error(vendor, tmp_path, name):
    build, fragment = REFUSED[name]
    path = tmp_path / name
    path.write_bytes(build(vendor))
    with pytest.raises(CommandError) as info:
        call_command("import_penalty_cases", str(path), "--language", "en")
    assert fragment in str(info.value)
    assert not PenaltyCase.objects.exists()


def test_command_in_a_process_exits_non_zero_without_traceback(vendor, tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    for name in ("laughs.xlsx", "truncated.txt"):
        path = tmp_path / name
        path.write_bytes(REFUSED[name][0](vendor))
        done = subprocess.run(
            [sys.executable, "manage.py", "import_penalty_cases", str(path), "--language", "en"],
            cwd=Path(django_settings.BASE_DIR),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert "Traceback" not in done.stderr
        assert REFUSED[name][1] in done.stderr
