"""Isolation crawl: every vendor page and every API endpoint, tried with another owner's IDs.

The URL patterns are read from the resolver, so a page or endpoint added later is crawled
automatically; a pattern whose kwargs the crawl cannot map to another vendor's (channel's)
object fails the suite until it is added to the maps below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient
from rest_framework.views import APIView

from compliance.models import PenaltyCase, RuleEvaluation, VendorNotification
from compliance.services.penalties import penalty_apply
from orders.models import ApiOperation, Invoice, Order, Refund, Statement, VendorRefundTerms
from orders.services import invoice_request, refund_request
from orders.services.settlement import parse_period, settlement_run, statement_issue
from tests.compliance.factories import confirmed_case, reviewer
from tests.factories import (
    ProductFactory,
    StoreFactory,
    UserFactory,
    VendorFactory,
    VendorStaffFactory,
)
from tests.orders.factories import PAID_AT, make_order
from tests.vendors.factories import filled_application, pdf_upload
from vendors.models import DepositEntry, OnboardingApplication, Vendor, VendorDocument
from vendors.services import deposit_pay, document_replace, exit_request, service_commitment_save

pytestmark = pytest.mark.django_db

# Strings that exist only in vendor B's rows: none may appear on vendor A's pages.
B_NAME = "Bravo Secret Holdings"
B_PRODUCT = "Bravo-Only Product"
B_ORDER = "BRAVO-ORDER-1"
B_REFUND_NOTE = "bravo refund description"
B_CONTACT = "Bravo Contact Person"
B_CASE = "BRAVO-CASE-1"
B_CHANNEL = "https://im.example.com/bravo-secret-channel"  # MS-4.3 service commitment
B_EXIT = "bravo exit reason"
B_NOTICE = "BRAVO-NOTICE-1"


# --- URL enumeration ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "vendor:product_detail" or "api-refunds-detail"
    kwargs: tuple[str, ...]
    callback: Any


def _walk(patterns, namespace: str | None, prefix: str) -> Iterator[tuple[str | None, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield namespace, prefix + str(entry.pattern), entry


def vendor_routes() -> list[Route]:
    routes = []
    for namespace, _route, entry in _walk(get_resolver().url_patterns, None, ""):
        if namespace == "vendor":
            kwargs = tuple(entry.pattern.converters)
            routes.append(Route(f"vendor:{entry.name}", kwargs, entry.callback))
    return routes


def api_routes() -> list[Route]:
    routes = []
    for _namespace, route, entry in _walk(get_resolver().url_patterns, None, ""):
        view_class = getattr(entry.callback, "cls", None)
        if route.startswith("api/v1/") and view_class and issubclass(view_class, APIView):
            routes.append(Route(entry.name, tuple(entry.pattern.converters), entry.callback))
    return routes


def test_the_crawl_finds_the_known_pages_and_endpoints():
    """Guards the walker itself: if it found nothing, every other test here would be empty."""
    names = {r.name for r in vendor_routes()}
    assert {"vendor:home", "vendor:product_detail", "vendor:refund_agree"} <= names
    assert {"vendor:compliance_case", "vendor:document", "vendor:application_edit"} <= names
    assert {"vendor:exit", "vendor:exit_request"} <= names  # MS-8.2
    assert {"api-orders-create", "api-refunds-detail"} <= {r.name for r in api_routes()}


# --- vendor B's world -----------------------------------------------------------------------


@pytest.fixture
def world() -> dict[str, Any]:
    """Vendor A (the caller) and vendor B, with one object of every kind a page can name."""
    vendor_a = VendorFactory(name="Alpha Holdings")
    user_a = VendorStaffFactory(vendor=vendor_a).user
    application = filled_application(company_name=B_NAME)
    application.contact_name = B_CONTACT
    application.save(update_fields=["contact_name"])
    vendor_b = application.vendor
    deposit_pay(vendor=vendor_b, amount=Decimal("5000.00"), actor=None, reason="bravo deposit")
    product = ProductFactory(vendor=vendor_b, title=B_PRODUCT)
    # B trades while its draft re-application is open (an order needs an active vendor).
    status = vendor_b.status
    vendor_b.status = Vendor.Status.ACTIVE
    vendor_b.save(update_fields=["status"])
    if not hasattr(vendor_b, "store"):
        StoreFactory(vendor=vendor_b)
    order = make_order(vendor=vendor_b, external_id=B_ORDER)
    refund, _ = refund_request(
        order=order,
        external_id="R-B",
        reason_code="not_received",
        amount_requested="50.00",
        description=B_REFUND_NOTE,
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),  # seeded history: received when it was asked
    )
    invoice, _ = invoice_request(
        order=order, external_id="I-B", purpose="sale", invoice_type="ordinary"
    )
    # An applied case: the one kind B's own staff can open and appeal.
    case = penalty_apply(
        case=confirmed_case(vendor=vendor_b, product=product, reference=B_CASE),
        actor=reviewer(),
        reason="per table",
    )
    # Issue 13 duties of B: service commitments and a replacement document (MS-4.3, MS-6.1.1).
    service_commitment_save(
        vendor=vendor_b,
        online_channel=B_CHANNEL,
        phone="13900139000",
        qq="99887766",
        hours_start=dt.time(9),
        hours_end=dt.time(18),
        actor=None,
    )
    document_replace(
        vendor=vendor_b,
        kind="legal_rep_id",
        file=pdf_upload("bravo-id.pdf"),
        valid_from=dt.date(2026, 1, 1),
        valid_until=None,
        actor=None,
    )
    # MS-8.2: B asked to leave; its reason must never show on A's exit page.
    exit_request(vendor=vendor_b, actor=None, reason=B_EXIT)
    vendor_b.status = status
    vendor_b.save(update_fields=["status"])
    # An issued settlement statement of B (July, its order's month).
    settlement_run(period=parse_period("2026-07"))
    statement = statement_issue(
        statement=Statement.objects.get(vendor=vendor_b), actor=None, reason="issue"
    )
    # Issue 13: B's inbox (the mark-read page takes its ID) and a rule evaluation about B.
    notice = VendorNotification.objects.create(
        vendor=vendor_b,
        rule_id="MS-5.8",
        subject=B_NOTICE,
        body=B_NOTICE,
        dedupe_key="bravo:notice",
    )
    RuleEvaluation.objects.create(
        rule="refund_rate",
        rule_id="MS-5.8",
        vendor=vendor_b,
        subject_type="vendor",
        subject_id=str(vendor_b.pk),
        outcome="acted",
        message=B_NOTICE,
        as_of=PAID_AT,
    )
    return {
        "notice": notice,
        "user_a": user_a,
        "vendor_b": vendor_b,
        "application": application,
        "document": VendorDocument.objects.filter(vendor=vendor_b).first(),
        "product": product,
        "order": order,
        "order_external_id": order.external_id,
        "refund": refund,
        "invoice": invoice,
        "case": case,
        "statement": statement,
    }


# Which of B's objects each vendor page's kwargs name. A new page with a kwarg must be added.
VENDOR_KWARGS: dict[tuple[str, str], str] = {
    ("vendor:application", "pk"): "application",
    ("vendor:application_edit", "pk"): "application",
    ("vendor:application_upload", "pk"): "application",
    ("vendor:application_submit", "pk"): "application",
    ("vendor:document", "pk"): "document",
    ("vendor:product_detail", "pk"): "product",
    ("vendor:product_submit", "pk"): "product",
    ("vendor:product_update", "pk"): "product",
    ("vendor:revision_submit", "pk"): "product",
    ("vendor:product_edit", "pk"): "product",
    ("vendor:product_spec_add", "pk"): "product",
    ("vendor:product_qualification_upload", "pk"): "product",
    ("vendor:order", "pk"): "order",
    ("vendor:refund", "pk"): "refund",
    ("vendor:refund_agree", "pk"): "refund",
    ("vendor:refund_dispute", "pk"): "refund",
    ("vendor:compliance_case", "pk"): "case",
    ("vendor:statement", "pk"): "statement",
    ("vendor:statement_confirm", "pk"): "statement",
    ("vendor:statement_dispute", "pk"): "statement",
    ("vendor:statement_vat_invoice", "pk"): "statement",
    ("vendor:statement_fee_invoice", "pk"): "statement",
    ("vendor:statement_xlsx", "pk"): "statement",
    ("vendor:notice_read", "pk"): "notice",
}

# Pages without an id in their path that take another object's id in a filter or a form field
# (issue 13): the crawl tries them with B's ids too; B's rows must not show and nothing of B
# may be written. Values are (field, key in the world) pairs.
VENDOR_ID_FIELDS: dict[str, list[tuple[str, str]]] = {
    "vendor:orders": [("product", "product")],
    "vendor:orders_export": [("product", "product")],
    "vendor:refund_terms": [("product", "product")],
}

# A body the page would accept from B's own staff: proves the 404 is not a 400 in disguise.
PLAUSIBLE_POST: dict[str, dict[str, Any]] = {
    "vendor:application_edit": {
        "contact_name": "Hijack",
        "contact_phone": "13800138000",
        "contact_email": "x@example.com",
        "declares_this_cloud_only": "on",
        "accept_agreement": "on",
    },
    "vendor:application_upload": {"kind": "business_licence", "valid_from": "2026-01-01"},
    "vendor:product_update": {
        "title": "Hijacked",
        "description": "x",
        "deployment": "x",
        "specs-TOTAL_FORMS": "1",
        "specs-INITIAL_FORMS": "0",
        "specs-0-name": "S",
        "specs-0-price": "1.00",
        "specs-0-billing_period": "once",
    },
    "vendor:refund_agree": {"note": "hijack"},
    "vendor:refund_dispute": {"note": "hijack"},
    "vendor:compliance_case": {"statement": "hijack appeal"},
    "vendor:statement_dispute": {"reason": "hijack"},
    "vendor:statement_vat_invoice": {"number": "44031234", "date": "2026-08-01", "amount": "90"},
    "vendor:agreement_sign": {"confirm": "yes"},
    "vendor:product_edit": {"title": "Hijacked", "deployment": "x"},
    "vendor:product_spec_add": {
        "spec-name": "Hijack",
        "spec-price": "1.00",
        "spec-billing_period": "once",
    },
    "vendor:refund_terms": {
        "refund_percent": "50",
        "text": "hijack terms",
        "effective_from": "2099-01-01",
    },
}

B_STRINGS = [
    B_NAME,
    B_PRODUCT,
    B_ORDER,
    B_REFUND_NOTE,
    B_CONTACT,
    B_CASE,
    B_CHANNEL,
    B_EXIT,
    B_NOTICE,
]


def _snapshot(world: dict[str, Any]) -> dict[str, Any]:
    """B's rows as they stand, and the row count of every table (history included)."""
    rows = {}
    for key in (
        "application",
        "document",
        "product",
        "order",
        "refund",
        "invoice",
        "case",
        "statement",
        "notice",
    ):
        obj = world[key]
        fresh = type(obj).objects.get(pk=obj.pk)
        rows[key] = {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}
    rows["vendor_b"] = model_to_dict(type(world["vendor_b"]).objects.get(pk=world["vendor_b"].pk))
    counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    # Sessions and the messages framework are not B's data.
    counts.pop("sessions.Session", None)
    return {"rows": rows, "counts": counts}


