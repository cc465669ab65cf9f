"""Export of penalty cases (MS-7 cases) from the admin (issue 9 §3 and §4).

A control character in one case broke the XLSX export of every case; CSV exports must open in
Excel on Chinese Windows (UTF-8 with BOM); an exported file re-imports as "unchanged"
(formula-neutralised cells included); an unexpected query parameter is a 400, not a 500.
"""

from __future__ import annotations

import codecs
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from compliance.importing import import_cases
from compliance.models import PenaltyCase
from compliance.resources import PenaltyCaseResource
from tests.compliance.factories import reported_case, reviewer
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def export(client, file_format: str, query: str = ""):
    data = {"format": file_format, "resource": "0"}
    data.update({f"penaltycaseresource_{name}": "on" for name in PenaltyCaseResource.Meta.fields})
    url = reverse("admin:compliance_penaltycase_export") + query
    return client.post(url, data, **EN)


def xlsx_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def test_ms_7_xlsx_export_survives_a_control_character_in_one_case(client):
    """A `\\x0b` stored in one case made the XLSX export of every case fail."""
    bad = reported_case()
    good = reported_case()
    PenaltyCase.objects.filter(pk=bad.pk).update(description="line\x0bbreak\x1f")
    client.force_login(reviewer())
    response = export(client, XLSX_FORMAT)
    assert response.status_code == 200
    rows = xlsx_rows(response.content)
    descriptions = {r[0]: r[6] for r in rows[1:]}
    assert descriptions[bad.reference] == "linebreak"
    assert descriptions[good.reference] == "test case"


def test_ms_7_case_form_refuses_control_characters(client):
    vendor = VendorFactory()
    client.force_login(reviewer())
    from compliance.models import ViolationType

    response = client.post(
        reverse("admin:compliance_penaltycase_add"),
        {
            "reference": "CTRL-1",
            "vendor": vendor.pk,
            "violation": ViolationType.objects.get(code="SPAM_AD").pk,
            "occurred_at_0": "2025-03-01",
            "occurred_at_1": "10:00:00",
            "description": "pasted\x0bfrom Word",
            "reporter": "张三",
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "measures-TOTAL_FORMS": "0",
            "measures-INITIAL_FORMS": "0",
        },
        **EN,
    )
    assert response.status_code == 200
    assert "control character (U+000B)" in response.content.decode()
    assert not PenaltyCase.objects.filter(reference="CTRL-1").exists()


def test_csv_export_is_utf8_with_bom_for_excel_on_chinese_windows(client):
    reported_case()
    client.force_login(reviewer())
    response = export(client, CSV_FORMAT)
    assert response.status_code == 200
    assert response.content.startswith(codecs.BOM_UTF8)
    text = response.content.decode("utf-8-sig")
    assert text.startswith("case reference,")


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_ms_7_exported_file_reimports_as_unchanged(client, file_format):
    """Formula-neutralised cells (`=…`, `-…`, `@…`, `'…`) come back as the same data."""
    descriptions = ["=1+2 in a review", "-5 stars", "@everyone", "'quoted'", "''=x", "plain 中文"]
    for description in descriptions:
        case = reported_case()
        PenaltyCase.objects.filter(pk=case.pk).update(description=description)
    client.force_login(reviewer())
    response = export(client, file_format)
    assert response.status_code == 200
    name = "export.csv" if file_format == CSV_FORMAT else "export.xlsx"
    report = import_cases(response.content, filename=name, dry_run=True, actor=None)
    assert report.error_messages() == []
    assert (report.unchanged, report.new) == (len(descriptions), 0)


@pytest.mark.parametrize("query", ["?format=0", "?format=abc", "?format=99", "?nonsense=1"])
def test_export_with_unexpected_query_parameter_is_a_clear_400(client, query):
    reported_case()
    client.force_login(reviewer())
    url = reverse("admin:compliance_penaltycase_export") + query
    for response in (client.get(url, **EN), export(client, XLSX_FORMAT, query)):
        assert response.status_code == 400
        assert "nothing was exported" in response.content.decode()


def test_export_with_a_real_filter_still_filters(client):
    kept = reported_case()
    other = reported_case()
    PenaltyCase.objects.filter(pk=other.pk).update(status="dismissed")
    client.force_login(reviewer())
    response = export(client, CSV_FORMAT, "?status__exact=reported")
    text = response.content.decode("utf-8-sig")
    assert kept.reference in text and other.reference not in text
