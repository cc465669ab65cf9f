"""Bad input by class (issue 9 §4): each class of hostile value on every surface.

Classes: NUL bytes, huge numbers, full-width digits, nested JSON, times out of range,
over-long text, hostile files. Surfaces: every admin changelist filter and search parameter,
every admin add and change form, every admin action's intermediate page, every vendor page
(GET and each form), every API operation. The surfaces come from the URL resolver, the admin
registry and the API routes, so a page added later is crawled too.

Whatever arrives: never a 500; a refused input writes nothing. NUL (which PostgreSQL cannot
store) is refused before any view with a 400 and a message; run this file on SQLite and on
PostgreSQL. Each request is counted (`tests.crawl_tally`): the session ends with
`bad-input crawl: N inputs tried, 500s = M`.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from compliance.models import SweepRun
from compliance.sweep.runner import abort_stale_runs
from marketplace.form_tokens import FIELD as TOKEN_FIELD
from tests import crawl_tally as tally
from tests import test_bad_input_crawl as crawl
from tests.test_bad_input_crawl import (
    VENDOR_POSTS,
    _api_pk,
    _api_post_routes,
    _api_valid,
    _counts,
    _is_error,
    _refused,
    _request_for_superuser,
    _resolve_ids,
)
from tests.test_isolation_crawl import api_routes, vendor_routes
from tests.vendors.factories import pdf_upload

pytestmark = pytest.mark.django_db
# The crawl's fixtures (its world of objects, an all-operations API client) and the tally.
own = crawl.own
api = crawl.api
crawl_tally = tally.crawl_tally

NUL = "\x00"
MEGABYTE = "x" * 1_000_000
# class -> values; each value goes into every field of every surface.
CLASSES: dict[str, list[str]] = {
    "nul": [NUL, "ab\x00cd"],
    "huge number": ["99999999999999.99", "1e20", str(10**30)],
    "full-width digits": ["１００", "1００２００３００４００"],
    "time out of range": [
        "0001-01-01T00:00:00+08:00",
        "2099-01-01T00:00:00+08:00",
        "2026-06-01T10:00:00+08:00",  # before the test orders' payment (2026-07-01)
    ],
    "over-long text": [MEGABYTE],
}
ALL_VALUES = [(name, v) for name, values in CLASSES.items() for v in values]
MONEY_FIELDS = {"spec_price", "specs-0-price"}
API_MONEY = {"amount"}
API_TIMES = {"paid_at", "at", "confirmed_at", "requested_at"}
# Files no document field may take: a non-PDF renamed .pdf, HTML, an empty file.
HOSTILE_FILES = [
    ("MZ-renamed.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "application/pdf"),
    ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ("empty.pdf", b"", "application/pdf"),
]


def _short(value: str) -> str:
    return repr(value[:16]) + (f"…({len(value)})" if len(value) > 16 else "")


def _hostile(i: int) -> SimpleUploadedFile:
    name, content, content_type = HOSTILE_FILES[i]
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- NUL: refused before any view, everywhere -------------------------------------------


def _changelist_parameters(admin_client) -> list[tuple[str, str]]:
    """(changelist URL, parameter) for every filter and search box of every ModelAdmin."""
    found = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = admin_client.get(url)
        cl = (response.context or {}).get("cl") if response.status_code == 200 else None
        if cl is None:
            continue
        for spec in cl.filter_specs:
            found += [(url, p) for p in spec.expected_parameters()]
        if cl.search_fields:
            found.append((url, "q"))
    return found


def test_nul_in_every_admin_filter_and_search_is_a_clear_400(admin_client):
    """Issue 9 §4: `?status__exact=%00` on any changelist was a 500 on PostgreSQL."""
    admin_client.raise_request_exception = False
    parameters = _changelist_parameters(admin_client)
    assert len(parameters) >= 45, "the admin's filters were not found"
    problems = []
    for url, parameter in parameters:
        for value in CLASSES["nul"]:
            response = admin_client.get(url, {parameter: value})
            if response.status_code != 400 or not _refused(response):
                problems.append(f"GET {url}?{parameter}={value!r}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_every_class_in_every_admin_filter_and_search_is_never_a_500(admin_client):
    admin_client.raise_request_exception = False
    problems = []
    for url, parameter in _changelist_parameters(admin_client):
        for name, value in ALL_VALUES:
            if name == "nul":
                continue  # above
            response = admin_client.get(url, {parameter: value[:5000]})
            if response.status_code >= 500:
                problems.append(f"GET {url}?{parameter}={_short(value)}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_nul_in_any_vendor_form_field_is_a_400_and_writes_nothing(client, own):
    """The refund agree/dispute note with a NUL was a 500 on PostgreSQL; every form alike."""
    client.raise_request_exception = False
    problems = []
    for name, (who, obj, valid) in VENDOR_POSTS.items():
        client.force_login(own[who])
        url = reverse(name, kwargs={"pk": own[obj].pk}) if obj else reverse(name)
        for field in [*valid, "note", "statement"]:
            before = _counts()
            response = client.post(url, {**_resolve_ids(valid), field: "we\x00delivered"})
            if response.status_code != 400 or not _refused(response):
                problems.append(f"POST {url} {field}=NUL: {response.status_code}")
            if _counts() != before:
                problems.append(f"POST {url} {field}=NUL: wrote")
    assert not problems, "\n".join(problems)


def test_nul_in_an_api_body_or_query_is_a_400_with_code_and_message(api):
    client = api["client"]
    client.raise_request_exception = False
    problems = []
    for route in _api_post_routes():
        url = reverse(route.name, kwargs={"pk": _api_pk(route, api)} if route.kwargs else {})
        valid = _api_valid(route.name, api)
        for field in valid:
            before = _counts()
            response = client.post(url, {**valid, field: "a\x00b"}, format="json")
            body = response.json() if response.status_code == 400 else {}
            if body.get("code") != "invalid_characters" or not body.get("message"):
                problems.append(f"POST {url} {field}=NUL: {response.status_code} {body}")
            if _counts() != before:
                problems.append(f"POST {url} {field}=NUL: wrote")
    for route in api_routes():
        url = reverse(route.name, kwargs={k: api["order"].pk for k in route.kwargs})
        response = client.get(url, {"status": NUL, "external_id": NUL})
        if response.status_code != 400 or response.json().get("code") != "invalid_characters":
            problems.append(f"GET {url}?status=NUL: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- nested and oversized JSON on every API operation -----------------------------------


def test_deeply_nested_json_in_every_api_post_is_a_400(api):
    """Issue 9 §4: 10,000 nested arrays raised RecursionError (500)."""
    client = api["client"]
    client.raise_request_exception = False
    problems = []
    deep = "[" * 10_000 + "]" * 10_000
    for route in _api_post_routes():
        url = reverse(route.name, kwargs={"pk": _api_pk(route, api)} if route.kwargs else {})
        valid = _api_valid(route.name, api)
        first = next(iter(valid))
        bodies = {
            "nested array": deep,
            "nested in a field": json.dumps(valid)[:-1] + f', "{first}x": {deep}}}',
            "nested objects": '{"a":' * 10_000 + "1" + "}" * 10_000,
        }
        for label, body in bodies.items():
            before = _counts()
            response = client.post(url, body, content_type="application/json")
            data = response.json() if response.status_code == 400 else {}
            if data.get("code") != "too_deep" or not data.get("message"):
                problems.append(f"POST {url} [{label}]: {response.status_code}")
            if _counts() != before:
                problems.append(f"POST {url} [{label}]: wrote")
        response = client.post(
            url, b'{"a": "' + b"x" * 3_000_000 + b'"}', content_type="application/json"
        )
        if response.status_code != 413 or response.json().get("code") != "request_too_large":
            problems.append(f"POST {url} [3 MB body]: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- every class in every API field ------------------------------------------------------


def test_every_class_in_every_api_field_is_refused_or_sane_and_never_a_500(api):
    """Money: huge and full-width refused (one money parser, MS-2.7); times out of range
    refused (MS-2.8, MS-4.2, MS-5.1); text over its limit refused; never a 500."""
    client = api["client"]
    client.raise_request_exception = False
    problems = []
    for route in _api_post_routes():
        url = reverse(route.name, kwargs={"pk": _api_pk(route, api)} if route.kwargs else {})
        valid = _api_valid(route.name, api)
        for field in valid:
            for name, value in ALL_VALUES:
                body = {**valid, field: value}
                attempts = [json.dumps(body)]
                if name == "huge number":  # as a JSON number too, not only a string
                    attempts.append(attempts[0].replace(f'"{value}"', value))
                for attempt in attempts:
                    before = _counts()
                    response = client.post(url, attempt, content_type="application/json")
                    where = f"POST {url} {field}={_short(value)}"
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                        continue
                    refused = response.status_code >= 400
                    if refused:
                        data = response.json()
                        if not (data.get("code") and data.get("message")):
                            problems.append(f"{where}: error without code/message")
                        if _counts() != before:
                            problems.append(f"{where}: refused but wrote")
                    must_refuse = (
                        (field in API_MONEY and name in ("huge number", "full-width digits"))
                        or (field in API_TIMES and name == "time out of range")
                        or name == "over-long text"
                    )
                    if must_refuse and not refused:
                        problems.append(f"{where}: accepted ({response.status_code})")
    assert not problems, "\n".join(problems)


def test_every_class_in_every_api_query_parameter_is_never_a_500(api):
    client = api["client"]
    client.raise_request_exception = False
    problems = []
    for route in api_routes():
        url = reverse(route.name, kwargs={k: api["order"].pk for k in route.kwargs})
        for name, value in ALL_VALUES:
            if name == "nul":
                continue
            params = {
                p: value[:5000] for p in ("status", "limit", "offset", "external_id", "since")
            }
            response = client.get(url, params)
            if response.status_code >= 500:
                problems.append(f"GET {url} [{name}]: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- every class in every vendor form and page --------------------------------------------


def test_every_class_in_every_vendor_form_field_is_never_a_500_and_refusals_write_nothing(
    client, own
):
    client.raise_request_exception = False
    problems = []
    for page, (who, obj, valid) in VENDOR_POSTS.items():
        client.force_login(own[who])
        url = reverse(page, kwargs={"pk": own[obj].pk}) if obj else reverse(page)
        for field in valid:
            for name, value in ALL_VALUES:
                body = {**_resolve_ids(valid), field: value}
                if page == "vendor:application_upload":
                    body["file"] = pdf_upload()
                before = _counts()
                response = client.post(url, body)
                where = f"POST {url} {field}={_short(value)}"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                    continue
                refused = _is_error(response) or (
                    response.status_code == 200 and bool(_refused(response))
                )
                if refused and _counts() != before:
                    problems.append(f"{where}: refused but wrote")
                if field in MONEY_FIELDS and name in ("huge number", "full-width digits"):
                    if not refused:
                        problems.append(f"{where}: money accepted")
    assert not problems, "\n".join(problems)


def test_every_class_in_every_vendor_page_query_is_never_a_500(client, own):
    client.raise_request_exception = False
    problems = []
    for route in vendor_routes():
        who = VENDOR_POSTS.get(route.name, ("seller",))[0]
        client.force_login(own[who])
        for name, value in ALL_VALUES:
            url = reverse(route.name, kwargs={k: own["product"].pk for k in route.kwargs})
            params = {p: value[:5000] for p in ("page", "status", "q", "kind", "since")}
            response = client.get(url, params)
            expected_nul = name != "nul" or response.status_code == 400
            if response.status_code >= 500 or not expected_nul:
                problems.append(f"GET {url} [{name}]: {response.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("index", range(len(HOSTILE_FILES)), ids=[f[0] for f in HOSTILE_FILES])
def test_hostile_files_are_refused_by_every_vendor_file_field(client, own, index):
    """A non-PDF renamed .pdf, an HTML page, an empty file: refused, nothing stored."""
    client.raise_request_exception = False
    pages = {
        "vendor:application_upload": "file",
        "vendor:compliance_case": "evidence_file",
    }
    problems = []
    for page, field in pages.items():
        who, obj, valid = VENDOR_POSTS[page]
        client.force_login(own[who])
        url = reverse(page, kwargs={"pk": own[obj].pk})
        before = _counts()
        response = client.post(url, {**valid, field: _hostile(index)})
        if response.status_code >= 500 or not _refused(response):
            problems.append(f"POST {url} {field}={HOSTILE_FILES[index][0]}: not refused")
        if _counts() != before:
            problems.append(f"POST {url} {field}={HOSTILE_FILES[index][0]}: wrote")
    assert not problems, "\n".join(problems)


# --- every class in every admin add and change form, and action pages ---------------------


def _admin_form_fields(admin_client, url: str) -> list[str]:
    response = admin_client.get(url)
    adminform = (response.context or {}).get("adminform") if response.status_code == 200 else None
    return list(adminform.form.fields) if adminform is not None else []


def test_every_class_in_every_admin_add_and_change_form_is_never_a_500(admin_client, own):
    """Each class in every field at once, for every add form and one change form per model;
    file fields get a hostile file. A refused form writes nothing."""
    admin_client.raise_request_exception = False
    request = _request_for_superuser()
    problems = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls = []
        if model_admin.has_add_permission(request):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None and model_admin.has_change_permission(request, first):
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        for url in urls:
            fields = _admin_form_fields(admin_client, url)
            for name, value in ALL_VALUES:
                body: dict[str, Any] = {f: value for f in fields}
                for f in fields:
                    field = model._meta.get_field(f) if _has_field(model, f) else None
                    if field is not None and field.get_internal_type() in (
                        "FileField",
                        "ImageField",
                    ):
                        body[f] = _hostile(0)
                before = _counts()
                response = admin_client.post(url, body)
                where = f"POST {url} [{name} {_short(value)}]"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                elif response.status_code != 302 and _counts() != before:
                    problems.append(f"{where}: refused but wrote")
    assert not problems, "\n".join(problems)


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


def test_every_class_in_every_admin_action_confirmation_is_never_a_500(admin_client, own):
    """Each changelist action's intermediate page, confirmed with each class as its reason
    (and every other field of the page)."""
    admin_client.raise_request_exception = False
    request = _request_for_superuser()
    problems = []
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        real = [
            str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:2]
        ]
        if not real:
            continue
        for action in model_admin.get_actions(request):
            if action == "delete_selected":
                continue
            for name, value in ALL_VALUES:
                body = {
                    "action": action,
                    "_selected_action": real,
                    "index": "0",
                    "apply": "1",
                    "post": "yes",
                    "reason": value,
                    "note": value,
                    "amount": value,
                    "until": value,
                }
                before = _counts()
                response = admin_client.post(url, body)
                where = f"POST {url} action={action} [{name}]"
                if response.status_code >= 500:
                    problems.append(f"{where}: {response.status_code}")
                elif name == "nul" and _counts() != before:
                    problems.append(f"{where}: NUL refused but wrote")
    assert not problems, "\n".join(problems)


# --- double submission ------------------------------------------------------------------


def _token_from(response) -> str:
    marker = f'name="{TOKEN_FIELD}" value="'
    html = response.content.decode()
    assert marker in html, "the form carries no one-time token"
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_a_double_post_of_new_product_creates_one_draft(client, own):
    """Issue 9 §4: the same "new product" form sent twice made two drafts."""
    client.force_login(own["seller"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the message is read in English
    url = reverse("vendor:product_new")
    token = _token_from(client.get(url))
    body = {**_resolve_ids(VENDOR_POSTS["vendor:product_new"][2]), TOKEN_FIELD: token}
    before = Product.objects.count()
    first = client.post(url, body)
    assert first.status_code == 302
    second = client.post(url, body, HTTP_REFERER="http://testserver" + url)
    assert second.status_code == 302
    assert Product.objects.count() == before + 1
    assert any("already sent" in str(m) for m in second.wsgi_request._messages)
    # A fresh form (a new token) creates a second product on purpose.
    body[TOKEN_FIELD] = _token_from(client.get(url))
    client.post(url, body)
    assert Product.objects.count() == before + 2


@pytest.mark.parametrize(
    "page, form_page",
    [
        ("vendor:application_upload", "vendor:application"),
        ("vendor:compliance_case", "vendor:compliance_case"),
    ],
)
def test_every_vendor_create_form_is_safe_against_double_submission(client, own, page, form_page):
    who, obj, valid = VENDOR_POSTS[page]
    client.force_login(own[who])
    token = _token_from(client.get(reverse(form_page, kwargs={"pk": own[obj].pk})))
    url = reverse(page, kwargs={"pk": own[obj].pk})

    def body() -> dict[str, Any]:
        data = {**_resolve_ids(valid), TOKEN_FIELD: token}
        if page == "vendor:application_upload":
            data["file"] = pdf_upload()
        return data

    client.post(url, body())
    after_first = _counts()
    response = client.post(url, body())
    assert response.status_code == 302
    assert _counts() == after_first, "the second submission wrote"


def test_the_new_application_button_is_safe_against_double_submission(client):
    from tests.factories import VendorFactory, VendorStaffFactory
    from vendors.models import Vendor

    # A vendor still applying, without an application: the page offers "start a new one".
    user = VendorStaffFactory(vendor=VendorFactory(status=Vendor.Status.APPLYING)).user
    client.force_login(user)
    token = _token_from(client.get(reverse("vendor:onboarding")))
    client.post(reverse("vendor:application_new"), {TOKEN_FIELD: token})
    after_first = _counts()
    client.post(reverse("vendor:application_new"), {TOKEN_FIELD: token})
    assert _counts() == after_first


# --- the sweep: stale runs and --as-of bounds -------------------------------------------


def test_a_killed_sweep_run_is_marked_aborted_by_the_next_run(admin_client, settings):
    settings.COMPLIANCE_SWEEP_STALE_AFTER = dt.timedelta(hours=3)
    now = timezone.now()
    killed = SweepRun.objects.create(as_of=now - dt.timedelta(hours=5))
    SweepRun.objects.filter(pk=killed.pk).update(started_at=now - dt.timedelta(hours=4))
    live = SweepRun.objects.create(as_of=now)  # started just now: maybe still running
    call_command("run_compliance_sweep", "--rule", "documents", stdout=StringIO())
    killed.refresh_from_db()
    live.refresh_from_db()
    assert killed.status == SweepRun.Status.ABORTED
    assert killed.finished_at is not None
    assert live.status == SweepRun.Status.RUNNING
    assert abort_stale_runs() == 0
    page = admin_client.get(
        reverse("admin:compliance_sweeprun_changelist") + "?status__exact=aborted"
    )
    assert page.status_code == 200
    assert str(SweepRun.Status.ABORTED.label) in page.content.decode()


@pytest.mark.parametrize(
    "value, message",
    [
        ("0001-01-01T00:00:00+08:00", "before the violation table"),
        ("1999-01-01T00:00:00+08:00", "before the violation table"),
        ("2099-01-01T00:00:00+08:00", "future"),
        ("9999-12-31T23:59:59-12:00", "--as-of"),
    ],
)
def test_sweep_as_of_outside_a_sane_range_is_refused_and_nothing_runs(value, message):
    with pytest.raises(CommandError, match=message):
        call_command("run_compliance_sweep", "--as-of", value, stdout=StringIO())
    assert not SweepRun.objects.exists()


def test_sweep_as_of_in_the_future_is_allowed_for_a_dry_run():
    ahead = (timezone.now() + dt.timedelta(days=30)).isoformat()
    out = StringIO()
    call_command("run_compliance_sweep", "--as-of", ahead, "--dry-run", stdout=out)
    assert "dry run" in out.getvalue()