def _leaks(content: bytes) -> list[str]:
    text = content.decode("utf-8", errors="replace")
    return [s for s in B_STRINGS if s in text]


def test_vendor_pages_with_another_vendors_ids_are_404_and_change_nothing(client, world):
    """Isolation: vendor A's staff, with vendor B's IDs, on every page of the namespace."""
    client.force_login(world["user_a"])
    before = _snapshot(world)
    problems = []
    for route in vendor_routes():
        unmapped = [k for k in route.kwargs if (route.name, k) not in VENDOR_KWARGS]
        assert not unmapped, (
            f"{route.name} has kwargs {unmapped} the isolation crawl cannot map to another "
            "vendor's object: add them to VENDOR_KWARGS"
        )
        kwargs = {k: world[VENDOR_KWARGS[(route.name, k)]].pk for k in route.kwargs}
        url = reverse(route.name, kwargs=kwargs)
        attempts = [("GET", None), ("POST", {}), ("POST", PLAUSIBLE_POST.get(route.name, {}))]
        for field, key in VENDOR_ID_FIELDS.get(route.name, []):
            value = world[key] if isinstance(world[key], str) else world[key].pk
            attempts.append(("GET", {field: value}))
            attempts.append(("POST", {**PLAUSIBLE_POST.get(route.name, {}), field: value}))
        if route.name == "vendor:application_upload":
            body = {**PLAUSIBLE_POST[route.name], "file": pdf_upload()}
            attempts[-1] = ("POST", body)
        for method, body in attempts:
            if method == "GET":
                response = client.get(url, body or {})
            else:
                response = client.post(url, body or {})
            if kwargs:
                if response.status_code not in (403, 404, 405):
                    problems.append(f"{method} {url}: {response.status_code}, expected 404")
            elif response.status_code >= 500:
                problems.append(f"{method} {url}: {response.status_code}")
            # A download (the orders CSV) streams: read it to its end (`content` would raise).
            body_bytes = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
            leaked = _leaks(body_bytes)
            if leaked:
                problems.append(f"{method} {url} shows vendor B's {leaked}")
    # Searching B's order ID: the box echoes the ID typed, so the leak check above cannot
    # judge it; the list and the CSV must hold no row of B.
    search = client.get(reverse("vendor:orders"), {"q": world["order_external_id"]})
    assert search.status_code == 200 and not search.context["page"].object_list
    export = client.get(reverse("vendor:orders_export"), {"q": world["order_external_id"]})
    assert B_ORDER.encode() not in b"".join(export.streaming_content)
    assert not problems, "\n".join(problems)
    after = _snapshot(world)
    assert after["rows"] == before["rows"]
    changed = {
        k: (v, after["counts"][k]) for k, v in before["counts"].items() if after["counts"][k] != v
    }
    # Vendor A's own pages may start A's own draft (application_new / product_new are
    # kwarg-less POSTs of A's own): nothing of B, and no other table, may grow.
    allowed = _own_writes_of_a()
    assert not {k: v for k, v in changed.items() if k not in allowed}, changed
    # MS-5.7.2: A's own terms page may record A's terms, never terms naming B's product.
    assert not VendorRefundTerms.objects.filter(product=world["product"]).exists()
    assert not VendorRefundTerms.objects.filter(vendor=world["vendor_b"]).exists()


