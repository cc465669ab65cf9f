"""MS-4.3 / MS-4.4: the storefront reports buyers' complaints; past the threshold in the
window an UNREACHABLE penalty case is reported for a reviewer to confirm, never twice."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from compliance.models import CaseSource, CaseStatus, PenaltyCase, ServiceComplaint
from marketplace import roles
from orders.models import ApiOperation
from orders.services import service_account_create
from tests.orders.factories import make_order
from tests.vendors.factories import role_user, vendor_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


_NAMES = iter(range(1, 10_000))


def _client(operations: list[str], channel: str = "cn") -> APIClient:
    _account, token = service_account_create(
        name=f"sf-{channel}-{next(_NAMES)}", channel=channel, operations=operations, actor=None
    )
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _body(order, n: int, kind: str = "unreachable") -> dict:
    return {
        "order_id": order.pk,
        "external_id": f"C-{n}",
        "kind": kind,
        "occurred_at": f"2026-07-0{n}T10:00:00+08:00",
        "description": "QQ 离线，电话无人接听",
    }


@pytest.fixture
def storefront() -> APIClient:
    return _client([ApiOperation.REPORT_COMPLAINT])


def test_ms_4_4_a_complaint_is_recorded_once_by_its_external_id(storefront):
    order = make_order()
    first = storefront.post(URL, _body(order, 1), format="json")
    assert first.status_code == 201, first.json()
    again = storefront.post(URL, _body(order, 1), format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert ServiceComplaint.objects.count() == 1
    # The same ID for a different complaint is a conflict, not a silent overwrite.
    clash = storefront.post(URL, _body(order, 1, kind="no_alternative"), format="json")
    assert clash.status_code == 409 and clash.json()["code"] == "external_id_reused"


def test_ms_4_4_bad_input_and_wrong_token_are_refused_clearly(storefront):
    order = make_order()
    bad = storefront.post(URL, {**_body(order, 1), "kind": "rude"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"]
    future = storefront.post(
        URL, {**_body(order, 1), "occurred_at": "2099-01-01T10:00:00+08:00"}, format="json"
    )
    assert future.status_code == 400
    wrong_op = _client([ApiOperation.CREATE_REFUND]).post(URL, _body(order, 2), format="json")
    assert wrong_op.status_code == 403
    other_channel = _client([ApiOperation.REPORT_COMPLAINT], channel="intl")
    assert other_channel.post(URL, _body(order, 3), format="json").status_code == 404
    assert not ServiceComplaint.objects.exists()


def test_ms_4_3_the_threshold_reports_one_unreachable_case_for_review(storefront, settings):
    settings.UNREACHABLE_COMPLAINT_THRESHOLD = 3
    settings.UNREACHABLE_COMPLAINT_WINDOW_DAYS = 30
    order = make_order()
    for n in (1, 2):
        assert storefront.post(URL, _body(order, n), format="json").status_code == 201
    assert not PenaltyCase.objects.exists()
    third = storefront.post(URL, _body(order, 3, kind="no_alternative"), format="json")
    assert third.json()["case_opened"] is True
    case = PenaltyCase.objects.get()
    assert case.violation.code == "UNREACHABLE"
    assert case.vendor_id == order.vendor_id
    assert case.status == CaseStatus.REPORTED  # a reviewer confirms; nothing applied
    assert case.source == CaseSource.RULE
    # While it is open, further complaints join it; no second case.
    for n in (4, 5, 6):
        storefront.post(URL, _body(order, n), format="json")
    assert PenaltyCase.objects.count() == 1
    assert ServiceComplaint.objects.filter(case=case).count() == 6


def test_ms_4_3_complaints_outside_the_window_do_not_count(storefront, settings):
    settings.UNREACHABLE_COMPLAINT_THRESHOLD = 2
    settings.UNREACHABLE_COMPLAINT_WINDOW_DAYS = 1
    order = make_order()
    storefront.post(URL, _body(order, 1), format="json")
    storefront.post(URL, _body(order, 5), format="json")  # four days later
    assert not PenaltyCase.objects.exists()


def test_ms_4_4_complaints_show_on_the_vendors_own_page_only(client, storefront):
    order = make_order()
    storefront.post(URL, _body(order, 1), format="json")
    client.force_login(vendor_user(order.vendor))
    html = client.get(reverse("vendor:complaints")).content.decode()
    assert "QQ 离线，电话无人接听" in html
    other = make_order(external_id="OTHER-1")
    client.force_login(vendor_user(other.vendor))
    page = client.get(reverse("vendor:complaints"))
    assert page.status_code == 200 and "QQ 离线" not in page.content.decode()


def test_ms_4_4_complaints_admin_is_read_only_and_not_for_other_roles(client, storefront):
    order = make_order()
    storefront.post(URL, _body(order, 1), format="json")
    complaint = ServiceComplaint.objects.get()
    url = reverse("admin:compliance_servicecomplaint_change", args=[complaint.pk])
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    assert client.get(url).status_code == 403
    client.force_login(role_user(roles.COMPLIANCE_REVIEWER))
    assert client.get(url).status_code == 200
    assert client.post(url, {"kind": "no_alternative"}).status_code == 403
    complaint.refresh_from_db()
    assert complaint.kind == "unreachable"


def test_the_complaint_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/complaints/"]["post"]
    assert operation["operationId"] == "complaints_create"
