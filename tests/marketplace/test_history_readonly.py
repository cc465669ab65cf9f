"""Issue 8 §1: history pages are read-only, for every model, every role and superusers.

django-simple-history's revert view saved a past version over the record for anyone with the
*view* permission. `marketplace.history_admin.SimpleHistoryAdmin` refuses that URL (403 for
every method) and shows a past version read-only at `<id>/history/<version>/view/`.

The walk uses the demo world (`seed_demo`) and adds a row with history for each model the
demo leaves without one, then, for every registered admin whose model has history, POSTs the
past version's own form back to the revert URL as a superuser and as each role.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from marketplace import roles
from marketplace.history_admin import SimpleHistoryAdmin

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _history_manager(model):
    name = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, name) if name else None


def history_admins() -> list[tuple[type[models.Model], admin.ModelAdmin]]:
    found = [(m, a) for m, a in admin.site._registry.items() if _history_manager(m) is not None]
    return sorted(found, key=lambda pair: pair[0]._meta.label)


def _create_missing_rows() -> None:
    """Rows for the models the demo leaves empty (each create writes its "+" history row)."""
    from catalog.models import MarketingGrant, Product, ProductQualification
    from compliance.models import RuleSetting, VendorNotification
    from compliance.models.complaints import ComplaintKind, ServiceComplaint
    from marketplace.models import CalendarOverride, CalendarYear
    from orders.models import Order, Statement, StatementAdjustment
    from vendors.models import DepositRefund, Vendor

    product = Product.objects.order_by("pk").first()
    vendor = Vendor.objects.order_by("pk").first()
    order = Order.objects.order_by("pk").first()
    builders: dict[type[models.Model], Any] = {
        MarketingGrant: lambda: MarketingGrant.objects.create(
            product=product, resource="home page banner", starts_on=dt.date(2026, 7, 1)
        ),
        ProductQualification: lambda: ProductQualification.objects.create(
            product=product, name="ICP licence", number="ICP-1"
        ),
        RuleSetting: lambda: RuleSetting.objects.create(effective_from=NOW),
        CalendarOverride: lambda: CalendarOverride.objects.create(
            day=dt.date(2030, 1, 2), kind=CalendarOverride.Kind.HOLIDAY, note="test"
        ),
        CalendarYear: lambda: CalendarYear.objects.create(year=2030, note="test"),
        DepositRefund: lambda: DepositRefund.objects.create(vendor=vendor, requested_at=NOW),
        VendorNotification: lambda: VendorNotification.objects.create(
            vendor=vendor, rule_id="MS-7", subject="test", body="test", dedupe_key="test:1"
        ),
        ServiceComplaint: lambda: ServiceComplaint.objects.create(
            vendor=order.vendor,
            order=order,
            channel=order.channel,
            external_id="C-1",
            kind=ComplaintKind.UNREACHABLE,
            occurred_at=NOW,
        ),
        StatementAdjustment: lambda: _adjustment(Statement, StatementAdjustment),
    }
    missing = [
        model
        for model, _model_admin in history_admins()
        if not model._default_manager.exists()
    ]
    unbuilt = [m._meta.label for m in missing if m not in builders]
    assert not unbuilt, f"no demo row and no builder in this test: {unbuilt}"
    for model in missing:
        builders[model]()


def _adjustment(statement_model, adjustment_model):
    statement = statement_model.objects.order_by("pk").first()
    return adjustment_model.objects.create(
        vendor_id=statement.vendor_id,
        sales_mode=statement.sales_mode,
        source_statement=statement,
        amount="-10.00",
        reason="test",
        created_at=NOW,
    )


@pytest.fixture
def world() -> dict[str, Any]:
    call_command("seed_demo", stdout=StringIO())
    _create_missing_rows()
    subjects = {}
    for model, _model_admin in history_admins():
        history = _history_manager(model)
        obj = model._default_manager.order_by("pk").first()
        if not history.filter(**{model._meta.pk.attname: obj.pk}).exists():
            # Rows loaded by data migrations carry no history row: give this one its "+" row.
            history.bulk_history_create([obj], default_change_reason="test: history row")
        subjects[model] = obj
    User = get_user_model()
    users = {"superuser": User.objects.get(username="admin")}
    for role in roles.ROLE_NAMES:
        users[role] = User.objects.get(username=role.replace("_", "-"))
    return {"subjects": subjects, "users": users}


def _state(model, pk) -> tuple[dict, int]:
    """The stored row and how many history rows it has."""
    row = model._base_manager.filter(pk=pk).values().get()
    return row, _history_manager(model).filter(**{model._meta.pk.attname: pk}).count()


def _oldest(model, pk):
    return _history_manager(model).filter(**{model._meta.pk.attname: pk}).order_by("pk").first()


def _revert_body(model_admin, user, record) -> dict[str, Any]:
    """What the library's revert form would submit for this past version (its own values)."""
    request = RequestFactory().get("/admin/")
    request.user = user
    obj = record.instance
    form = model_admin.get_form(request, obj)(instance=obj)
    body: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            body[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                body[name] = "on"
        elif hasattr(value, "name"):  # a stored file
            continue
        else:
            body[name] = str(value)
    body["_save"] = "Revert"
    return body


def _urls(model, obj, record) -> dict[str, str]:
    info = model._meta.app_label, model._meta.model_name
    return {
        "revert": f"/admin/{info[0]}/{info[1]}/{obj.pk}/history/{record.pk}/",
        "view": reverse("admin:{}_{}_simple_history".format(*info), args=[obj.pk, record.pk]),
        "list": reverse("admin:{}_{}_history".format(*info), args=[obj.pk]),
    }


def test_every_admin_with_history_is_the_read_only_history_admin():
    """Issue 8 §1: no admin keeps the library's revert view (every one is ours)."""
    admins = history_admins()
    assert len(admins) > 30
    wrong = [m._meta.label for m, a in admins if not isinstance(a, SimpleHistoryAdmin)]
    assert not wrong, f"admins with the library's revert view: {wrong}"


def test_history_is_read_only_for_every_model_and_role(world):
    """Issue 8 §1, in one seeded world (seeding costs seconds): the revert URL refuses every
    model for every user; past versions are readable read-only by those who may view; the
    page shows the version's own values; hand-typed IDs are 404."""
    _revert_is_refused_and_changes_nothing(world)
    _past_versions_are_readable_read_only(world)
    _past_version_page_shows_the_versions_labels_and_values(world)
    _garbage_version_ids_are_not_found(world)


def _revert_is_refused_and_changes_nothing(world):
    """POSTing a past version to the revert URL answers 403 for every model, as a superuser
    and as each role, and neither the record nor its history changes; GET is 403 too."""
    problems = []
    client = Client()
    client.raise_request_exception = False
    for model, model_admin in history_admins():
        obj = world["subjects"][model]
        record = _oldest(model, obj.pk)
        urls = _urls(model, obj, record)
        for who, user in world["users"].items():
            client.force_login(user)
            before = _state(model, obj.pk)
            body = _revert_body(model_admin, world["users"]["superuser"], record)
            response = client.post(urls["revert"], body)
            if response.status_code != 403:
                problems.append(f"{who} POST {urls['revert']}: {response.status_code}")
            if _state(model, obj.pk) != before:
                problems.append(f"{who} POST {urls['revert']}: the record changed")
            response = client.get(urls["revert"])
            if response.status_code != 403:
                problems.append(f"{who} GET {urls['revert']}: {response.status_code}")
    assert not problems, "\n".join(problems)


def _past_versions_are_readable_read_only(world):
    """The history list and a past version are pages to read: 200 for whoever may
    view the model (403 otherwise), no revert button or wording, POST not allowed (405)."""
    problems = []
    client = Client()
    client.raise_request_exception = False
    request = RequestFactory().get("/admin/")
    for model, model_admin in history_admins():
        obj = world["subjects"][model]
        record = _oldest(model, obj.pk)
        urls = _urls(model, obj, record)
        for who, user in world["users"].items():
            request.user = user
            may_view = model_admin.has_view_or_change_permission(request, obj)
            client.force_login(user)
            before = _state(model, obj.pk)
            for page in ("list", "view"):
                response = client.get(urls[page])
                expected = 200 if may_view else 403
                if response.status_code != expected:
                    problems.append(f"{who} GET {urls[page]}: {response.status_code}")
                    continue
                if expected == 200:
                    text = response.content.decode()
                    for word in ("Revert", "还原", "<form"):
                        if word in text.split('id="content-main"', 1)[-1]:
                            problems.append(f"{who} GET {urls[page]}: shows {word!r}")
            if may_view:
                response = client.post(urls["view"], {"_save": "Revert"})
                if response.status_code != 405:
                    problems.append(f"{who} POST {urls['view']}: {response.status_code}")
            if _state(model, obj.pk) != before:
                problems.append(f"{who}: reading history changed {model._meta.label}")
    assert not problems, "\n".join(problems)


def _past_version_page_shows_the_versions_labels_and_values(world):
    """The read-only page shows the past version's values, not today's."""
    from vendors.models import OnboardingApplication

    application = OnboardingApplication.objects.filter(status="approved").order_by("pk").first()
    record = _oldest(OnboardingApplication, application.pk)
    assert record.status == "draft" and application.status == "approved"
    client = Client()
    client.force_login(world["users"]["superuser"])
    url = _urls(OnboardingApplication, application, record)["view"]
    text = client.get(url).content.decode()
    assert "Status" in text or "状态" in text
    assert ">Draft<" in text.replace("\n", "") or ">草稿<" in text.replace("\n", "")
    # The list links each version to the read-only page.
    listing = client.get(_urls(OnboardingApplication, application, record)["list"])
    assert url in listing.content.decode()


def _garbage_version_ids_are_not_found(world):
    """Hand-typed IDs on the history URLs are 404, never a 500."""
    client = Client()
    client.raise_request_exception = False
    client.force_login(world["users"]["superuser"])
    for url in (
        "/admin/vendors/vendor/zz/history/1/view/",
        "/admin/vendors/vendor/1/history/zz/view/",
        "/admin/vendors/vendor/1/history/99999999/view/",
        "/admin/vendors/vendor/1/history/99999999999999999999999/view/",
    ):
        assert client.get(url).status_code == 404, url
    for url in ("/admin/vendors/vendor/zz/history/1/", "/admin/vendors/vendor/1/history/zz/"):
        assert client.post(url).status_code == 404, url


# --- the deposit ledger (append-only) -------------------------------------------------------


@pytest.fixture
def ledger(world) -> dict[str, Any]:
    from vendors.models import DepositEntry

    entry = DepositEntry.objects.order_by("pk").first()
    return {
        "entry": entry,
        "users": {"superuser": world["users"]["superuser"], "finance": world["users"]["finance"]},
    }


def _ledger_state():
    from vendors.models import DepositEntry

    return list(DepositEntry.objects.order_by("pk").values()), DepositEntry.history.count()


def test_deposit_ledger_entry_cannot_be_changed_anywhere(ledger):
    """MS-3.1.5 (append-only ledger), issue 8 §1: every way to change or delete an entry in the
    admin answers a clear refusal (403, or the changelist's "no action" message), never a 500,
    and the ledger stays as it was."""
    entry = ledger["entry"]
    record = _oldest(type(entry), entry.pk)
    base = "/admin/vendors/depositentry/"
    change = f"{base}{entry.pk}/change/"
    attempts = [
        ("post", change, {"amount": "0.01", "reason": "edited", "_save": "Save"}, 403),
        ("get", f"{base}{entry.pk}/delete/", {}, 403),
        ("post", f"{base}{entry.pk}/delete/", {"post": "yes"}, 403),
        ("get", f"{base}{entry.pk}/history/{record.pk}/", {}, 403),
        ("post", f"{base}{entry.pk}/history/{record.pk}/", {"amount": "0.01"}, 403),
    ]
    client = Client()
    client.raise_request_exception = False
    for who, user in ledger["users"].items():
        client.force_login(user)
        before = _ledger_state()
        for method, url, body, status in attempts:
            response = getattr(client, method)(url, body)
            assert response.status_code == status, f"{who} {method.upper()} {url}"
        # The change page is a read-only view: no save button, no form fields to submit.
        page = client.get(change)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        # The bulk delete action is not offered; posting it anyway deletes nothing.
        response = client.post(
            base, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
        )
        assert response.status_code == 302
        shown = [str(m) for m in response.wsgi_request._messages] if response.status_code else []
        assert shown, f"{who}: bulk delete answered without a message"
        assert _ledger_state() == before, f"{who}: the ledger changed"