def _own_writes_of_a() -> set[str]:
    """Tables a kwarg-less POST may legitimately write for vendor A itself."""
    return {
        "vendors.OnboardingApplication",
        "vendors.HistoricalOnboardingApplication",
        "vendors.ApplicationConditionResult",
        "vendors.HistoricalApplicationConditionResult",
        # MS-3.1.4: A signs the agreement for itself (vendor:agreement_sign).
        "vendors.AgreementSignature",
        "vendors.HistoricalAgreementSignature",
        # Issue 13: the refund terms page records A's own terms (MS-5.7.2).
        "orders.VendorRefundTerms",
        "orders.HistoricalVendorRefundTerms",
    }


def test_the_crawled_ids_are_real_vendor_b_opens_its_own_pages(client, world):
    """Control: the same IDs work for B's own staff, so the 404s above are isolation."""
    client.force_login(VendorStaffFactory(vendor=world["vendor_b"]).user)
    for route in vendor_routes():
        if not route.kwargs:
            continue
        kwargs = {k: world[VENDOR_KWARGS[(route.name, k)]].pk for k in route.kwargs}
        response = client.get(reverse(route.name, kwargs=kwargs))
        assert response.status_code in (200, 302, 405), (route.name, response.status_code)


def test_vendor_pages_send_anonymous_users_to_login(client, world):
    for route in vendor_routes():
        kwargs = {k: world[VENDOR_KWARGS[(route.name, k)]].pk for k in route.kwargs}
        url = reverse(route.name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code == 405:
                continue
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith(reverse("login")), url


def test_vendor_pages_refuse_staff_without_a_vendor(client, world):
    """A platform staff account (no vendor) is not vendor staff: 403 on every page."""
    client.force_login(UserFactory(is_staff=True))
    before = _snapshot(world)
    for route in vendor_routes():
        kwargs = {k: world[VENDOR_KWARGS[(route.name, k)]].pk for k in route.kwargs}
        url = reverse(route.name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code == 405:
                continue
            assert response.status_code == 403, (method, url, response.status_code)
    assert _snapshot(world) == before


# --- the API --------------------------------------------------------------------------------

# Which of the other channel's objects each endpoint's kwargs name.
API_KWARGS: dict[tuple[str, str], str] = {
    ("api-orders-delivery", "pk"): "order",
    ("api-orders-service-confirmation", "pk"): "order",
    ("api-refunds-detail", "pk"): "refund",
    ("api-refunds-payment", "pk"): "refund",
    ("api-invoices-detail", "pk"): "invoice",
}

# Bodies valid in every respect but naming the other channel's objects (by their key).
API_BODIES: dict[str, dict[str, Any]] = {
    "api-orders-delivery": {"outcome": "delivered", "at": "2026-07-01T12:00:00+08:00"},
    "api-orders-service-confirmation": {"confirmed_at": "2026-07-02T10:00:00+08:00"},
    "api-refunds-payment": {"paid_at": "2026-07-03T10:00:00+08:00", "reference": "PAY-X"},
    "api-refunds-create": {
        "order_id": "order",
        "external_id": "R-X",
        "reason": "not_received",
        "amount": "10.00",
        "requested_at": "2026-07-02T10:00:00+08:00",
    },
    "api-invoices-create": {
        "order_id": "order",
        "external_id": "I-X",
        "purpose": "sale",
        "invoice_type": "ordinary",
    },
    # MS-4.3 / MS-4.4: a complaint about the other channel's order.
    "api-complaints-create": {
        "order_id": "order",
        "external_id": "C-X",
        "kind": "unreachable",
        "occurred_at": "2026-07-02T10:00:00+08:00",
    },
}

# Creates that name no other-channel object: they are checked for auth only.
# The event feed names no object: test_api_event_feed_shows_no_other_channels_orders.
API_NO_FOREIGN_ID = {"api-orders-create", "api-events"}


def _methods(route: Route) -> list[str]:
    view_class = route.callback.cls
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]


@pytest.fixture
def api_world() -> dict[str, Any]:
    """The other channel's order, refund and invoice; the caller is channel 'cn'."""
    order = make_order(channel="intl", external_id=B_ORDER)
    refund, _ = refund_request(
        order=order,
        external_id="R-B",
        reason_code="not_received",
        amount_requested="50.00",
        description=B_REFUND_NOTE,
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),  # seeded history: received when it was asked
    )
    invoice, _ = invoice_request(
        order=order, external_id="I-B", purpose="sale", invoice_type="ordinary"
    )
    return {"order": order, "refund": refund, "invoice": invoice}


