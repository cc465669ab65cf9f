"""The sweep's admin: read-only records with fixed-cost changelists, validated settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import RuleEvaluation, RuleSetting
from tests.compliance.sweep.factories import at, obligation, sweep, vendor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AS_OF = at("2026-10-20 09:00")


@pytest.fixture
def admin_client_en(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_evaluation_changelist_costs_the_same_for_few_and_many_rows(admin_client_en):
    url = reverse("admin:compliance_ruleevaluation_changelist")
    obligation(vendor(), due_at=AS_OF - dt.timedelta(days=1))
    sweep(AS_OF)
    few = _changelist_queries(admin_client_en, url)
    for _ in range(5):
        obligation(vendor(), due_at=AS_OF - dt.timedelta(days=1))
    sweep(AS_OF + dt.timedelta(hours=1))
    assert RuleEvaluation.objects.count() == 12
    assert _changelist_queries(admin_client_en, url) == few


def test_flagged_filter_and_detail_page(admin_client_en):
    obligation(vendor(), due_at=AS_OF - dt.timedelta(days=1))
    sweep(AS_OF)
    url = reverse("admin:compliance_ruleevaluation_changelist")
    assert admin_client_en.get(url + "?flagged=reviewers").status_code == 200
    ev = RuleEvaluation.objects.first()
    page = admin_client_en.get(reverse("admin:compliance_ruleevaluation_change", args=[ev.pk]))
    assert page.status_code == 200
    assert "MS-3.1.5" in page.content.decode()


def test_evaluations_cannot_be_added_or_edited(admin_client_en):
    assert admin_client_en.get(reverse("admin:compliance_ruleevaluation_add")).status_code == 403


def test_setting_out_of_range_refused_with_a_message(admin_client_en):
    url = reverse("admin:compliance_rulesetting_add")
    data = {
        "effective_from_0": "2027-01-01",
        "effective_from_1": "00:00:00",
        "note": "raise threshold",
        "refund_window_days": "0",
        "refund_rate_threshold": "150",
        "refund_min_orders": "0",
        "refund_improvement_days": "30",
        "deposit_suspend_display": "on",
        "refund_due_notice_working_days": "3",
        "saas_hide_all_days": "7",
        "saas_delist_all_days": "30",
        "document_warning_days": "30",
    }
    response = admin_client_en.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "refund_window_days" in errors and "refund_rate_threshold" in errors
    assert not RuleSetting.objects.exists()

    data.update(refund_window_days="45", refund_rate_threshold="1.50")
    response = admin_client_en.post(url, data)
    assert response.status_code == 302
    setting = RuleSetting.objects.get()
    assert setting.refund_window_days == 45 and setting.created_by.username == "root"
    assert setting.history.get().history_change_reason == "raise threshold"


def test_setting_in_force_is_read_only(admin_client_en):
    setting = RuleSetting.objects.create(effective_from=at("2026-01-01 00:00"), note="old")
    page = admin_client_en.get(reverse("admin:compliance_rulesetting_change", args=[setting.pk]))
    assert page.status_code == 200
    assert 'name="refund_window_days"' not in page.content.decode()
