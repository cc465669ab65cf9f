"""Bad input crawl: garbage into every vendor form, every API POST and every admin changelist.

Whatever arrives, the answer is never a 500: either the input is accepted as it would be from
a careful caller, or it is refused with a clear message (a form error or message on a page,
`{code, message}` from the API) and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import constants as message_levels
from django.db import connection
from django.urls import NoReverseMatch, URLPattern, URLResolver, reverse
from rest_framework.test import APIClient

from compliance.services.penalties import penalty_apply
from orders.models import ApiOperation, Statement
from orders.services import refund_request, refund_vendor_agree, service_account_create
from orders.services.settlement import parse_period, settlement_run, statement_issue
from tests import crawl_tally as tally
from tests.compliance.factories import confirmed_case, reviewer
from tests.factories import ProductFactory, StoreFactory, VendorFactory, VendorStaffFactory
from tests.orders.factories import PAID_AT, make_order, make_spec
from tests.test_isolation_crawl import api_routes, vendor_routes
from tests.vendors.factories import category, filled_application, pdf_upload

pytestmark = pytest.mark.django_db
crawl_tally = tally.crawl_tally  # the session's "N inputs tried, 500s = M" line

HUGE = "x" * 100_000
# Values no field should take at face value.
GARBAGE = [
    "",
    HUGE,
    "-1",
    "1e3",
    "1e1",  # ten, written as a float would be
    "1e2",  # a hundred: the price of the test specification
    "NaN",
    "Infinity",
    "1.001",
    "2026-07-01T10:00:00",  # naive
    "99999999",  # an unknown ID
    "99999999999999999999999",  # an ID past every integer column
    "9999-12-31T23:59:59-12:00",  # past datetime.max once in UTC
    "0001-01-01T00:00:00+14:00",  # before datetime.min once in UTC
    "2026-02-30T10:00:00+08:00",
    "\x00",
    "' OR 1=1 --",
]
# Money must be a plain positive decimal with at most two places.
MONEY_REFUSED = ["", HUGE, "-1", "1e3", "1e1", "1e2", "NaN", "Infinity", "1.001", "\x00", "abc"]


def _counts() -> dict[str, int]:
    """Rows of every table (history included) in one query: the crawl asks hundreds of times."""
    models = [
        m
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy and m._meta.label != "sessions.Session"
    ]
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return {m._meta.label: n for m, n in zip(models, row, strict=True)}


def _variants(valid: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "empty body", {}
    for field in valid:
        yield f"{field} missing", {k: v for k, v in valid.items() if k != field}
        for value in GARBAGE:
            yield f"{field}={value[:20]!r}", {**valid, field: value}


# --- vendor pages ---------------------------------------------------------------------------


@pytest.fixture
def own() -> dict[str, Any]:
    """An applicant (draft application) and a trading vendor with a product, refund, case."""
    application = filled_application()
    seller = VendorFactory()
    if not hasattr(seller, "store"):
        StoreFactory(vendor=seller)
    seller.categories.add(category("software"))
    product = ProductFactory(vendor=seller)
    order = make_order(vendor=seller)
    refund, _ = refund_request(
        order=order,
        external_id="R-1",
        reason_code="not_received",
        amount_requested="50.00",
        description="never arrived",
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),  # seeded history: received when it was asked
    )
    case = penalty_apply(
        case=confirmed_case(vendor=seller, product=product), actor=reviewer(), reason="per table"
    )
    make_order(vendor=seller, sales_mode="consignment")
    settlement_run(period=parse_period("2026-07"))
    statements = {
        st.sales_mode: statement_issue(statement=st, actor=None, reason="issue")
        for st in Statement.objects.filter(vendor=seller)
    }
    from compliance.models import VendorNotification

    notice = VendorNotification.objects.create(
        vendor=seller, rule_id="MS-5.8", subject="s", body="b", dedupe_key="own:notice"
    )
    return {
        "notice": notice,
        "statement": statements["platform"],
        "statement_c": statements["consignment"],
        "applicant": VendorStaffFactory(vendor=application.vendor).user,
        "seller": VendorStaffFactory(vendor=seller).user,
        "application": application,
        "product": product,
        "refund": refund,
        "case": case,
    }


# Each page that takes a POST: whose page, which object, and a body it accepts. A new page
# must be classified here (forms are crawled with garbage, actions with garbage bodies).
VENDOR_POSTS: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "vendor:application_edit": (
        "applicant",
        "application",
        {
            "contact_name": "Li Lei",
            "contact_phone": "13800138000",
            "contact_qq": "123456",
            "contact_email": "lilei@example.com",
            "categories": "software",
            "declares_this_cloud_only": "on",
        },
    ),
    "vendor:application_upload": (
        "applicant",
        "application",
        {"kind": "business_licence", "valid_from": "2026-01-01", "valid_until": "2030-01-01"},
    ),
    "vendor:application_submit": ("applicant", "application", {}),
    "vendor:application_new": ("applicant", None, {}),
    "vendor:product_new": (
        "seller",
        None,
        {
            "kind": "software",
            "category": "software",
            "title": "A new product",
            "deployment": "this cloud",
            "sales_mode": "platform",
            "spec_name": "Standard",
            "spec_price": "10.00",
            "spec_billing_period": "once",
        },
    ),
    "vendor:product_submit": ("seller", "product", {}),
    "vendor:product_update": (
        "seller",
        "product",
        {
            "title": "New title",
            "deployment": "this cloud",
            "specs-TOTAL_FORMS": "1",
            "specs-INITIAL_FORMS": "0",
            "specs-0-name": "Standard",
            "specs-0-price": "10.00",
            "specs-0-billing_period": "once",
        },
    ),
    "vendor:revision_submit": ("seller", "product", {}),
    "vendor:refund_agree": ("seller", "refund", {}),
    "vendor:refund_dispute": (
        "seller",
        "refund",
        {"note": "we delivered", "evidence_url": "https://example.com/delivery-log"},
    ),
    # Issue 13, MS-5.7.2: the vendor's own refund terms.
    "vendor:refund_terms": (
        "seller",
        None,
        {"refund_percent": "80", "text": "80% of the unused part", "effective_from": "2099-01-01"},
    ),
    "vendor:compliance_case": ("seller", "case", {"statement": "we appeal"}),
    "vendor:statement_confirm": ("seller", "statement", {}),
    "vendor:statement_dispute": ("seller", "statement", {"reason": "an order is missing"}),
    "vendor:statement_vat_invoice": (
        "seller",
        "statement_c",
        {"number": "44031234", "date": "2026-08-01", "amount": "90.00"},
    ),
    "vendor:statement_fee_invoice": ("seller", "statement", {}),
    # Issue 13 duties: drafts, MS-4.1.2, MS-3.1.4, MS-6.1.1, MS-4.3/4.4.
    "vendor:product_edit": (
        "seller",
        "product",
        {"title": "Edited", "description": "d", "tags": "t", "deployment": "this cloud"},
    ),
    "vendor:product_spec_add": (
        "seller",
        "product",
        {"spec-name": "Pro", "spec-price": "20.00", "spec-billing_period": "month"},
    ),
    "vendor:product_qualification_upload": ("seller", "product", {"number": "ICP-1"}),
    "vendor:agreement_sign": ("seller", None, {"confirm": "yes"}),
    "vendor:document_replace": (
        "seller",
        None,
        {"kind": "business_licence", "valid_from": "2026-01-01", "valid_until": "2030-01-01"},
    ),
    "vendor:service_commitments": (
        "seller",
        None,
        {
            "online_channel": "https://im.example.com/shop/1",
            "phone": "13800138000",
            "qq": "123456",
            "hours_start": "09:00",
            "hours_end": "18:00",
        },
    ),
    # Issue 13: the inbox's actions and the staff member's settings.
    "vendor:notice_read": ("seller", "notice", {}),
    "vendor:notices_read_all": ("seller", None, {"rule": "MS-5.8"}),
    "vendor:settings": ("seller", None, {"language": "en"}),
    # MS-8.2, last: once a variant is accepted the vendor is leaving and later asks are refused.
    "vendor:exit_request": ("seller", None, {"reason": "we are closing the business"}),
}
MONEY_FIELDS = {"spec_price", "specs-0-price", "amount", "spec-price"}
FILE_POSTS = {"vendor:application_upload", "vendor:document_replace"}
GET_ONLY = {
    "vendor:home",
    "vendor:deposit",
    "vendor:onboarding",
    "vendor:application",
    "vendor:document",
    "vendor:product_list",
    "vendor:product_detail",
    "vendor:orders",
    "vendor:orders_export",
    "vendor:order",
    "vendor:refunds",
    "vendor:refund",
    "vendor:invoices",
    "vendor:compliance_cases",
    "vendor:statements",
    "vendor:statement",
    "vendor:statement_xlsx",
    "vendor:agreement",
    "vendor:documents",
    "vendor:inbox",
    "vendor:restrictions",
    "vendor:complaints",
    "vendor:exit",
}


def _resolve_ids(body: dict[str, Any]) -> dict[str, Any]:
    """Category codes in the bodies are written as codes; forms want primary keys."""
    out = dict(body)
    for key in ("category", "categories"):
        if out.get(key) == "software":
            out[key] = str(category("software").pk)
    return out


def _refused(response) -> list[str]:
    """The clear messages a refused request shows: form errors or error-level messages."""
    found = []
    context = response.context or {}
    for key in ("form", "document_form", "formset", "spec_form", "qualification_form"):
        form = context.get(key) if hasattr(context, "get") else None
        if form is not None and getattr(form, "is_bound", False) and form.errors:
            found.append(str(form.errors))
        if form is not None and hasattr(form, "non_form_errors") and form.is_bound:
            if form.non_form_errors():
                found.append(str(form.non_form_errors()))
    found += [m.message for m in _new_messages(response)]
    found += [str(e) for e in (context.get("errors") or [])] if hasattr(context, "get") else []
    return found


def _new_messages(response) -> list:
    """Messages this request added (earlier redirects' messages wait in the session)."""
    storage = getattr(response.wsgi_request, "_messages", None)
    # A request refused before the message middleware (NUL, issue 9 §4) has no storage.
    return list(storage._queued_messages) if storage is not None else []


def _is_error(response) -> bool:
    levels = [m.level for m in _new_messages(response)]
    return response.status_code >= 400 or message_levels.ERROR in levels


def test_every_vendor_post_page_is_classified():
    for route in vendor_routes():
        assert route.name in VENDOR_POSTS or route.name in GET_ONLY, (
            f"{route.name} is neither a known form/action nor GET-only: add it to the "
            "bad-input crawl"
        )


def test_vendor_forms_refuse_garbage_clearly_and_write_nothing(client, own):
    """No 500; a refused input shows why and writes nothing; money garbage is refused."""
    client.raise_request_exception = False
    problems = []
    for name, (who, obj, valid) in VENDOR_POSTS.items():
        client.force_login(own[who])
        url = reverse(name, kwargs={"pk": own[obj].pk}) if obj else reverse(name)
        for label, body in _variants(valid):
            body = _resolve_ids(body)
            if name in FILE_POSTS and "file" not in body:
                body["file"] = pdf_upload()
            before = _counts()
            response = client.post(url, body)
            where = f"POST {url} [{label}]"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
                continue
            refused = _refused(response)
            is_error = (response.status_code in (200, 400) and bool(refused)) or _is_error(response)
            if is_error:
                if not refused:
                    problems.append(f"{where}: refused without a message")
                if _counts() != before:
                    changed = {k for k, v in _counts().items() if before[k] != v}
                    problems.append(f"{where}: refused but wrote {sorted(changed)}")
            field = label.split("=")[0]
            value = body.get(field)
            if field in MONEY_FIELDS and value in MONEY_REFUSED and not is_error:
                problems.append(f"{where}: money garbage accepted")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("pk", ["99999999999999999999999", "0"])
def test_vendor_pages_survive_garbage_query_strings_and_huge_ids(client, own, pk):
    """GET every vendor page with garbage paging/filter params; kwargs past any column."""
    client.raise_request_exception = False
    problems = []
    for route in vendor_routes():
        who = VENDOR_POSTS.get(route.name, ("seller",))[0]
        client.force_login(own[who])
        url = reverse(route.name, kwargs={k: pk for k in route.kwargs})
        for query in (
            "?page=zz&status=%00",
            "?page=-1&status=" + "x" * 5000,
            "?page=1e9",
            # Issue 13: the orders and invoices filters.
            "?paid_from=2026-02-30&paid_to=%00&product=99999999999999999999999&q=%00",
            "?paid_from=0001-01-01&paid_to=9999-12-31&product=-1&q=" + "x" * 5000,
            "?mode=%00&red_letter=%00&product=1e3",
        ):
            response = client.get(url + query)
            if response.status_code >= 500:
                problems.append(f"GET {url}{query[:30]}: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def api() -> dict[str, Any]:
    _account, token = service_account_create(
        name="all-ops", channel="cn", operations=list(ApiOperation.values), actor=None
    )
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    order = make_order(kind="ops")
    # Issue 14: an agreed refund, payable, so the payment endpoint's valid body would succeed.
    refund, _ = refund_request(
        order=make_order(),
        external_id="R-PAY",
        reason_code="not_received",
        amount_requested="10.00",
        requested_at=PAID_AT + dt.timedelta(days=1),
        received_at=PAID_AT + dt.timedelta(days=1),
    )
    refund_vendor_agree(refund=refund, actor=None)
    return {"client": client, "order": order, "spec": make_spec(), "refund": refund}


# Routes whose <pk> is not an order's.
API_PK_OBJECT = {"api-refunds-payment": "refund"}


def _api_pk(route, objects: dict[str, Any]) -> int:
    return objects[API_PK_OBJECT.get(route.name, "order")].pk


def _api_valid(name: str, objects: dict[str, Any]) -> dict[str, Any]:
    at = "2026-07-02T10:00:00+08:00"
    bodies = {
        "api-orders-create": {
            "external_id": "SF-NEW",
            "buyer_account_id": "200001",
            "specification_id": objects["spec"].pk,
            "amount": "100.00",
            "paid_at": "2026-07-01T10:00:00+08:00",
        },
        "api-orders-delivery": {"outcome": "started", "at": at},
        "api-orders-service-confirmation": {"confirmed_at": at},
        "api-refunds-create": {
            "order_id": objects["order"].pk,
            "external_id": "R-NEW",
            "reason": "not_received",
            "amount": "10.00",
            "requested_at": at,
        },
        "api-refunds-payment": {"paid_at": "2026-07-03T10:00:00+08:00", "reference": "PAY-1"},
        "api-invoices-create": {
            "order_id": objects["order"].pk,
            "external_id": "I-NEW",
            "purpose": "sale",
            "invoice_type": "ordinary",
        },
        "api-complaints-create": {  # MS-4.3 / MS-4.4
            "order_id": objects["order"].pk,
            "external_id": "C-NEW",
            "kind": "unreachable",
            "occurred_at": at,
        },
    }
    assert name in bodies, f"{name} is an API POST endpoint the bad-input crawl does not know"
    return bodies[name]


API_MONEY = {"amount"}


def _api_post_routes():
    return [r for r in api_routes() if hasattr(r.callback.cls, "post")]


def test_api_posts_refuse_garbage_with_code_and_message_and_write_nothing(api):
    client = api["client"]
    client.raise_request_exception = False
    problems = []
    for route in _api_post_routes():
        pk = _api_pk(route, api)
        url = reverse(route.name, kwargs={"pk": pk} if route.kwargs else {})
        valid = _api_valid(route.name, api)
        attempts = [(label, body, "json") for label, body in _variants(valid)]
        attempts += [
            ("a JSON list", [valid], "json"),
            ("a JSON string", "hello", "json"),
            ("nested object values", {k: {"x": 1} for k in valid}, "json"),
        ]
        raw = [
            ("not JSON", b"{not json", "application/json"),
            ("wrong content type", b"<xml/>", "application/xml"),
            ("text/plain", b"amount=1", "text/plain"),
            ("empty JSON body", b"", "application/json"),
        ]
        for label, body, fmt in attempts:
            before = _counts()
            response = client.post(url, body, format=fmt)
            problems += _check_api(url, label, response, before, valid, body)
        if route.kwargs:
            huge = url.replace(f"/{pk}/", "/99999999999999999999999/")
            raw_urls = [(huge, "an ID past every integer column", valid)]
        else:
            raw_urls = []
        for huge_url, label, body in raw_urls:
            before = _counts()
            response = client.post(huge_url, body, format="json")
            problems += _check_api(huge_url, label, response, before, valid, None)
        for label, data, content_type in raw:
            before = _counts()
            response = client.post(url, data, content_type=content_type)
            problems += _check_api(url, label, response, before, valid, None)
    assert not problems, "\n".join(problems)


def test_api_event_feed_refuses_garbage_queries_clearly(api):
    """Issue 14: the feed's query string (cursor, limit, channel): 400 with code and message,
    nothing written, never a 500. A blank value counts as absent."""
    client = api["client"]
    client.raise_request_exception = False
    garbage = ["-1", "abc", "1.5", "\x00", HUGE, "99999999999999999999999", "1e3"]
    cases = [("after", v) for v in garbage] + [("limit", v) for v in [*garbage, "0", "501"]]
    cases += [("channel", v) for v in ["fax", "\x00", HUGE, "storefront,billing"]]
    problems = []
    for name, value in cases:
        before = _counts()
        response = client.get("/api/v1/events/", {"channel": "billing", name: value})
        where = f"GET /api/v1/events/?{name}={value[:20]!r}"
        if response.status_code != 400:
            problems.append(f"{where}: {response.status_code}")
        else:
            problems += _check_api(where, name, response, before, {}, None)
    assert not problems, "\n".join(problems)


def _check_api(url, label, response, before, valid, body) -> list[str]:
    where = f"POST {url} [{label}]"
    if response.status_code >= 500:
        return [f"{where}: {response.status_code}"]
    if response.status_code < 400:
        field = label.split("=")[0]
        if field in API_MONEY and isinstance(body, dict) and body[field] in MONEY_REFUSED:
            return [f"{where}: money garbage accepted"]
        return []
    problems = []
    try:
        data = response.json()
    except ValueError:
        return [f"{where}: {response.status_code} without a JSON body"]
    if not (isinstance(data, dict) and data.get("code") and data.get("message")):
        problems.append(f"{where}: error body {data!r} lacks code/message")
    if _counts() != before:
        changed = {k for k, v in _counts().items() if before[k] != v}
        problems.append(f"{where}: refused but wrote {sorted(changed)}")
    return problems


# --- the admin ------------------------------------------------------------------------------


def test_every_admin_changelist_and_add_page_survive_garbage(admin_client):
    """Every registered ModelAdmin: changelist with garbage params, add page, bad object ID."""
    admin_client.raise_request_exception = False  # collect every 500, not just the first
    problems = []
    garbage = "?o=zz&p=999&q=%00&unknown=1&e=1&all=&_popup=x"
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages = [
            reverse("admin:{}_{}_changelist".format(*info)) + garbage,
            reverse("admin:{}_{}_changelist".format(*info)) + "?o=1.-99&p=-1&q=" + "x" * 5000,
            reverse("admin:{}_{}_change".format(*info), args=["zz%00"]),
            reverse("admin:{}_{}_change".format(*info), args=["999999"]),
            reverse("admin:{}_{}_history".format(*info), args=["999999"]),
        ]
        if model_admin.has_add_permission(_request_for_superuser()):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        for url in pages:
            response = admin_client.get(url)
            if response.status_code >= 500:
                problems.append(f"GET {url}: {response.status_code}")
    assert not problems, "\n".join(problems)


def _admin_patterns() -> Iterator[tuple[str, URLPattern]]:
    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            else:
                yield prefix + str(entry.pattern), entry

    urls, _app, _ns = admin.site.urls
    yield from walk(urls, "")


# Garbage for each converter: an ID that exists nowhere, or not an ID at all.
ADMIN_KWARG_GARBAGE = {"int": ["999999"], "str": ["999999", "zz"], "path": ["999999", "zz/zz"]}
# Logging out would end the crawl's own session; the rest is crawled, custom views included.
ADMIN_SKIP = {"logout"}


def test_every_admin_url_pattern_survives_unknown_and_garbage_ids(admin_client):
    """Every admin URL (custom action and import pages too), GET and empty POST, no 500."""
    admin_client.raise_request_exception = False
    problems = []
    crawled = 0
    for _route, entry in _admin_patterns():
        if entry.name in ADMIN_SKIP:
            continue
        converters = entry.pattern.converters
        choices = [
            ADMIN_KWARG_GARBAGE.get(type(c).__name__.removesuffix("Converter").lower(), ["zz"])
            for c in converters.values()
        ]
        for values in zip(*choices, strict=False) if choices else [()]:
            kwargs = dict(zip(converters, values, strict=True))
            try:
                url = reverse(f"admin:{entry.name}", kwargs=kwargs)
            except NoReverseMatch:
                continue  # a regex pattern that refuses this garbage never reaches a view
            crawled += 1
            for method in ("get", "post"):
                response = getattr(admin_client, method)(url)
                if response.status_code >= 500:
                    problems.append(f"{method.upper()} {url}: {response.status_code}")
    assert crawled > len(admin.site._registry) * 4
    assert not problems, "\n".join(problems)


def test_every_admin_action_survives_garbage_confirmations(admin_client, own):
    """Each changelist action on real rows (the demo world above and the migrations' data)
    and on an ID that exists nowhere, with its intermediate page confirmed by an empty or
    garbage reason: never a 500."""
    admin_client.raise_request_exception = False
    request = _request_for_superuser()
    problems = []
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        real = [
            str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:3]
        ]
        for name in model_admin.get_actions(request):
            if name == "delete_selected":
                continue  # Django's own, with its own confirmation page
            for selected in (real, ["999999"]):
                for extra in ({}, {"apply": "1", "post": "yes", "reason": ""}, {"reason": HUGE}):
                    body = {"action": name, "_selected_action": selected, "index": "0", **extra}
                    response = admin_client.post(url, body)
                    if response.status_code >= 500:
                        problems.append(f"POST {url} action={name} {list(extra)}: 500")
    assert not problems, "\n".join(problems)


def _request_for_superuser():
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.filter(is_superuser=True).first()
    return request


def test_admin_add_pages_refuse_an_empty_post_without_writing(admin_client):
    """An empty add form is a form error, never a 500 and never a row."""
    admin_client.raise_request_exception = False
    problems = []
    request = _request_for_superuser()
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_add_permission(request):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        before = _counts()
        response = admin_client.post(url, {})
        if response.status_code >= 500:
            problems.append(f"POST {url}: {response.status_code}")
        elif response.status_code == 302 and _counts() != before:
            # Some models have no required field: an empty row is a legitimate add.
            continue
        elif _counts() != before:
            problems.append(f"POST {url}: refused but wrote")
    assert not problems, "\n".join(problems)