def _client(token: str | None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _api_url(route: Route, objects: dict[str, Any]) -> str:
    unmapped = [k for k in route.kwargs if (route.name, k) not in API_KWARGS]
    assert not unmapped, (
        f"{route.name} has kwargs {unmapped} the isolation crawl cannot map to another "
        "channel's object: add them to API_KWARGS"
    )
    return reverse(
        route.name, kwargs={k: objects[API_KWARGS[(route.name, k)]].pk for k in route.kwargs}
    )


def _api_body(route: Route, objects: dict[str, Any]) -> dict[str, Any]:
    body = dict(API_BODIES.get(route.name, {}))
    for key, value in body.items():
        if key.endswith("_id") and value in objects:
            body[key] = objects[value].pk
    return body


def _api_rows() -> tuple:
    return (
        list(Order.objects.values().order_by("pk")),
        list(Refund.objects.values().order_by("pk")),
        list(Invoice.objects.values().order_by("pk")),
        PenaltyCase.objects.count(),
        DepositEntry.objects.count(),
        OnboardingApplication.objects.count(),
    )


def test_api_endpoints_with_another_channels_ids_are_404(api_world):
    """Isolation: a token of channel 'cn' with every operation, on 'intl' objects."""
    _account, token = _all_operations_account()
    client = _client(token)
    before = _api_rows()
    for route in api_routes():
        if route.name in API_NO_FOREIGN_ID:
            continue
        assert route.kwargs or route.name in API_BODIES, (
            f"{route.name} names no object the crawl can point at another channel: "
            "add it to API_KWARGS/API_BODIES or API_NO_FOREIGN_ID"
        )
        url = _api_url(route, api_world)
        for method in _methods(route):
            body = _api_body(route, api_world) if method != "get" else None
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 404, (method, url, response.status_code)
            assert set(response.json()) >= {"code", "message"}
            assert not _leaks(response.content), (url, response.content)
    assert _api_rows() == before


def test_api_event_feed_shows_no_other_channels_orders(api_world):
    """Issue 14: the other sales channel's refund events never reach a 'cn' token's feed."""
    from orders.services import refund_vendor_agree

    refund_vendor_agree(refund=api_world["refund"], actor=None)  # emits refund.approved (intl)
    own_refund = refund_request(
        order=make_order(channel="cn"),
        external_id="R-A",
        reason_code="not_received",
        amount_requested="10.00",
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),
    )[0]
    refund_vendor_agree(refund=own_refund, actor=None)
    _account, token = _all_operations_account()
    for feed in ("storefront", "billing"):
        response = _client(token).get(f"/api/v1/events/?channel={feed}")
        assert response.status_code == 200
        subjects = [e["subject"]["id"] for e in response.json()["events"]]
        assert subjects == [str(own_refund.pk)], feed
        assert not _leaks(response.content)


