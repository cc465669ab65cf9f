"""Compliance admin: action pages with a reason, permissions, the approval queue, import and
export, fixed changelist query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import AppliedMeasure, CaseStatus, ImportJob, PenaltyCase
from compliance.services.penalties import penalty_apply
from tests.compliance.factories import confirmed_case, lead, reported_case, reviewer
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def login(client, user):
    client.force_login(user)
    return client


def action_url(case, name):
    return reverse("admin:compliance_penaltycase_action", args=[case.pk, name])


def test_apply_page_shows_the_plan_and_needs_a_reason(client):
    case = confirmed_case(code="FAKE_TRANSACTION")
    login(client, reviewer())
    page = client.get(action_url(case, "apply"), **EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Shield store" in body and "Restrict publishing" in body and "15 days" in body
    response = client.post(action_url(case, "apply"), {"reason": "", "confirm": "1"}, **EN)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED
    response = client.post(action_url(case, "apply"), {"reason": "per table", "confirm": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.APPLIED
    assert case.events.last().actor is not None


def test_apply_with_extra_measure_from_the_page(client):
    case = confirmed_case(code="SPAM_AD")
    login(client, reviewer())
    data = {
        "reason": "per table",
        "extra_reason": "repeat",
        "m0-kind": "restrict_publishing",
        "m0-days": "7",
        "confirm": "1",
    }
    assert client.post(action_url(case, "apply"), data).status_code == 302
    assert case.measures.filter(kind="restrict_publishing").exists()


def test_second_approval_through_the_admin_and_the_queue(client):
    proposer, approver = lead(), lead()
    case = confirmed_case(code="OFFLINE_TRADE")
    login(client, proposer)
    client.post(action_url(case, "apply"), {"reason": "serious", "confirm": "1"})
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL
    queue = client.get(reverse("admin:compliance_penaltycase_changelist") + "?approval=waiting")
    assert case.reference in queue.content.decode()
    # The proposer cannot approve their own proposal.
    response = client.post(action_url(case, "approve"), {"reason": "me", "confirm": "1"}, **EN)
    assert response.status_code == 200 and "another compliance lead" in response.content.decode()
    login(client, approver)
    assert (
        client.post(action_url(case, "approve"), {"reason": "ok", "confirm": "1"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.APPLIED


def test_reviewer_cannot_approve_or_decide_appeals(client):
    case = confirmed_case(code="FRAUD")
    penalty_apply(case=case, actor=lead(), reason="r")
    login(client, reviewer())
    assert client.get(action_url(case, "approve")).status_code == 403
    assert client.get(action_url(case, "revoke")).status_code == 403


def test_lift_page_names_what_stays_and_lifts(client):
    vendor_case = confirmed_case(code="UNREACHABLE")
    case = penalty_apply(case=vendor_case, actor=reviewer(), reason="r")
    measure = case.measures.get(kind="shield_store")
    login(client, reviewer())
    url = reverse("admin:compliance_penaltycase_lift", args=[case.pk, measure.pk])
    page = client.get(url, **EN)
    assert "Restrict publishing" in page.content.decode()  # the other one stays
    assert client.post(url, {"reason": "settled"}).status_code == 302
    measure.refresh_from_db()
    assert measure.lifted_at is not None


def _changelist_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_case_changelist_query_count_is_fixed(client):
    login(client, lead())
    url = reverse("admin:compliance_penaltycase_changelist")
    for _ in range(2):
        penalty_apply(case=confirmed_case(code="FAKE_TRANSACTION"), actor=reviewer(), reason="r")
    small = _changelist_queries(client, url)
    for _ in range(6):
        penalty_apply(case=confirmed_case(code="FAKE_TRANSACTION"), actor=reviewer(), reason="r")
    assert _changelist_queries(client, url) == small


def test_measure_changelist_query_count_is_fixed(client):
    login(client, lead())
    url = reverse("admin:compliance_appliedmeasure_changelist")
    penalty_apply(case=confirmed_case(code="SPAM_AD"), actor=reviewer(), reason="r")
    small = _changelist_queries(client, url)
    for _ in range(4):
        penalty_apply(case=confirmed_case(code="SPAM_AD"), actor=reviewer(), reason="r")
    assert _changelist_queries(client, url) == small


def test_admin_import_checks_then_imports(client, django_capture_on_commit_callbacks):
    product = ProductFactory()
    vendor = product.vendor
    login(client, reviewer())
    content = (
        "案例编号,服务商,违规代码,发生时间,产品,描述,证据链接,举报人\n"
        f"IMP-1,{vendor.credit_code},SPAM_AD,2025-01-01,{product.pk},广告,,王五\n"
    ).encode("gb18030")
    upload = SimpleUploadedFile("cases.csv", content, content_type="text/csv")
    response = client.post(reverse("admin:compliance_penaltycase_import"), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKED and job.new_rows == 1
    assert not PenaltyCase.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert PenaltyCase.objects.get().reference == "IMP-1"


def test_import_needs_the_import_permission(client):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    login(client, staff)
    assert client.get(reverse("admin:compliance_penaltycase_import")).status_code == 403


def test_export_escapes_formulae(client):
    case = reported_case(code="SPAM_AD")
    case.description = '=HYPERLINK("http://evil")'
    case.reporter = "@attacker"
    case.save()
    login(client, lead())
    response = client.post(
        reverse("admin:compliance_penaltycase_export"),
        {
            "format": "0",
            **{f"penaltycaseresource_{f}": "on" for f in ("reference", "description", "reporter")},
        },
    )
    assert response.status_code == 200, response.content[:500]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    flat = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in flat and "'@attacker" in flat


def test_violation_table_is_edited_only_by_the_lead(client):
    from compliance.models import ViolationType

    vtype = ViolationType.objects.get(code="SPAM_AD")
    url = reverse("admin:compliance_violationtype_change", args=[vtype.pk])
    login(client, reviewer())
    page = client.get(url)
    assert page.status_code == 200 and 'name="code"' not in page.content.decode()
    login(client, lead())
    assert 'name="code"' in client.get(url).content.decode()


def test_version_that_judged_a_case_is_frozen(client):
    case = reported_case(code="SPAM_AD")
    login(client, lead())
    url = reverse("admin:compliance_violationversion_change", args=[case.violation_version_id])
    page = client.get(url)
    assert page.status_code == 200 and 'name="level"' not in page.content.decode()


def test_case_page_shows_buttons_and_log(client):
    case = reported_case(code="SPAM_AD")
    login(client, reviewer())
    page = client.get(reverse("admin:compliance_penaltycase_change", args=[case.pk]), **EN)
    body = page.content.decode()
    assert action_url(case, "confirm") in body and action_url(case, "dismiss") in body
    assert action_url(case, "approve") not in body
    assert "Case reported" in body
    assert AppliedMeasure.objects.count() == 0


def test_report_a_case_in_the_admin(client):
    product = ProductFactory()
    login(client, reviewer())
    url = reverse("admin:compliance_penaltycase_add")
    data = {
        "reference": "ADM-1",
        "vendor": product.vendor.pk,
        "violation": PenaltyCase._meta.get_field("violation")
        .related_model.objects.get(code="SPAM_AD")
        .pk,
        "product": product.pk,
        "occurred_at_0": "2025-03-01",
        "occurred_at_1": "10:00:00",
        "description": "spam",
        "reporter": "me",
        **{
            f"{prefix}-{key}": "0"
            for prefix in ("measures", "evidence", "events")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    case = PenaltyCase.objects.get(reference="ADM-1")
    assert case.status == CaseStatus.REPORTED and case.events.get().action == "report"
    data["reference"] = "ADM-2"
    data["occurred_at_0"] = "2099-01-01"
    response = client.post(url, data)
    assert response.status_code == 200
    assert not PenaltyCase.objects.filter(reference="ADM-2").exists()
