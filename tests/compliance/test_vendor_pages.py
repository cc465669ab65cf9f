"""Vendor appeal pages: own cases only (isolation), appeal with statement and evidence."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.models import CaseStatus
from compliance.services.penalties import penalty_apply
from tests.compliance.factories import confirmed_case, reported_case, reviewer, vendor_user
from vendors import exit_checks

pytestmark = pytest.mark.django_db


def applied(**kwargs):
    return penalty_apply(case=confirmed_case(**kwargs), actor=reviewer(), reason="per table")


def test_vendor_sees_own_cases_only(client):
    mine, theirs = applied(code="SPAM_AD"), applied(code="SPAM_AD")
    client.force_login(vendor_user(mine.vendor))
    page = client.get(reverse("vendor:compliance_cases"))
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.reference in body and theirs.reference not in body
    assert client.get(reverse("vendor:compliance_case", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("vendor:compliance_case", args=[theirs.pk]), {"statement": "not ours"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == CaseStatus.APPLIED


def test_cases_under_investigation_are_not_shown(client):
    case = reported_case(code="SPAM_AD")
    client.force_login(vendor_user(case.vendor))
    assert client.get(reverse("vendor:compliance_case", args=[case.pk])).status_code == 404


def test_vendor_appeals_with_statement_and_evidence(client):
    case = applied(code="FAKE_TRANSACTION")
    user = vendor_user(case.vendor)
    client.force_login(user)
    url = reverse("vendor:compliance_case", args=[case.pk])
    response = client.post(
        url,
        {
            "statement": "The orders were real buyers.",
            "evidence_url": "https://example.com/proof",
            "evidence_file": SimpleUploadedFile("proof.pdf", b"%PDF-1.4\n", "application/pdf"),
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.APPEALED
    assert case.appeal_statement == "The orders were real buyers."
    assert case.evidence.filter(kind="appeal").count() == 2
    assert case.events.last().actor == user


def test_appeal_needs_a_statement(client):
    case = applied(code="FAKE_TRANSACTION")
    client.force_login(vendor_user(case.vendor))
    response = client.post(reverse("vendor:compliance_case", args=[case.pk]), {"statement": ""})
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.APPLIED


def test_staff_without_vendor_cannot_open_vendor_pages(client):
    client.force_login(reviewer())
    assert client.get(reverse("vendor:compliance_cases")).status_code == 403


def test_ms_3_1_5_open_penalty_blocks_deposit_refund():
    case = applied(code="FAKE_TRANSACTION")
    reasons = exit_checks.outstanding_reasons(case.vendor)
    assert any("penalty" in r for r in reasons)