def _all_operations_account():
    from orders.services import service_account_create

    return service_account_create(
        name="all-ops", channel="cn", operations=list(ApiOperation.values), actor=None
    )


def test_api_token_lacking_the_operation_is_403_and_no_token_is_401(api_world):
    """Each endpoint needs its own operation; without a token the answer is 401."""
    from orders.services import service_account_create

    own_order = make_order(channel="cn")
    objects = {**api_world, "order": own_order}
    before = _api_rows()
    for route in api_routes():
        view_class = route.callback.cls
        # A view allowed by any of several operations (the event feed) names them all.
        needed = getattr(view_class, "allowed_by_any_of", None) or (view_class.required_operation,)
        others = [op for op in ApiOperation.values if op not in needed]
        _account, token = service_account_create(
            name=f"no-{route.name}", channel="cn", operations=others, actor=None
        )
        url = _api_url(route, objects)
        for method in _methods(route):
            body = _api_body(route, objects) if method != "get" else None
            denied = getattr(_client(token), method)(url, body, format="json")
            assert denied.status_code == 403, (method, url, denied.status_code)
            assert denied.json()["code"] == "permission_denied"
            anonymous = getattr(_client(None), method)(url, body, format="json")
            assert anonymous.status_code == 401, (method, url, anonymous.status_code)
            assert set(anonymous.json()) >= {"code", "message"}
    assert _api_rows() == before
